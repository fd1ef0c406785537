"""Metrics for a fleet: the textfile (checked by promtool), a real Pushgateway, the command.

A backup with the real restic, then what Prometheus would read: the textfile
written atomically after the job, the group pushed to a Pushgateway started
here on a free port, and ``restic-monitor metrics`` printing the same. A
dead Pushgateway never holds a backup up, and its failure is said once.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from restic_monitor.automation import metrics
from restic_monitor.paths import Home
from restic_monitor.state.history import RunRecord

from .conftest import DaemonProcess, Repo, cli, require_tool, start_daemon, wait_until, write_config


def get(url: str, timeout: float = 5) -> bytes:
    """GET from the local test server (http only)."""
    with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310
        data: bytes = answer.read()
        return data


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def pushgateway(tmp_path: Path) -> Iterator[str]:
    exe = require_tool("prometheus-pushgateway")
    port = free_port()
    proc = subprocess.Popen(
        [exe, f"--web.listen-address=127.0.0.1:{port}", "--persistence.interval=1h",
         f"--persistence.file={tmp_path / 'pushgateway.data'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            get(f"{url}/-/ready", timeout=1)
            return True
        except OSError:
            return False

    try:
        wait_until(up, timeout=20)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def promtool_check(path: Path) -> subprocess.CompletedProcess[str]:
    exe = require_tool("promtool")
    with path.open("rb") as fh:
        return subprocess.run(
            [exe, "check", "metrics"], stdin=fh, capture_output=True, text=True, check=False
        )


def test_after_a_backup_the_textfile_passes_promtool_and_the_pushgateway_has_the_group(
    home: Home, repo: Repo, sample: Path, tmp_path: Path, pushgateway: str
) -> None:
    textfile = tmp_path / "textfile" / "restic_monitor.prom"
    settings = {"restic_exe": repo.exe, "args": ["backup", str(sample)],
                "metrics_textfile": str(textfile), "pushgateway_url": pushgateway}  # fmt: skip
    write_config(home, settings, repo.env)
    assert cli(home, "backup").returncode == 0

    wait_until(textfile.exists, timeout=10)
    text = textfile.read_text()
    checked = promtool_check(textfile)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    host = socket.gethostname()
    assert (
        f'restic_monitor_last_run_success{{profile="default",host="{host}",kind="backup"}} 1'
        in (text)
    )
    assert 'restic_monitor_runs_total{profile="default"' in text and 'outcome="success"} 1' in text
    success = next(ln for ln in text.splitlines()
                   if ln.startswith("restic_monitor_last_success_timestamp_seconds{"))  # fmt: skip
    assert abs(float(success.split()[-1]) - time.time()) < 120
    assert not [p for p in textfile.parent.iterdir() if p.name != textfile.name]  # no leftovers

    groups = json.loads(get(f"{pushgateway}/api/v1/metrics"))["data"]
    labels = [g["labels"] for g in groups]
    assert {"job": "restic_monitor", "host": host, "profile": "default"} in labels
    scraped = get(f"{pushgateway}/metrics").decode()
    assert "restic_monitor_last_backup_files_new" in scraped
    assert 'job="restic_monitor"' in scraped

    # The command prints what the textfile holds (the same facts, the same format).
    printed = cli(home, "metrics")
    assert printed.returncode == 0 and printed.stdout == text


class Blackhole:
    """A server that accepts and never answers: a Pushgateway that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        # A thread blocked in accept() keeps a closed socket listening: shut it down first.
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        for conn in self.held:
            conn.close()


def test_a_hanging_pushgateway_never_holds_a_backup_up_and_a_refusing_one_is_said_once(
    home: Home, repo: Repo, sample: Path, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    hole = Blackhole()
    settings = {
        "restic_exe": repo.exe,
        "args": ["backup", str(sample)],
        "min_idle_seconds": 3600,
        "pushgateway_url": f"http://127.0.0.1:{hole.port}",
    }
    write_config(home, settings, repo.env)
    daemon = start_daemon(home, tmp_path / "idle")
    daemons.append(daemon)
    try:
        for _ in range(2):  # the second starts while the first push still hangs
            started = time.monotonic()
            result = cli(home, "backup")
            assert result.returncode == 0, result.stderr
            run = json.loads(cli(home, "history", "--json", "--limit", "1").stdout)[0]
            waited = time.monotonic() - started - run["duration"]
            assert waited < 3.0, f"the backup command waited {waited:.1f} s beyond restic"
    finally:
        hole.close()

    refused = free_port()  # nothing listens there
    settings["pushgateway_url"] = f"http://127.0.0.1:{refused}"
    write_config(home, settings, repo.env)
    assert cli(home, "reload").returncode == 0
    for _ in range(2):
        assert cli(home, "backup").returncode == 0
        time.sleep(5)  # the retries (1 s, then 3 s) are over
    log = home.app_log.read_text()
    assert log.count(f"cannot push the metrics to http://127.0.0.1:{refused}") == 1


def _run(kind: str, outcome: str, ended: float, **fields: object) -> RunRecord:
    success = outcome == "success"
    return RunRecord(id=1, started=ended - 10, ended=ended, trigger="idle", kind=kind,
                     outcome=outcome, counted_success=success, duration=10.0, **fields)  # type: ignore[arg-type]  # fmt: skip


def test_the_text_names_each_family_once_with_escaped_labels() -> None:
    facts = [
        metrics.ProfileFacts(
            profile='odd "name"\\x',
            last_success=1_800_000_000.0,
            last_runs={"backup": _run("backup", "success", 1_800_000_000.0),
                       "check": _run("check", "failed", 1_800_000_100.5)},
            last_backup=_run("backup", "success", 1_800_000_000.0, data_added=2048, files_new=3),
            totals={("backup", "success"): 5, ("check", "failed"): 1},
        ),
        metrics.ProfileFacts(profile="other", paused=True, warning=True, consecutive_failures=2),
    ]  # fmt: skip
    text = metrics.render(facts, host="box")
    assert text.count("# TYPE restic_monitor_paused gauge") == 1
    assert '{profile="odd \\"name\\"\\\\x",host="box",kind="check"} 1800000100.5' in text
    assert (
        'restic_monitor_last_run_success{profile="odd \\"name\\"\\\\x",host="box",kind="check"} 0'
        in text
    )
    assert 'restic_monitor_paused{profile="other",host="box"} 1' in text
    assert 'restic_monitor_consecutive_failures{profile="other",host="box"} 2' in text
    assert "# TYPE restic_monitor_runs_total counter" in text
    assert (
        'restic_monitor_last_backup_added_bytes{profile="odd \\"name\\"\\\\x",host="box"} 2048'
        in text
    )
    assert metrics.render([], host="box") == ""

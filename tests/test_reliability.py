"""Faults real machines cause: interruptions at any moment, full disks, other users, load, soak.

The counts these tests use are the ones docs/reliability.md reports.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

import psutil
import pytest

from restic_monitor.control import ControlClient, ControlError, NoInstance, connect
from restic_monitor.paths import Home
from restic_monitor.state.history import History

from .conftest import (
    SECRET,
    DaemonProcess,
    FakeRestic,
    Repo,
    cli,
    files_containing,
    start_daemon,
    wait_until,
    write_config,
)


def report(name: str, **figures: Any) -> None:
    """With RESTIC_MONITOR_RELIABILITY_REPORT=FILE, append the figures a test measured."""
    target = os.environ.get("RESTIC_MONITOR_RELIABILITY_REPORT")
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"test": name, **figures}) + "\n")


INTERRUPT_DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0, 4.0)
INTERRUPT_ACTIONS = ("stop", "pause", "sigterm")
RAPID_COMMANDS = 1000
SOAK_CYCLES = 150


def _status(home: Home) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(cli(home, "status", "--json").stdout)
    return data


# --- interruptions at any moment, with the real restic ---------------------------------


@pytest.fixture
def slow_tree(tmp_path: Path) -> Path:
    root = tmp_path / "slow"
    root.mkdir()
    for i in range(4):
        (root / f"part-{i}.bin").write_bytes(os.urandom(2_000_000))
    return root


def test_interrupting_a_backup_at_any_moment_leaves_no_lock(
    home: Home,
    repo: Repo,
    slow_tree: Path,
    restic_exe: str,
    tmp_path: Path,
    daemons: list[DaemonProcess],
) -> None:
    write_config(
        home,
        {
            "restic_exe": restic_exe,
            "args": ["backup", "--limit-upload", "800", str(slow_tree)],
            "min_idle_seconds": 3600,
            "min_seconds_between_backups": 0,
        },
        repo.env,
    )
    daemon = start_daemon(home, tmp_path / "idle")
    daemons.append(daemon)
    tried = 0
    for action in INTERRUPT_ACTIONS:
        for delay in INTERRUPT_DELAYS:
            if daemon.proc.poll() is not None:
                daemon = start_daemon(home, tmp_path / "idle")
                daemons.append(daemon)
            assert cli(home, "backup", "--no-wait").returncode == 0
            time.sleep(delay)
            if action == "stop":
                cli(home, "stop")
            elif action == "pause":
                cli(home, "pause", "--for", "1m")
            else:
                daemon.proc.send_signal(signal.SIGTERM)
                daemon.proc.wait(60)

            def finished() -> bool:
                # Nothing runs or waits, and every job is recorded as ended (a stop that
                # came before restic started records nothing at all).
                status = _status(home)
                history = json.loads(cli(home, "history", "--json").stdout)
                return (
                    status["current_job"] is None
                    and not status["queue"]
                    and all(h["ended"] is not None for h in history)
                )

            wait_until(finished, timeout=60)
            if action != "sigterm":
                wait_until(lambda: not _status(home)["maintenance"], timeout=30)
            assert repo.locks() == [], f"a lock was left after {action} at {delay} s"
            if action == "pause":
                cli(home, "resume")
            tried += 1
    assert tried == len(INTERRUPT_ACTIONS) * len(INTERRUPT_DELAYS)
    repo.run("check")
    report("interruptions", tried=tried, locks_left=0, restic=repo.run("version").stdout.strip())


# --- full disks and unwritable places ----------------------------------------------------


def _fake_config(home: Home, fake: FakeRestic, **extra: Any) -> None:
    settings = {
        "restic_exe": str(fake.exe),
        "args": ["backup", "/data"],
        "min_idle_seconds": 3600,
        "min_seconds_between_backups": 3600,
        **extra,
    }
    write_config(home, settings, {"RESTIC_REPOSITORY": "/repo", "RESTIC_PASSWORD": SECRET})


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_for_the_logs_does_not_stop_the_backup_and_is_reported(
    home: Home, fake_restic: FakeRestic, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    _fake_config(home, fake_restic)
    fake_restic.plan(flood=2000)
    home.logs.mkdir(parents=True, exist_ok=True)
    home.last_log.symlink_to("/dev/full")  # every write: ENOSPC
    daemons.append(start_daemon(home, tmp_path / "idle"))

    result = cli(home, "backup")
    status = _status(home)

    assert result.returncode == 0, result.stdout + result.stderr
    assert status["last_run"]["outcome"] == "success"
    assert any("No space left on device" in w for w in status["warnings"]), status["warnings"]
    assert "Problem:" in cli(home, "status").stdout


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_for_the_application_log_is_reported_not_fatal(
    home: Home, fake_restic: FakeRestic, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    _fake_config(home, fake_restic)
    home.logs.mkdir(parents=True, exist_ok=True)
    home.app_log.symlink_to("/dev/full")
    daemon = start_daemon(home, tmp_path / "idle")
    daemons.append(daemon)

    result = cli(home, "backup")
    status = _status(home)

    assert result.returncode == 0
    assert daemon.proc.poll() is None
    assert any("application log" in w for w in status["warnings"]), status["warnings"]


def test_env_json_readable_by_others_is_warned_about_with_the_fix(
    home: Home, fake_restic: FakeRestic
) -> None:
    _fake_config(home, fake_restic)
    home.env_json.chmod(0o644)

    status = _status(home)
    checked = cli(home, "check", "--idle-source", "none")

    assert any(f"chmod 600 {home.env_json}" in w for w in status["warnings"])
    assert f"chmod 600 {home.env_json}" in checked.stdout


# --- the control channel answers only its user ------------------------------------------


def _as_nobody(code: str) -> subprocess.CompletedProcess[str]:
    setpriv = shutil.which("setpriv")
    assert setpriv, "util-linux setpriv"
    return subprocess.run(
        [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": ""},
    )


@pytest.mark.skipif(
    sys.platform != "linux" or os.geteuid() != 0,
    reason="needs root to become another user (CI runs as root)",
)
def test_another_user_is_refused_by_permissions_and_by_peer_credentials(
    fake_restic: FakeRestic,
) -> None:
    base = Path(tempfile.mkdtemp(prefix="rm-uid-"))
    try:
        base.chmod(0o755)
        home = Home(base / "home")
        home.ensure()
        _fake_config(home, fake_restic)
        idle = base / "idle"
        daemon = start_daemon(home, idle)
        try:
            info = json.loads(home.control_json.read_text())
            probe = (
                "import socket, json, sys\n"
                "s = socket.socket(socket.AF_UNIX)\n"
                f"try:\n    s.connect({info['address']!r})\n"
                "except OSError as e:\n    print('refused', e.errno); sys.exit(0)\n"
                "request = {'token': 'x' * 64, 'command': 'stop'}\n"
                "try:\n    s.sendall(json.dumps(request).encode() + b'\\n')\n"
                "except OSError:\n    pass\n"
                "print(s.makefile().readline())\n"
            )
            blocked = _as_nobody(probe)
            assert blocked.stdout.startswith("refused 13"), blocked.stdout + blocked.stderr

            # Even with the folder and the socket opened up, the peer's uid is checked.
            home.root.chmod(0o777)
            Path(info["address"]).chmod(0o777)
            answered = _as_nobody(probe)
            assert answered.stdout.strip(), answered.stderr
            assert json.loads(answered.stdout) == {
                "done": True,
                "ok": False,
                "error": "permission denied",
            }
            assert daemon.proc.poll() is None
            assert _status(home)["instance_running"] is True
        finally:
            daemon.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)


# --- load and soak ---------------------------------------------------------------------


def _footprint(pid: int) -> tuple[int, int, int]:
    proc = psutil.Process(pid)
    return proc.memory_info().rss, proc.num_threads(), proc.num_fds()


def _watch_children(pid: int, exe: Path, stop: threading.Event, peak: list[int]) -> None:
    parent = psutil.Process(pid)
    while not stop.is_set():
        try:
            count = sum(
                1 for c in parent.children(recursive=True) if str(exe) in " ".join(c.cmdline())
            )
        except psutil.Error:
            count = 0
        peak[0] = max(peak[0], count)
        time.sleep(0.002)


def test_a_thousand_rapid_commands_never_start_two_restics_and_all_are_answered(
    home: Home, fake_restic: FakeRestic, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    _fake_config(home, fake_restic, min_idle_seconds=1, min_seconds_between_backups=0)
    fake_restic.plan(sleep=0.2)
    daemon = start_daemon(home, tmp_path / "idle", idle=0)
    daemons.append(daemon)
    client = connect(home)
    for _ in range(20):  # warm up: first imports, first runs
        client.call("status")
    before = _footprint(daemon.proc.pid)
    peak = [0]
    stop = threading.Event()
    watcher = threading.Thread(
        target=_watch_children, args=(daemon.proc.pid, fake_restic.exe, stop, peak)
    )
    watcher.start()
    rng = random.Random(2026)
    commands: list[tuple[str, dict[str, Any]]] = [
        ("backup", {"wait": False}),
        ("stop", {}),
        ("pause", {"seconds": 30}),
        ("resume", {}),
        ("reload", {}),
        ("status", {}),
    ]
    answered = 0
    errors: list[str] = []

    def worker(count: int, seed: int) -> None:
        nonlocal answered
        local = random.Random(seed)
        mine = ControlClient(home)
        for _ in range(count):
            name, args = local.choice(commands)
            try:
                mine.call(name, args)
            except ControlError as exc:  # a refusal is an answer too
                if "configuration" in str(exc):
                    errors.append(str(exc))
            except NoInstance as exc:
                errors.append(f"no answer: {exc!r}")
                continue
            answered += 1

    threads = [
        threading.Thread(target=worker, args=(RAPID_COMMANDS // 4, rng.random())) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    client.call("resume")
    wait_until(lambda: not _status(home)["running"], timeout=30)
    time.sleep(0.5)
    stop.set()
    watcher.join()
    after = _footprint(daemon.proc.pid)

    report(
        "rapid_commands",
        commands=RAPID_COMMANDS,
        answered=answered,
        max_restic_at_once=peak[0],
        runs=len(History(home.history_db).recent(RAPID_COMMANDS)),
        rss_growth_mb=round((after[0] - before[0]) / 1e6, 2),
        threads=[before[1], after[1]],
        open_files=[before[2], after[2]],
    )
    assert errors == []
    assert answered == RAPID_COMMANDS
    assert peak[0] == 1, f"{peak[0]} restic processes ran at once"
    assert fake_restic.max_concurrent() <= 1
    runs = History(home.history_db).recent(RAPID_COMMANDS)
    assert len(runs) >= 10, "the hammering must really start backups"
    assert all(r.ended is not None for r in runs)
    assert after[0] - before[0] < 8_000_000, f"memory grew {(after[0] - before[0]) / 1e6:.1f} MB"
    assert after[1] <= before[1] + 1, f"threads {before[1]} -> {after[1]}"
    fds = sorted(
        os.readlink(f"/proc/{daemon.proc.pid}/fd/{fd}")
        for fd in os.listdir(f"/proc/{daemon.proc.pid}/fd")
    )
    assert after[2] <= before[2] + 2, f"open files {before[2]} -> {after[2]}: {fds}"


def _more_than(fake: FakeRestic, what: str, count: int) -> bool:
    return sum(1 for e in fake.events() if e[0] == what) > count


def test_soak_of_idle_and_active_cycles_keeps_the_footprint_flat(
    home: Home, fake_restic: FakeRestic, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    _fake_config(home, fake_restic, min_idle_seconds=0.2, min_seconds_between_backups=0)
    fake_restic.plan(flood=500)
    daemon = start_daemon(home, tmp_path / "idle", idle=0)
    daemons.append(daemon)
    samples = []
    for cycle in range(SOAK_CYCLES):
        daemon.set_idle(10)  # the user walks away...
        wait_until(partial(_more_than, fake_restic, "start", cycle), timeout=15, interval=0.02)
        daemon.set_idle(0)  # ...comes back while it runs
        wait_until(
            partial(_more_than, fake_restic, "end", cycle),
            timeout=15,
            interval=0.02,
        )
        if cycle in (10, SOAK_CYCLES - 1):
            time.sleep(0.5)
            samples.append(_footprint(daemon.proc.pid))
    wait_until(lambda: not _status(home)["running"], timeout=15)
    history = History(home.history_db).recent(SOAK_CYCLES + 50)

    (rss_early, threads_early, fds_early), (rss_late, threads_late, fds_late) = samples
    report(
        "soak",
        cycles=SOAK_CYCLES,
        restic_runs=fake_restic.starts(),
        history_rows=len(history),
        rss_growth_mb=round((rss_late - rss_early) / 1e6, 2),
        threads=[threads_early, threads_late],
        open_files=[fds_early, fds_late],
    )
    assert fake_restic.starts() == len(history), "one history row per restic run"
    assert all(r.outcome == "success" for r in history)
    assert fake_restic.max_concurrent() == 1
    assert rss_late - rss_early < 6_000_000, f"memory grew {(rss_late - rss_early) / 1e6:.1f} MB"
    assert threads_late <= threads_early + 1
    assert fds_late <= fds_early + 2
    assert files_containing(home.logs, SECRET) == []

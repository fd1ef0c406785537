"""A remote repository that goes away: a real REST server (rclone serve restic) on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restic_monitor.paths import Home

from .conftest import (
    SECRET,
    DaemonProcess,
    cli,
    require_tool,
    restored_path,
    same_tree,
    start_daemon,
    wait_until,
    write_config,
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RestServer:
    """``rclone serve restic`` on a fixed port, so it can be killed and brought back."""

    def __init__(self, folder: Path, log: Path, auth: tuple[str, str] | None = None) -> None:
        self.rclone = require_tool("rclone")
        self.folder = folder
        self.log = log
        self.port = _free_port()
        self.auth = auth
        user = f"{auth[0]}:{auth[1]}@" if auth else ""
        self.url = f"rest:http://{user}127.0.0.1:{self.port}/"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        login = ["--user", self.auth[0], "--pass", self.auth[1]] if self.auth else []
        self.proc = subprocess.Popen(
            [
                self.rclone,
                "serve",
                "restic",
                *login,
                "--addr",
                f"127.0.0.1:{self.port}",
                str(self.folder),
            ],
            env={**os.environ, "RCLONE_CONFIG": str(self.folder.parent / "rclone.conf")},
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("ab"),
        )

        def answers() -> bool:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return True
            return False

        wait_until(answers, timeout=15)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def restic(self, exe: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "RESTIC_REPOSITORY": self.url, "RESTIC_PASSWORD": SECRET}
        return subprocess.run(
            [exe, *args], env=env, capture_output=True, text=True, check=check, timeout=300
        )


@pytest.fixture
def server(tmp_path: Path, restic_exe: str) -> Iterator[RestServer]:
    rest = RestServer(tmp_path / "remote" / "repo", tmp_path / "rclone.log")
    rest.start()
    rest.restic(restic_exe, "init")
    yield rest
    rest.kill()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    (root / "sub").mkdir(parents=True)
    for i in range(6):
        (root / "sub" / f"blob-{i}.bin").write_bytes(os.urandom(1_000_000))
    (root / "note.txt").write_text("remote copy please\n")
    return root


def _configure(home: Home, server: RestServer, restic_exe: str, tree: Path, **extra: Any) -> None:
    settings: dict[str, Any] = {
        "restic_exe": restic_exe,
        # 6 MB at 600 KiB/s: about 10 s of upload, time to pull the plug in the middle.
        "args": ["backup", "--limit-upload", "600", str(tree)],
        "min_idle_seconds": 3600,
        "min_seconds_between_backups": 0,
    }
    settings.update(extra)
    write_config(home, settings, {"RESTIC_REPOSITORY": server.url, "RESTIC_PASSWORD": SECRET})


def _status(home: Home) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(cli(home, "status", "--json").stdout)
    return data


def _verify(server: RestServer, restic_exe: str, tree: Path, target: Path) -> None:
    """No lock left, `restic check` passes, and the latest snapshot restores byte-identical."""
    assert server.restic(restic_exe, "list", "locks").stdout.split() == []
    server.restic(restic_exe, "check")
    server.restic(restic_exe, "restore", "latest", "--target", str(target))
    assert same_tree(tree, restored_path(target, tree))


def test_backup_over_rest_restores_identical(
    home: Home, server: RestServer, restic_exe: str, tree: Path, tmp_path: Path
) -> None:
    _configure(home, server, restic_exe, tree, args=["backup", str(tree)])

    result = cli(home, "backup")

    assert result.returncode == 0, result.stdout + result.stderr
    _verify(server, restic_exe, tree, tmp_path / "restore")


def test_short_outage_does_not_lose_the_backup(
    home: Home,
    server: RestServer,
    restic_exe: str,
    tree: Path,
    tmp_path: Path,
    daemons: list[DaemonProcess],
) -> None:
    _configure(home, server, restic_exe, tree)
    daemons.append(start_daemon(home, tmp_path / "idle"))
    assert cli(home, "backup", "--no-wait").returncode == 0
    wait_until(lambda: (_status(home).get("progress") or {}).get("bytes_done"), timeout=30)

    server.kill()
    time.sleep(3)  # a router reboot, a server restart
    server.start()

    status = wait_until(
        lambda: (s := _status(home))["last_run"] and not s["running"] and s, timeout=240
    )
    assert status["last_run"]["outcome"] == "success", status["last_run"]
    _verify(server, restic_exe, tree, tmp_path / "restore")


def test_server_gone_shows_stalled_the_user_stops_and_the_next_run_cleans_up(
    home: Home,
    server: RestServer,
    restic_exe: str,
    tree: Path,
    tmp_path: Path,
    daemons: list[DaemonProcess],
) -> None:
    _configure(home, server, restic_exe, tree, stall_seconds=4)
    daemons.append(start_daemon(home, tmp_path / "idle"))
    assert cli(home, "backup", "--no-wait").returncode == 0
    wait_until(lambda: (_status(home).get("progress") or {}).get("bytes_done"), timeout=30)

    server.kill()
    stalled = wait_until(
        lambda: ((s := _status(home)).get("current_run") or {}).get("stalled") and s, timeout=60
    )
    assert stalled["running"] is True
    assert "STALLED" in cli(home, "status").stdout
    assert cli(home, "stop").returncode == 0
    done = wait_until(
        lambda: (s := _status(home))["last_run"] and not s["running"] and s, timeout=60
    )
    assert done["last_run"]["outcome"] == "interrupted"

    server.start()
    _configure(home, server, restic_exe, tree, args=["backup", str(tree)])
    again = cli(home, "backup")
    assert again.returncode == 0, again.stdout + again.stderr
    _verify(server, restic_exe, tree, tmp_path / "restore")


def test_unreachable_server_fails_with_a_clear_reason_and_backoff(
    home: Home,
    server: RestServer,
    restic_exe: str,
    tree: Path,
    tmp_path: Path,
    restic_version: tuple[int, ...],
    daemons: list[DaemonProcess],
) -> None:
    if restic_version >= (0, 17):
        pytest.skip(
            "restic 0.17+ retries an unreachable server for up to 15 minutes; the "
            "stalled test covers what the user sees meanwhile"
        )
    _configure(home, server, restic_exe, tree, min_idle_seconds=1)
    server.kill()

    daemon = start_daemon(home, tmp_path / "idle", idle=100)
    daemons.append(daemon)
    status = wait_until(lambda: (s := _status(home))["last_run"] and s, timeout=30)
    time.sleep(2)  # spacing is 0: only the backoff keeps a second attempt away

    run = status["last_run"]
    assert run["outcome"] == "failed"
    assert run["reason"] == "repository_unreachable"
    history = json.loads(cli(home, "history", "--json").stdout)
    assert len(history) == 1
    later = _status(home)
    assert later["reason"] == "backoff"
    assert later["consecutive_failures"] == 1

    server.start()
    _configure(home, server, restic_exe, tree, args=["backup", str(tree)])
    assert cli(home, "backup").returncode == 0
    _verify(server, restic_exe, tree, tmp_path / "restore")

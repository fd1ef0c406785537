"""A monitor killed in the middle of a real backup: nothing stays locked, nothing runs twice."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from restic_monitor.paths import Home

from .conftest import (
    DaemonProcess,
    Repo,
    cli,
    start_daemon,
    wait_until,
    write_config,
)


@pytest.fixture
def big_tree(tmp_path: Path) -> Path:
    root = tmp_path / "big"
    root.mkdir()
    for i in range(4):
        (root / f"blob-{i}.bin").write_bytes(os.urandom(2_000_000))
    return root


def _slow_settings(restic_exe: str, tree: Path) -> dict[str, object]:
    # 8 MB at 400 KiB/s: about 20 s, long enough to be cut off in the middle.
    return {
        "restic_exe": restic_exe,
        "args": ["backup", "--limit-upload", "400", str(tree)],
        "min_idle_seconds": 300,
        "min_seconds_between_backups": 3600,
    }


def _start_slow_backup(home: Home, daemon: DaemonProcess, repo: Repo) -> int:
    assert cli(home, "backup", "--no-wait").returncode == 0
    status = wait_until(
        lambda: (s := daemon.status())["current_run"] and s["current_run"]["pid"] and s,
        timeout=20,
    )
    pid: int = status["current_run"]["pid"]
    wait_until(repo.locks, timeout=20)
    # The local backend lists a lock file while restic is still writing it; a kill
    # at that instant leaves a torn file that no unlock can read. Cut the backup
    # off in its middle instead, as the test intends.
    time.sleep(1.5)
    return pid


def _monitor_in_mid_backup(
    home: Home,
    repo: Repo,
    restic_exe: str,
    tree: Path,
    tmp_path: Path,
    daemons: list[DaemonProcess],
) -> tuple[DaemonProcess, int]:
    """A running monitor with a slow real backup under way; restic's PID."""
    write_config(home, _slow_settings(restic_exe, tree), repo.env)
    daemon = start_daemon(home, tmp_path / "idle")
    daemons.append(daemon)  # stopped by the fixture whatever happens next
    return daemon, _start_slow_backup(home, daemon, repo)


def _restic_processes(repo: Repo) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if cmdline and os.path.basename(cmdline[0]) == "restic" and "backup" in cmdline:
            try:
                if proc.environ().get("RESTIC_REPOSITORY") == str(repo.path):
                    found.append(proc)
            except psutil.Error:
                continue
    return found


def _finish_and_check(home: Home, repo: Repo, restic_exe: str, tree: Path) -> None:
    write_config(
        home,
        {**_slow_settings(restic_exe, tree), "args": ["backup", str(tree)]},
        repo.env,
    )
    assert cli(home, "reload").returncode == 0
    result = cli(home, "backup")
    assert result.returncode == 0, result.stdout + result.stderr
    assert repo.locks() == []
    repo.run("check")
    history = json.loads(cli(home, "history", "--json", "--kind", "backup").stdout)
    assert [h["outcome"] for h in history[:2]] == ["success", "interrupted"]
    assert history[1]["reason"] == "monitor_stopped"


def test_sigkilled_monitor_restarted_stops_the_orphan_and_leaves_no_lock(
    home: Home,
    repo: Repo,
    big_tree: Path,
    restic_exe: str,
    tmp_path: Path,
    daemons: list[DaemonProcess],
) -> None:
    daemon, restic_pid = _monitor_in_mid_backup(home, repo, restic_exe, big_tree, tmp_path, daemons)

    daemon.proc.send_signal(signal.SIGKILL)
    daemon.proc.wait(10)
    # restic may run on for a moment or die on its broken output pipe, leaving its
    # lock behind: either way the restarted monitor must clean up.

    again = start_daemon(home, tmp_path / "idle")
    daemons.append(again)

    wait_until(lambda: not psutil.pid_exists(restic_pid), timeout=40)
    wait_until(lambda: repo.locks() == [], timeout=30)
    assert _restic_processes(repo) == []
    _finish_and_check(home, repo, restic_exe, big_tree)


def test_monitor_and_restic_both_killed_stale_lock_is_cleared_on_restart(
    home: Home,
    repo: Repo,
    big_tree: Path,
    restic_exe: str,
    tmp_path: Path,
    daemons: list[DaemonProcess],
) -> None:
    daemon, restic_pid = _monitor_in_mid_backup(home, repo, restic_exe, big_tree, tmp_path, daemons)

    daemon.proc.send_signal(signal.SIGKILL)
    os.kill(restic_pid, signal.SIGKILL)  # a power cut, as far as restic can tell
    daemon.proc.wait(10)
    wait_until(lambda: not psutil.pid_exists(restic_pid), timeout=10)
    assert repo.locks() != [], "restic killed hard leaves its lock behind"
    blocked = repo.run("check", check=False)
    assert blocked.returncode != 0

    again = start_daemon(home, tmp_path / "idle")
    daemons.append(again)

    wait_until(lambda: repo.locks() == [], timeout=30)
    assert again.status()["unlock_pending"] is False
    repo.run("check")
    _finish_and_check(home, repo, restic_exe, big_tree)

"""The main paths against the real restic binary and real local repositories."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from restic_monitor.isotime import parse_iso
from restic_monitor.paths import Home

from .conftest import (
    SECRET,
    DaemonProcess,
    Repo,
    cli,
    files_containing,
    require_tool,
    restored_path,
    same_tree,
    start_daemon,
    wait_until,
    write_config,
)


def _settings(restic_exe: str, sample: Path, **extra: object) -> dict[str, object]:
    settings: dict[str, object] = {
        "restic_exe": restic_exe,
        "args": ["backup", str(sample)],
        "min_idle_seconds": 5,
        "min_seconds_between_backups": 3600,
        "no_backup_warning_seconds": 3600,
    }
    settings.update(extra)
    return settings


def _assert_restores_identical(repo: Repo, snapshot_id: str, sample: Path, target: Path) -> None:
    repo.run("restore", snapshot_id, "--target", str(target))
    assert same_tree(sample, restored_path(target, sample))


def test_cli_backup_without_instance_creates_snapshot_that_restores_identical(
    home: Home, repo: Repo, sample: Path, restic_exe: str, tmp_path: Path
) -> None:
    write_config(home, _settings(restic_exe, sample), repo.env)
    before = time.time()

    result = cli(home, "backup")

    assert result.returncode == 0, result.stderr
    assert "Backup succeeded" in result.stdout
    snapshots = repo.snapshots()
    assert len(snapshots) == 1
    snapshot_id = snapshots[0]["short_id"]
    assert snapshot_id in result.stdout
    _assert_restores_identical(repo, snapshot_id, sample, tmp_path / "restore")
    assert home.marker.stat().st_mtime >= before - 1
    last_log = home.last_log.read_text()
    assert "# restic version:" in last_log
    assert f"snapshot {snapshot_id}" in last_log
    assert '"message_type"' not in last_log, "the log must hold readable lines, not raw JSON"
    assert files_containing(home.logs, SECRET) == []
    assert files_containing(home.root, SECRET) == [home.env_json]


def test_daemon_backs_up_when_idle_file_crosses_threshold(
    home: Home,
    repo: Repo,
    sample: Path,
    restic_exe: str,
    tmp_path: Path,
    daemons: list[DaemonProcess],
) -> None:
    write_config(home, _settings(restic_exe, sample), repo.env)
    daemon = start_daemon(home, tmp_path / "idle", idle=0)
    daemons.append(daemon)

    status = daemon.status()
    assert status["instance_running"] is True
    assert status["running"] is False
    assert status["reason"] == "not_idle"
    assert status["warning"] is True  # never backed up yet
    assert repo.snapshots() == []

    crossed = time.time()
    daemon.set_idle(100)
    status = wait_until(lambda: (s := daemon.status())["last_run"] is not None and s, timeout=60)

    run = status["last_run"]
    assert run["outcome"] == "success", run
    assert run["exit_code"] == 0
    assert run["trigger"] == "idle"
    assert parse_iso(run["started"]) - crossed < 3, "the backup must start promptly"
    assert status["warning"] is False
    snapshots = repo.snapshots()
    # restic up to 0.17 reports the short id in its summary, 0.18 the full one.
    assert len(snapshots) == 1
    assert snapshots[0]["id"].startswith(run["snapshot_id"])
    _assert_restores_identical(repo, run["snapshot_id"], sample, tmp_path / "restore")
    assert parse_iso(status["last_success"]) >= crossed - 1
    assert abs(home.marker.stat().st_mtime - parse_iso(status["last_success"])) < 1.5
    history = json.loads(cli(home, "history", "--json").stdout)
    assert history[0]["snapshot_id"] == run["snapshot_id"]
    assert history[0]["files_new"] == 4
    assert "summary: snapshot" in home.last_log.read_text()
    assert files_containing(home.logs, SECRET) == []

    daemon.stop()
    assert daemon.proc.returncode == 0
    offline = json.loads(cli(home, "status", "--json").stdout)
    assert offline["instance_running"] is False
    assert offline["last_run"]["snapshot_id"] == run["snapshot_id"]
    assert offline["last_success"] == status["last_success"]


def test_wrong_password_is_reported_as_such(
    home: Home, repo: Repo, sample: Path, restic_exe: str
) -> None:
    write_config(
        home,
        _settings(restic_exe, sample),
        {"RESTIC_REPOSITORY": str(repo.path), "RESTIC_PASSWORD": "not-the-password"},
    )

    result = cli(home, "backup")

    assert result.returncode == 1
    assert "Wrong repository password" in result.stdout
    history = json.loads(cli(home, "history", "--json").stdout)
    assert history[0]["outcome"] == "failed"
    assert history[0]["reason"] == "wrong_password"
    assert not home.marker.exists()


def test_missing_repository_is_reported_as_such(
    home: Home, sample: Path, restic_exe: str, tmp_path: Path
) -> None:
    write_config(
        home,
        _settings(restic_exe, sample),
        {"RESTIC_REPOSITORY": str(tmp_path / "nowhere"), "RESTIC_PASSWORD": SECRET},
    )

    result = cli(home, "backup")

    assert result.returncode == 1
    assert "No repository at the configured location" in result.stdout
    status = json.loads(cli(home, "status", "--json").stdout)
    assert status["last_run"]["reason"] == "repository_missing"
    assert status["warning"] is True
    assert files_containing(home.logs, SECRET) == []


def test_restic_passthrough_and_check_use_the_configured_environment(
    home: Home, repo: Repo, sample: Path, restic_exe: str
) -> None:
    write_config(home, _settings(restic_exe, sample), repo.env)
    assert cli(home, "backup").returncode == 0

    listed = cli(home, "restic", "snapshots", "--json")
    checked = cli(home, "check")

    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 1
    assert checked.returncode == 0, checked.stdout
    assert "Repository: reachable, password accepted" in checked.stdout
    assert SECRET not in checked.stdout + checked.stderr


URL_PASSWORD = "url-pw-" + SECRET


@pytest.mark.parametrize("backend", ["local", "rest", "sftp"])
def test_an_error_about_a_wrong_location_shows_the_location_and_never_a_password(
    home: Home, sample: Path, restic_exe: str, tmp_path: Path, backend: str
) -> None:
    from .test_remote_faults import RestServer

    server = None
    if backend == "local":
        location = shown = str(tmp_path / "repository-with-a-typo")
    elif backend == "rest":
        server = RestServer(tmp_path / "remote", tmp_path / "rclone.log", ("bob", URL_PASSWORD))
        server.start()
        location = server.url + "typo/"
        shown = f"rest:http://bob:***@127.0.0.1:{server.port}/typo/"
    else:
        location, shown = "sftp:backup@nas.invalid:/srv/restic", "backup@nas.invalid"
    write_config(
        home,
        _settings(restic_exe, sample),
        {"RESTIC_REPOSITORY": location, "RESTIC_PASSWORD": SECRET},
    )
    try:
        checked = cli(home, "--debug", "check", timeout=180)
        backed = cli(home, "backup", timeout=180)
    finally:
        if server is not None:
            server.kill()

    assert checked.returncode == 1 and backed.returncode == 1, checked.stdout + backed.stdout
    assert "Repository: PROBLEM:" in checked.stdout
    assert shown in checked.stdout, checked.stdout  # restic's words, the location unmasked
    assert shown in home.last_log.read_text()
    assert shown in (home.logs / "restic-monitor.log").read_text()  # the failure notice
    for secret in (SECRET, URL_PASSWORD):
        assert secret not in checked.stdout + checked.stderr + backed.stdout + backed.stderr
        assert set(files_containing(home.root, secret)) <= {home.env_json}


def test_repository_locked_by_a_live_process_is_reported_and_its_lock_kept(
    home: Home, repo: Repo, sample: Path, restic_exe: str, restic_version: tuple[int, ...]
) -> None:
    write_config(home, _settings(restic_exe, sample), repo.env)
    # Rebuilding the index takes an exclusive lock; freeze restic while it holds one.
    # The command was renamed in restic 0.16.
    rebuild = ["repair", "index"] if restic_version >= (0, 16) else ["rebuild-index"]
    holder = None
    for _attempt in range(20):
        holder = subprocess.Popen(
            [restic_exe, *rebuild],
            env={**os.environ, **repo.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and holder.poll() is None:
            if repo.run("list", "locks", "--no-lock").stdout.strip():
                holder.send_signal(signal.SIGSTOP)
                break
            time.sleep(0.01)
        if holder.poll() is None and repo.run("list", "locks", "--no-lock").stdout.strip():
            break
        holder.wait(30)
        holder = None
    assert holder is not None, "could not catch restic holding its exclusive lock"
    try:
        result = cli(home, "backup")

        assert result.returncode == 1
        assert "locked by another restic process" in result.stdout
        history = json.loads(cli(home, "history", "--json").stdout)
        assert history[0]["kind"] == "backup" and history[0]["reason"] == "locked"
        live_locks = repo.run("list", "locks", "--no-lock").stdout.split()
        assert live_locks, "restic unlock must never remove a live lock"
    finally:
        holder.send_signal(signal.SIGCONT)
        holder.wait(60)
    assert cli(home, "backup").returncode == 0


def test_a_missing_backup_folder_is_incomplete_never_a_success_even_with_ignore_exit_code_3(
    home: Home, repo: Repo, sample: Path, restic_exe: str, tmp_path: Path
) -> None:
    unplugged = tmp_path / "usb-disk" / "photos"
    args = ["backup", str(sample), str(unplugged)]
    write_config(home, _settings(restic_exe, sample, args=args, ignore_exit_code_3=True), repo.env)

    result = cli(home, "backup")

    # restic 0.14 and 0.18 exit 0 here, 0.19 exits 3: either way it is no success.
    assert result.returncode == 3, result.stdout + result.stderr
    assert f"{unplugged} does not exist" in result.stdout
    run = json.loads(cli(home, "history", "--json").stdout)[0]
    assert (run["outcome"], run["reason"], run["counted_success"]) == (
        "incomplete",
        "missing_source",
        False,
    )
    assert run["missing_sources"] == [str(unplugged)]
    status = json.loads(cli(home, "status", "--json").stdout)
    assert status["last_run"]["missing_sources"] == [str(unplugged)]
    assert str(unplugged) in status["last_run"]["message"]
    assert status["warning"] is True and not home.marker.exists()
    assert len(repo.snapshots()) == 1  # restic made its snapshot, without the folder


def _without_root_powers(restic_exe: str, tmp_path: Path) -> str:
    """restic as root reads every file; this one is held to the files' modes."""
    if os.geteuid() != 0:
        return restic_exe
    setpriv = require_tool("setpriv")
    wrapper = tmp_path / "restic-as-root-without-dac"
    drop = "--bounding-set=-dac_override,-dac_read_search"
    wrapper.write_text(f'#!/bin/sh\nexec {setpriv} {drop} {restic_exe} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


@pytest.mark.skipif(sys.platform == "win32", reason="file modes make files unreadable on POSIX")
def test_unreadable_files_alone_follow_ignore_exit_code_3(
    home: Home, repo: Repo, sample: Path, restic_exe: str, tmp_path: Path
) -> None:
    locked = sample / "docs" / "locked.db"
    locked.write_text("in use\n")
    locked.chmod(0)
    exe = _without_root_powers(restic_exe, tmp_path)
    try:
        write_config(home, _settings(exe, sample), repo.env)
        strict = cli(home, "backup")
        write_config(home, _settings(exe, sample, ignore_exit_code_3=True), repo.env)
        lenient = cli(home, "backup")
    finally:
        locked.chmod(0o644)

    assert strict.returncode == 3, strict.stdout + strict.stderr
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    runs = json.loads(cli(home, "history", "--json", "--kind", "backup").stdout)
    assert [(r["outcome"], r["reason"], r["counted_success"]) for r in runs] == [
        ("incomplete", "incomplete", True),
        ("incomplete", "incomplete", False),
    ]
    assert [r["missing_sources"] for r in runs] == [None, None]
    assert str(locked) in home.last_log.read_text()
    assert home.marker.exists()

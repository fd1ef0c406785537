"""``restic-monitor setup`` without a single file edited: the real restic, real repositories.

Each success ends with a real backup into the repository set up; each
failure names its cause, exits non-zero and writes nothing.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from restic_monitor.paths import Home

from .conftest import (
    SECRET,
    DaemonProcess,
    Repo,
    cli,
    cli_env,
    files_containing,
    restored_path,
    same_tree,
    start_daemon,
)
from .test_remote_faults import RestServer


def setup(home: Home, password: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "restic_monitor", "--home", str(home.root), "setup", *args],
        input=password + "\n", capture_output=True, text=True, env=cli_env(), timeout=300,
        check=False,
    )  # fmt: skip


def nothing_written(home: Home) -> bool:
    return not home.settings_json.exists() and not home.env_json.exists()


def restic_in(env: dict[str, str], restic_exe: str) -> Repo:
    """The real restic on the repository ``env`` names (for a remote one, ``path`` is
    only its name)."""
    return Repo(Path(env["RESTIC_REPOSITORY"]), env["RESTIC_PASSWORD"], restic_exe, env)


def backs_up_through_the_monitor(
    home: Home, sample: Path, tmp_path: Path, daemons: list[DaemonProcess], repo: Repo,
    *secrets: str,
) -> None:  # fmt: skip
    """The monitor started on the files setup wrote backs ``sample`` up into ``repo``
    when asked; the real restic lists that snapshot and restores it byte for byte. No
    secret (the password, ``secrets``) is in the monitor's logs."""
    daemon = start_daemon(home, tmp_path / "idle", idle=0)
    daemons.append(daemon)
    assert repo.snapshots() == []
    backup = cli(home, "backup")
    assert backup.returncode == 0, backup.stdout + backup.stderr
    run = daemon.status()["last_run"]
    assert run["outcome"] == "success" and run["trigger"] == "manual", run
    snapshots = repo.snapshots()
    assert len(snapshots) == 1 and snapshots[0]["paths"] == [str(sample)]
    assert snapshots[0]["id"].startswith(run["snapshot_id"])
    target = tmp_path / "restored"
    repo.run("restore", snapshots[0]["id"], "--target", str(target))
    assert same_tree(restored_path(target, sample), sample)
    for secret in (SECRET, *secrets):
        assert files_containing(home.root, secret) == [home.env_json]


def test_a_new_local_folder_with_init_then_the_monitor_backs_up_there(
    home: Home, sample: Path, tmp_path: Path, restic_exe: str, daemons: list[DaemonProcess]
) -> None:
    where = tmp_path / "new-repo"
    done = setup(
        home, SECRET, "--repository", str(where), "--password-stdin", "--folder", str(sample),
        "--exclude", "*.tmp", "--init", "--restic-exe", restic_exe,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    env = json.loads(home.env_json.read_text())
    assert env == {"RESTIC_REPOSITORY": str(where), "RESTIC_PASSWORD": SECRET}
    assert stat.S_IMODE(os.stat(home.env_json).st_mode) == 0o600
    settings = json.loads(home.settings_json.read_text())
    assert settings["args"][-1] == str(sample) and "*.tmp" in settings["args"]
    assert "$schema" in settings and settings["restic_exe"] == restic_exe
    assert SECRET not in done.stdout + done.stderr
    backs_up_through_the_monitor(home, sample, tmp_path, daemons, restic_in(env, restic_exe))


def test_a_rest_server_then_the_monitor_backs_up_there(
    home: Home, sample: Path, tmp_path: Path, restic_exe: str, daemons: list[DaemonProcess]
) -> None:
    server = RestServer(tmp_path / "rest", tmp_path / "rclone.log")
    server.start()
    try:
        done = setup(home, SECRET, "--repository", server.url, "--password-stdin", "--folder",
                     str(sample), "--init", "--restic-exe", restic_exe)  # fmt: skip
        assert done.returncode == 0, done.stderr
        env = json.loads(home.env_json.read_text())
        backs_up_through_the_monitor(home, sample, tmp_path, daemons, restic_in(env, restic_exe))
        assert list((tmp_path / "rest" / "snapshots").iterdir())
    finally:
        server.kill()


def test_each_failure_says_its_cause_and_writes_nothing(
    home: Home, repo: Repo, tmp_path: Path, restic_exe: str
) -> None:
    empty = tmp_path / "empty"
    cases = [
        ((str(empty),), "There is no repository at", "Add --init"),
        ((str(repo.path),), "The password does not open the repository", str(repo.path)),
        (("rest:http://127.0.0.1:9/",), "Cannot reach rest:http://127.0.0.1:9/", "refused"),
    ]
    for (where,), cause, hint in cases:
        done = setup(home, "not-the-password", "--repository", where, "--password-stdin",
                     "--restic-exe", restic_exe)  # fmt: skip
        assert done.returncode == 1, (where, done.stderr)
        assert cause in done.stderr and hint in done.stderr and "Nothing was written" in done.stderr
        assert "not-the-password" not in done.stderr
        assert nothing_written(home)
    assert not empty.exists()

    ok = setup(home, SECRET, "--repository", str(repo.path), "--password-stdin",
               "--restic-exe", restic_exe)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    again = setup(home, SECRET, "--repository", str(repo.path), "--password-stdin",
                  "--restic-exe", restic_exe)  # fmt: skip
    assert again.returncode == 2 and "exist already" in again.stderr
    assert cli(home, "check").returncode == 0

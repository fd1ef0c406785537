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

from .conftest import SECRET, Repo, cli, cli_env
from .test_remote_faults import RestServer


def setup(home: Home, password: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "restic_monitor", "--home", str(home.root), "setup", *args],
        input=password + "\n", capture_output=True, text=True, env=cli_env(), timeout=300,
        check=False,
    )  # fmt: skip


def nothing_written(home: Home) -> bool:
    return not home.settings_json.exists() and not home.env_json.exists()


def test_a_new_local_folder_with_init_then_a_real_backup(
    home: Home, sample: Path, tmp_path: Path, restic_exe: str
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
    backup = cli(home, "backup")
    assert backup.returncode == 0, backup.stderr
    env_of = {"RESTIC_REPOSITORY": str(where), "RESTIC_PASSWORD": SECRET}
    repo = Repo(where, SECRET, restic_exe, env_of)
    assert len(repo.snapshots()) == 1


def test_a_rest_server_then_a_real_backup(
    home: Home, sample: Path, tmp_path: Path, restic_exe: str
) -> None:
    server = RestServer(tmp_path / "rest", tmp_path / "rclone.log")
    server.start()
    try:
        done = setup(home, SECRET, "--repository", server.url, "--password-stdin", "--folder",
                     str(sample), "--init", "--restic-exe", restic_exe)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert cli(home, "backup").returncode == 0
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

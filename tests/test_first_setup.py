"""The first day: what ``init`` writes and what ``check`` warns about before a backup fails."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from restic_monitor.paths import Home
from restic_monitor.restic.command import backup_sources

from .conftest import Repo, cli, write_config


@pytest.mark.parametrize(
    ("args", "sources"),
    [
        (["backup", "/home/me", "/srv"], ["/home/me", "/srv"]),
        (
            ["backup", "--exclude-caches", "-e", "*.tmp", "--tag", "daily", "/home/me"],
            ["/home/me"],
        ),
        (
            ["backup", "--exclude-file=/etc/excludes", "--host", "laptop", "C:\\Users"],
            ["C:\\Users"],
        ),
        (["backup", "--files-from", "/etc/list", "--iexclude-file", "/x"], []),
        (["backup", "--json", "-x", "--", "-odd-name"], ["-odd-name"]),
        (["backup", "--stdin", "--stdin-filename", "db.sql"], None),
        (["snapshots"], None),
    ],
)
def test_backup_sources_skip_options_and_their_values(
    args: list[str], sources: list[str] | None
) -> None:
    assert backup_sources(args) == sources


def test_init_writes_the_documented_default_restic_exe_even_with_restic_on_path(
    home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "restic").write_text("#!/bin/sh\necho restic 0.19.1\n")
    (bin_dir / "restic").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    assert cli(home, "init").returncode == 0

    settings = json.loads(home.settings_json.read_text())
    assert settings["restic_exe"] == "restic"  # README: "restic_exe": "restic"


def test_check_after_init_warns_about_the_placeholders_and_the_missing_folder(
    home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "user"))  # init's example backs up ~/Documents
    assert cli(home, "init").returncode == 0

    checked = cli(home, "check", timeout=120)

    out = checked.stdout
    assert "Warning: RESTIC_REPOSITORY in env.json is still init's example" in out
    assert "Warning: RESTIC_PASSWORD in env.json is empty" in out
    documents = tmp_path / "user" / "Documents"
    assert f"Warning: backup folder {documents} (args in settings.json) does not exist" in out


def test_check_warns_about_each_backup_folder_that_does_not_exist_and_nothing_else(
    home: Home, repo: Repo, sample: Path, restic_exe: str, tmp_path: Path
) -> None:
    gone = tmp_path / "unplugged-disk"
    args = [
        "backup", "--exclude-file", str(tmp_path / "no-such-excludes"), "--tag", "daily",
        str(sample), str(gone), "~/Documents", "relative/folder",
    ]  # fmt: skip
    write_config(home, {"restic_exe": restic_exe, "args": args}, repo.env)

    checked = cli(home, "check", timeout=120)

    warnings = [line for line in checked.stdout.splitlines() if line.startswith("Warning:")]
    assert warnings == [
        f"Warning: backup folder {gone} (args in settings.json) does not exist (a typo, or a "
        "drive that is not connected?); restic would skip it and every backup would be "
        "incomplete.",
        "Warning: backup folder ~/Documents (args in settings.json) does not exist (args are "
        "passed to restic as they are, without ~: write the full path); restic would skip it "
        "and every backup would be incomplete.",
        "Warning: backup folder relative/folder (args in settings.json) does not exist (a "
        "relative path: write the full path); restic would skip it and every backup would be "
        "incomplete.",
    ]
    assert "Repository: reachable, password accepted" in checked.stdout
    assert checked.returncode == 0  # warnings, not failures


@pytest.mark.parametrize(
    ("env", "warned"),
    [
        ({"RESTIC_PASSWORD": ""}, "RESTIC_PASSWORD in env.json is empty"),
        ({}, "env.json gives no password"),
        ({"RESTIC_PASSWORD_FILE": "/etc/restic-pw"}, None),
        ({"RESTIC_PASSWORD_COMMAND": "pass show restic"}, None),
    ],
)
def test_check_warns_about_a_missing_or_empty_password(
    home: Home, tmp_path: Path, env: dict[str, str], warned: str | None
) -> None:
    settings = {"restic_exe": str(tmp_path / "no-restic"), "args": ["backup", str(tmp_path)]}
    write_config(home, settings, {"RESTIC_REPOSITORY": str(tmp_path / "repo"), **env})

    checked = cli(home, "check", timeout=120)

    password_warnings = [
        line for line in checked.stdout.splitlines() if "Warning:" in line and "assword" in line
    ]
    if warned is None:
        assert password_warnings == []
    else:
        assert len(password_warnings) == 1
        assert password_warnings[0].startswith(f"Warning: {warned}")

"""Opening folders: a failing or missing opener is an error that names the path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from restic_monitor.platform.opener import OpenError, open_path

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="xdg-open is Linux's opener")


def _opener(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "xdg-open"
    exe.write_text(f"#!/bin/sh\n{script}\n")
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    return tmp_path / "opened"


@pytest.mark.parametrize(
    ("code", "words"),
    [(3, "no program to open it"), (4, "program chosen to open it failed"), (9, "exited with 9")],
)
def test_an_opener_that_fails_is_an_error_naming_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, words: str
) -> None:
    _opener(tmp_path, monkeypatch, f"exit {code}")
    with pytest.raises(OpenError) as info:
        open_path(tmp_path / "my folder")
    assert str(tmp_path / "my folder") in str(info.value)
    assert words in str(info.value)


def test_an_opener_that_succeeds_gets_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = tmp_path / "seen"
    _opener(tmp_path, monkeypatch, f'printf %s "$1" > "{seen}"')
    open_path(tmp_path / "my folder")
    assert seen.read_text() == str(tmp_path / "my folder")


def test_an_opener_still_running_after_the_settle_time_counts_as_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _opener(tmp_path, monkeypatch, "exec /bin/sleep 2")  # a file manager in the foreground
    open_path(tmp_path, settle=0.2)


def test_no_opener_installed_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(OpenError, match=r"xdg-open is not installed.*xdg-utils"):
        open_path(tmp_path)

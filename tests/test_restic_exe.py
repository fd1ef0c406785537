"""``restic_exe`` that is not a program: said in those words, at check and at backup.

Not "restic exited with code 127" (what ``nice`` answers when it cannot exec
restic), nor "restic not found" for a folder, nor a backup that never returns.
"""

from __future__ import annotations

import concurrent.futures
import json
import sys
from pathlib import Path

import pytest

from restic_monitor.paths import Home
from restic_monitor.platform.process import not_a_program
from restic_monitor.restic.command import ResticUnavailable, find_restic
from restic_monitor.state.history import History, RunRecord

from .conftest import cli, write_config
from .engine_rig import Rig

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes and #! scripts")
WORDS = "(settings.json) is not a program restic-monitor can run"


def _not_programs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Each kind of file that is no program, and what restic-monitor says about it."""
    folder = tmp_path / "restic-folder"
    folder.mkdir()
    plain = tmp_path / "not-executable"
    plain.write_bytes(b"\x7fELF not executable")
    text = tmp_path / "notes.txt"
    text.write_text("restic lives in /usr/bin\n")
    text.chmod(0o755)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    empty.chmod(0o755)
    gone = tmp_path / "needs-python9"
    gone.write_text("#!/nonexistent/python9\nprint('hi')\n")
    gone.chmod(0o755)
    return {
        "folder": (folder, "it is a folder"),
        "not-executable": (plain, "it is not executable (chmod +x it"),
        "text-without-shebang": (text, "neither a program nor a script starting with #!"),
        "empty": (empty, "it is empty"),
        "missing-interpreter": (gone, "interpreter its first line names (/nonexistent/python9)"),
    }


KINDS = ["folder", "not-executable", "text-without-shebang", "empty", "missing-interpreter"]


@posix_only
@pytest.mark.parametrize("kind", KINDS)
def test_not_a_program_says_why(tmp_path: Path, kind: str) -> None:
    path, why = _not_programs(tmp_path)[kind]

    assert why in (not_a_program(str(path)) or "")
    with pytest.raises(ResticUnavailable, match="is not a program restic-monitor can run") as exc:
        find_restic(str(path))
    assert exc.value.reason == "restic_not_runnable"
    assert f"restic_exe {path} (settings.json)" in exc.value.message


@posix_only
def test_binaries_and_scripts_with_an_interpreter_are_programs(tmp_path: Path) -> None:
    script = tmp_path / "restic-wrapper"
    script.write_text('#!/bin/sh\nexec restic "$@"\n')
    script.chmod(0o755)

    assert not_a_program(sys.executable) is None  # an ELF (Linux) or Mach-O (macOS) binary
    assert not_a_program(str(script)) is None
    assert find_restic(str(script)) == str(script)


def test_a_name_not_on_path_is_still_not_found(tmp_path: Path) -> None:
    with pytest.raises(ResticUnavailable, match="restic not found") as exc:
        find_restic("restic-that-nobody-installed")
    assert exc.value.reason == "restic_not_found"
    with pytest.raises(ResticUnavailable, match="restic not found"):
        find_restic(str(tmp_path / "nothing-here"))


def test_a_folder_as_restic_exe_is_recorded_as_such_and_its_backup_returns(
    tmp_path: Path,
) -> None:
    rig = Rig(tmp_path)
    folder = tmp_path / "restic.d"
    folder.mkdir()
    rig.profile(restic_exe=folder)

    job, _ = rig.engine.backup("default")
    future: concurrent.futures.Future[RunRecord] = concurrent.futures.Future()
    job.add_waiter(future)  # the job ended before anyone could wait for it

    record = future.result(0)
    assert (record.outcome, record.reason) == ("error", "restic_not_runnable")
    assert record.message == (f"restic_exe {folder} {WORDS}: it is a folder.")
    assert rig.runner.runs == []
    assert History(rig.home.history_db).recent(1)[0].reason == "restic_not_runnable"
    failure = next(n for n in rig.notices.notices if n.kind == "failure")
    assert WORDS in failure.body


@posix_only
@pytest.mark.parametrize("kind", KINDS)
def test_backup_and_check_say_restic_exe_is_not_a_program(
    home: Home, tmp_path: Path, kind: str
) -> None:
    path, why = _not_programs(tmp_path)[kind]
    settings = {"restic_exe": str(path), "args": ["backup", str(tmp_path)]}
    write_config(home, settings, {"RESTIC_REPOSITORY": str(tmp_path / "repo")})

    backup = cli(home, "backup", timeout=60)  # the backup used to wait forever here
    checked = cli(home, "check", timeout=60)
    passthrough = cli(home, "restic", "snapshots", timeout=60)

    for result in (backup, checked):
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"restic_exe {path} {WORDS}" in result.stdout
        assert why in result.stdout
        assert "exited with code" not in result.stdout + result.stderr
    assert "restic: CANNOT RUN" in checked.stdout
    assert f"restic_exe {path} {WORDS}" in passthrough.stderr
    run = json.loads(cli(home, "history", "--json", "--kind", "backup").stdout)[0]
    assert (run["outcome"], run["reason"]) == ("error", "restic_not_runnable")


def test_a_backup_with_restic_missing_returns_and_says_so(home: Home, tmp_path: Path) -> None:
    missing = tmp_path / "bin" / "restic"
    settings = {"restic_exe": str(missing), "args": ["backup", str(tmp_path)]}
    write_config(home, settings, {"RESTIC_REPOSITORY": str(tmp_path / "repo")})

    backup = cli(home, "backup", timeout=60)  # it used to wait forever

    assert backup.returncode == 1, backup.stdout + backup.stderr
    assert "restic not found" in backup.stdout

"""The words users read: a run's one-line summary, the success notice, the log's reasons."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from restic_monitor import paths
from restic_monitor.paths import Home
from restic_monitor.platform import sleep
from restic_monitor.platform.idle import UnknownIdle
from restic_monitor.status.model import RunInfo
from restic_monitor.status.text import describe_run
from tests.conftest import cli, write_config
from tests.engine_rig import Rig


def run(**fields: Any) -> RunInfo:
    base: dict[str, Any] = {
        "id": 1,
        "started": "2026-12-02T10:00:00+00:00",
        "ended": "2026-12-02T10:00:10+00:00",
        "trigger": "manual",
        "exit_code": 0,
        "outcome": "success",
        "reason": "ok",
        "message": "Backup completed.",
        "counted_success": True,
        "snapshot_id": None,
        "files_new": None,
        "files_changed": None,
        "files_unmodified": None,
        "data_added": None,
        "duration": 10.0,
        "kind": "backup",
        "profile": "default",
    }
    base.update(fields)
    return RunInfo(**base)


def test_a_success_took_its_time_in_so_many_seconds() -> None:
    assert describe_run(run()) == "Backup succeeded: in 10 s"


def test_an_interrupted_run_is_not_read_as_a_time_still_to_come() -> None:
    text = describe_run(
        run(outcome="interrupted", reason="interrupted", counted_success=False, exit_code=130)
    )
    assert text.splitlines()[0] == "Backup interrupted: after 10 s"
    assert " in 10 s" not in text


def test_a_run_that_could_not_start_says_no_duration() -> None:
    text = describe_run(
        run(
            outcome="error",
            reason="restic_not_found",
            counted_success=False,
            exit_code=None,
            duration=0.0,
            message="restic not found (restic_exe in settings.json).",
        )
    )
    assert text.splitlines()[0] == "Backup could not run"
    assert " 0 s" not in text


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (FileNotFoundError(2, "No such file or directory"), "no system D-Bus (logind)"),
        (ConnectionRefusedError(111, "Connection refused"), "no system D-Bus (logind)"),
        (OSError("logind refused: access denied"), "logind refused: access denied"),
    ],
)
def test_no_sleep_inhibitor_is_said_in_words_not_as_an_exception(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, exc: Exception, words: str
) -> None:
    def refuse(_why: str) -> None:
        raise exc

    monkeypatch.setattr(sleep, "_LogindInhibition", refuse)
    monkeypatch.setattr(sleep, "_warned", set())
    monkeypatch.setattr(sys, "platform", "linux")
    with caplog.at_level(logging.INFO, logger=sleep.__name__):
        sleep.inhibit_sleep().release()

    [line] = [r.getMessage() for r in caplog.records]
    assert words in line
    assert "Errno" not in line and "Error:" not in line


@pytest.mark.parametrize("automatic", [True, False])
def test_idle_time_unknown_is_a_warning_only_where_backups_wait_for_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, automatic: bool
) -> None:
    rig = Rig(tmp_path, UnknownIdle("no X display"), automatic=automatic)
    rig.profile()
    with caplog.at_level(logging.INFO):
        rig.step()

    warned = [r for r in caplog.records if "idle time unknown" in r.getMessage()]
    assert bool(warned) is automatic  # a backup asked for in a terminal needs no idle time


def test_hints_name_the_home_in_use_so_that_they_work_when_pasted(home: Home) -> None:
    write_config(home, {"args": ["backup", "/data"]}, {"RESTIC_REPOSITORY": "/r"})
    (home.profiles_dir / "laptop").mkdir(parents=True)

    status = cli(home, "status")
    check = cli(home, "check", "--profile", "laptop")

    assert f"start it with `restic-monitor --home {home.root} run`" in status.stdout
    assert f"`restic-monitor --home {home.root} init --profile laptop`" in check.stdout
    assert "`restic-monitor init" not in check.stdout + check.stderr


def test_hints_for_the_default_home_stay_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paths, "default_home", lambda: tmp_path / "usual")
    assert Home(tmp_path / "usual").command("run") == "restic-monitor run"
    assert Home(tmp_path / "my home").command("stop") == (
        f'restic-monitor --home "{tmp_path / "my home"}" stop'
    )


def test_not_idle_yet_says_how_long_away_and_which_setting(tmp_path: Path) -> None:
    from restic_monitor.tray.wording import status_lines

    rig = Rig(tmp_path)  # the user is at the machine: idle 0
    rig.profile(min_idle_seconds=300)
    rig.step()
    profile = rig.of("default")

    assert profile.reason == "not_idle"
    assert profile.reason_text == "after 5 min away (min_idle_seconds)"
    lines = status_lines(profile, rig.clock.now, [])
    assert "Backup after 5 min away (min_idle_seconds)" in lines

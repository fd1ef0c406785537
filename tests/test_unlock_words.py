"""What the log and the history say about a restic unlock that did not run to its end.

A stop during an unlock is what happened, not a failure ("did not succeed"),
with restic 0.14 to 0.18 (exit code 1 after SIGINT) and 0.19 (130); an unlock
stopped by its own time limit says so. Deterministic: tests/engine_rig.py.
"""

from __future__ import annotations

import concurrent.futures
import logging
import sys
from pathlib import Path

import pytest

from restic_monitor.config.settings import Settings
from restic_monitor.engine.runner import ThreadRunner
from restic_monitor.jobs.base import RunPlan
from restic_monitor.jobs.unlock import UNLOCK
from restic_monitor.restic.command import Restic
from restic_monitor.restic.runner import RunResult
from restic_monitor.state.files import EngineState, write_engine_state
from restic_monitor.state.history import History

from .conftest import FakeRestic
from .engine_rig import Rig


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    r = Rig(tmp_path)
    r.profile(min_idle_seconds=1, min_seconds_between_backups=0)
    write_engine_state(r.home, EngineState(unlock_needed=True))
    return r


def _unlock_record(rig: Rig) -> tuple[str | None, str | None]:
    ended = [r for r in History(rig.home.history_db).recent(5, kind="unlock") if r.ended]
    return ended[0].outcome, ended[0].message


@pytest.mark.parametrize("exit_code", [1, 130], ids=["restic-0.14-0.18", "restic-0.19"])
def test_a_stop_during_an_unlock_is_logged_as_a_stop(
    rig: Rig, exit_code: int, caplog: pytest.LogCaptureFixture
) -> None:
    rig.engine.backup("default")
    assert rig.started() == [("default", "unlock")]  # stale locks first (left by a crash)

    with caplog.at_level(logging.INFO):
        assert rig.engine.stop() is True
        rig.finish(exit_code)

    assert _unlock_record(rig) == ("interrupted", "restic unlock was stopped before it ended.")
    logged = [r.getMessage() for r in caplog.records if "restic unlock" in r.getMessage()]
    assert logged == [
        "profile default: restic unlock was stopped before it ended. Stale locks are cleared "
        "before the next backup."
    ]
    assert rig.started() == [("default", "unlock")]  # the backup behind it went with it
    assert rig.of("default").unlock_pending is True


def test_an_unlock_stopped_by_its_time_limit_says_so(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rig.step()
    assert rig.started() == [("default", "unlock")]  # stale locks left by a crash
    rig.run.time_is_up()  # what the real runner's timer does after UNLOCK_TIMEOUT

    with caplog.at_level(logging.INFO):
        rig.run.finish(130, duration=300.0)
        rig.step()

    outcome, message = _unlock_record(rig)
    assert outcome == "interrupted"
    assert message == "restic unlock did not end within its time limit; stopped after 5 min."
    assert "time limit" in caplog.text and "was stopped before it ended" not in caplog.text


def test_an_unlock_that_cannot_run_is_logged_once_not_twice(
    rig: Rig, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rig.profile(restic_exe=tmp_path / "no" / "restic")

    with caplog.at_level(logging.WARNING):
        rig.step()

    unlock = [r.getMessage() for r in caplog.records if "restic unlock did not" in r.getMessage()]
    assert len(unlock) == 1
    assert unlock[0].count("restic not found") == 1, unlock[0]


@pytest.mark.skipif(sys.platform == "win32", reason="the fake restic is a #! script")
def test_the_real_runner_tells_a_time_limit_from_a_stop(fake_restic: FakeRestic) -> None:
    fake_restic.plan(unlock_sleep=60)
    plan = RunPlan(command=Restic(str(fake_restic.exe), {}).command("unlock"), timeout=0.5)
    ended: concurrent.futures.Future[RunResult] = concurrent.futures.Future()

    ThreadRunner(kill_after=5).start(
        plan, on_start=lambda *_: None, on_progress=lambda _: None, on_done=ended.set_result
    )
    result = ended.result(20)

    assert result.stop_requested and result.timed_out
    verdict = UNLOCK.judge(result, Settings(args=("backup",)))
    assert verdict.message.startswith("restic unlock did not end within its time limit")

"""How the engine judges and reports a run: exit codes, marker, backoff, notices, restarts.

Deterministic (tests/engine_rig.py): the real Scheduler, a scripted restic, a
fake clock. The process-level faults (hangs, floods, ignored signals) are in
test_engine_faults.py with the fake restic.
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import pytest

from restic_monitor.engine.errors import ConfigInvalid
from restic_monitor.isotime import parse_iso
from restic_monitor.restic.output import Summary
from restic_monitor.state.files import EngineState, read_pause, write_engine_state, write_pause
from restic_monitor.state.history import History, RunRecord
from restic_monitor.status.text import format_status

from .engine_rig import Rig

SUMMARY = Summary("fa4e0001", 2, 1, 5, 1024, 2048, 1.0)


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    r = Rig(tmp_path)
    r.profile(min_idle_seconds=1, min_seconds_between_backups=0, no_backup_warning_seconds=3600)
    return r


def backup(rig: Rig, exit_code: int | None, **kw: object) -> RunRecord:
    job, _ = rig.engine.backup("default")
    future: concurrent.futures.Future[RunRecord] = concurrent.futures.Future()
    job.waiters.append(future)
    rig.run.finish(exit_code, **kw)  # type: ignore[arg-type]
    rig.step()
    return future.result(0)


def test_exit_3_is_incomplete_and_a_failure_when_not_ignored(rig: Rig) -> None:
    record = backup(rig, 3, summary=SUMMARY)

    assert (record.outcome, record.exit_code, record.counted_success) == ("incomplete", 3, False)
    assert record.snapshot_id == "fa4e0001"  # restic still made a snapshot
    assert not rig.home.marker.exists()
    assert "failure" in rig.notices.kinds()
    assert rig.of("default").warning is True


def test_exit_3_counts_as_success_when_ignored(rig: Rig) -> None:
    rig.profile(ignore_exit_code_3=True)
    record = backup(rig, 3, summary=SUMMARY)

    assert record.outcome == "incomplete" and record.counted_success is True
    assert rig.home.marker.stat().st_mtime == pytest.approx(rig.clock(), abs=1)
    assert "failure" not in rig.notices.kinds()
    status = rig.of("default")
    assert status.warning is False
    assert status.last_run is not None and status.last_run.outcome == "incomplete"


@pytest.mark.parametrize(
    ("code", "lines", "reason"),
    [
        (10, [], "repository_missing"),
        (11, [], "locked"),
        (12, [], "wrong_password"),
        (1, [], "exit_code"),
        (1, ["Fatal: wrong password or no key found"], "wrong_password"),  # restic 0.14
        (1, ["Is there a repository at the following location?"], "repository_missing"),
        (1, ["unable to create lock in backend: repository is already locked"], "locked"),
        (-9, [], "killed"),
    ],
)
def test_exit_codes_and_messages_of_every_restic_version_name_their_reason(
    rig: Rig, code: int, lines: list[str], reason: str
) -> None:
    record = backup(rig, code, lines=lines)

    assert record.outcome == "failed"
    assert record.reason == reason


def test_a_wrong_password_backs_off_instead_of_retrying_at_once(rig: Rig) -> None:
    rig.idle.set(100)
    rig.step()
    rig.finish(1, lines=["Fatal: wrong password or no key found"])
    rig.advance(30)  # spacing is 0: without backoff a second run would start at once

    # restic never held a lock: no unlock (which would only fail the same way again)
    assert rig.started() == [("default", "backup")]
    assert rig.of("default").unlock_pending is False
    status = rig.of("default")
    assert status.reason == "backoff" and status.consecutive_failures == 1
    failure = next(n for n in rig.notices.notices if n.kind == "failure")
    assert "Wrong repository password" in failure.body
    assert status.next_backup_earliest is not None and status.last_run is not None
    assert status.last_run.ended is not None
    gap = parse_iso(status.next_backup_earliest) - parse_iso(status.last_run.ended)
    assert 55 <= gap <= 62
    rig.advance(60)  # backed off long enough
    assert rig.started()[-1] == ("default", "backup")


def test_missing_restic_is_an_error_with_backoff_not_a_spin(rig: Rig) -> None:
    rig.profile(min_idle_seconds=1, min_seconds_between_backups=0, restic_exe="/none/restic")
    rig.idle.set(100)
    rig.step()
    rig.advance(5)

    records = History(rig.home.history_db).recent(10)
    assert len(records) == 1 and rig.runner.runs == []
    assert (records[0].outcome, records[0].reason) == ("error", "restic_not_found")
    status = rig.of("default")
    assert status.last_run is not None and "restic_exe" in (status.last_run.message or "")
    assert status.reason == "backoff"


def test_an_invalid_configuration_recovers_once_the_file_is_fixed(rig: Rig) -> None:
    rig.step()
    rig.home.settings_json.write_text('{"args": ["backup"], "min_idle_second": 5,}')
    rig.engine.reload()
    rig.idle.set(100)
    rig.step()

    status = rig.of("default")
    assert status.reason == "config_error"
    assert status.config_error and any("line 1, column" in p for p in status.config_error)
    assert rig.runner.runs == []
    with pytest.raises(ConfigInvalid, match="configuration of profile default is invalid"):
        rig.engine.backup("default")
    assert "config" in rig.notices.kinds()

    rig.profile(min_idle_seconds=1)  # fixed: the next look reloads it by itself
    rig.advance(2)
    assert rig.started() == [("default", "backup")]
    assert rig.of("default").config_error is None


def test_a_backup_waiting_for_an_unlock_fails_clearly_if_the_config_breaks_meanwhile(
    rig: Rig,
) -> None:
    write_engine_state(rig.home, EngineState(unlock_needed=True))
    rig.step()
    assert rig.started() == [("default", "unlock")]
    job, _ = rig.engine.backup("default")
    future: concurrent.futures.Future[RunRecord] = concurrent.futures.Future()
    job.waiters.append(future)
    rig.home.settings_json.write_text('{"args": "not a list"}')
    rig.engine.reload()
    rig.finish(0)

    with pytest.raises(ConfigInvalid, match="is invalid"):
        future.result(0)
    assert rig.started() == [("default", "unlock")]


def test_the_warning_notice_is_throttled_across_restarts(rig: Rig, tmp_path: Path) -> None:
    rig.step()
    assert rig.notices.kinds().count("warning") == 1

    again = Rig(tmp_path)  # the same home, a new engine: a restart
    again.clock.now = rig.clock.now + 60
    again.step()
    assert again.notices.kinds() == []
    assert again.of("default").warning is True


def test_no_warning_notice_while_paused_and_one_when_the_pause_ends(rig: Rig) -> None:
    write_pause(rig.home, rig.clock() + 4)
    wake = rig.step()
    assert "warning" not in rig.notices.kinds()
    assert rig.of("default").warning is True
    assert wake <= rig.clock() + 4.1

    rig.advance(4.1)
    assert "warning" in rig.notices.kinds()


def test_a_foreground_engine_without_automatic_backups_never_nags(tmp_path: Path) -> None:
    rig = Rig(tmp_path, automatic=False)
    rig.profile(min_idle_seconds=1)
    rig.idle.set(1000)
    rig.step()
    rig.advance(7200)

    assert rig.notices.kinds() == []
    assert rig.runner.runs == []
    assert rig.of("default").warning is True


def test_a_pause_survives_a_restart_and_resume_removes_it(rig: Rig, tmp_path: Path) -> None:
    until = rig.engine.pause(600)
    assert read_pause(rig.home) == pytest.approx(until, abs=1)
    text = rig.home.pause_until.read_text().strip()
    assert text[-6] in "+-" and text[-3] == ":", "ISO 8601 with a UTC offset"

    again = Rig(tmp_path)
    again.clock.now = rig.clock.now
    again.step()
    assert again.of("default").paused_until == rig.of("default").paused_until
    again.engine.resume()
    assert not rig.home.pause_until.exists()
    assert again.of("default").paused_until is None


def test_status_names_the_snapshot_of_the_last_success_after_a_failure(rig: Rig) -> None:
    good = backup(rig, 0, summary=SUMMARY)
    rig.clock.advance(10)
    bad = backup(rig, 1)

    status = rig.status()
    assert good.outcome == "success" and bad.outcome == "failed"
    assert status.last_success_snapshot == "fa4e0001"
    assert status.last_run is not None and status.last_run.outcome == "failed"
    assert "snapshot fa4e0001" in format_status(status, now=rig.clock()).splitlines()[1]


@pytest.mark.parametrize("wanted", [False, True])
def test_success_is_announced_only_when_notify_success_is_set(rig: Rig, wanted: bool) -> None:
    rig.profile(notify_success=wanted)
    assert backup(rig, 0, summary=SUMMARY).outcome == "success"

    successes = [n for n in rig.notices.notices if n.kind == "success"]
    if wanted:
        assert [n.title for n in successes] == ["Backup completed"]
        # The body says what the backup made; the title alone says it completed.
        assert successes[0].body.startswith("Snapshot fa4e0001: 2 new, 1 changed")
        assert "Backup completed" not in successes[0].body and ".;" not in successes[0].body
    else:
        assert successes == []


def test_a_stopped_backup_is_interrupted_not_a_failure_and_notifies_nothing(rig: Rig) -> None:
    rig.engine.backup("default")
    rig.engine.stop()
    rig.run.finish(130)  # restic 0.14 and 0.19 on SIGINT
    rig.step()

    record = History(rig.home.history_db).recent(5, kind="backup")[0]
    assert record.outcome == "interrupted"
    assert "failure" not in rig.notices.kinds()


def test_restic_018s_exit_1_after_our_own_stop_is_interrupted(rig: Rig) -> None:
    rig.engine.backup("default")
    rig.engine.stop()
    rig.run.finish(1, lines=["Fatal: context canceled"])
    rig.step()

    record = History(rig.home.history_db).recent(5, kind="backup")[0]
    assert record.outcome == "interrupted"

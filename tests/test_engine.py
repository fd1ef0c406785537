"""The engine, deterministic: profiles, the job queue, stops, holds, overdue backups.

Every test drives the real Scheduler with a fake clock and a scripted restic
(tests/engine_rig.py): no thread, no sleep, and the scripted runner fails any
test that would start a second restic while one runs.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from restic_monitor.engine.errors import ConfigInvalid, UnknownProfile
from restic_monitor.engine.queue import Cancelled
from restic_monitor.isotime import parse_iso
from restic_monitor.logfilter import SECRETS
from restic_monitor.policy.backup import STOP_HOLD_SECONDS
from restic_monitor.restic.output import Summary
from restic_monitor.state.files import read_engine_state, read_pause, write_last_success
from restic_monitor.state.history import History

from .engine_rig import FixedIdleSource, Rig
from .first_release import first_release_history

HOUR = 3600.0


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path)


def summary(snapshot: str = "5a5a5a5a") -> Summary:
    return Summary(snapshot, 3, 1, 10, 2048, 4096, 1.0)


def two_profiles(rig: Rig, **cloud: object) -> None:
    rig.profile("default", min_idle_seconds=60, min_seconds_between_backups=HOUR)
    rig.profile(
        "cloud",
        min_idle_seconds=600,
        min_seconds_between_backups=4 * HOUR,
        **cloud,  # type: ignore[arg-type]
    )


# --- profiles and the queue ------------------------------------------------------------


def test_two_profiles_back_up_on_their_own_schedules_one_restic_at_a_time(rig: Rig) -> None:
    two_profiles(rig)
    rig.step()
    assert rig.runner.runs == []  # the user is at the keyboard

    rig.idle.set(60)  # away for a minute: only the default profile's threshold
    rig.step()
    assert rig.started() == [("default", "backup")]
    rig.finish(0, summary=summary())

    rig.advance(540)  # ten minutes away: now the cloud profile is due
    assert rig.started() == [("default", "backup"), ("cloud", "backup")]
    rig.finish(0, summary=summary("c10dc10d"))

    rig.advance(HOUR)  # an hour later: default again (spacing 1 h), cloud not (4 h)
    assert rig.started()[-1] == ("default", "backup")
    rig.finish(0)
    assert rig.of("cloud").reason == "too_soon"
    assert rig.of("default").last_run is not None
    assert rig.of("cloud").last_success_snapshot == "c10dc10d"


def test_each_restic_gets_only_its_own_profiles_environment(rig: Rig) -> None:
    two_profiles(rig)
    rig.engine.backup("cloud")
    env = rig.run.env

    assert env["RESTIC_REPOSITORY"] == "/srv/repos/cloud"
    assert env["RESTIC_PASSWORD"] == "password-of-cloud"
    assert "password-of-default" not in json.dumps(env)
    assert rig.run.plan.log_path == rig.home.profile("cloud").last_log


def test_profiles_due_together_wait_in_the_queue_and_status_shows_it(rig: Rig) -> None:
    rig.profile("default", min_idle_seconds=60)
    rig.profile("cloud", min_idle_seconds=60)
    rig.idle.set(120)
    rig.step()

    status = rig.status()
    assert [(q.kind, q.profile) for q in status.queue] == [("backup", "cloud")]
    assert status.current_job is not None and status.current_job.profile == "default"
    assert rig.of("cloud").reason == "queued" and rig.of("cloud").queued
    assert rig.of("default").running and not rig.of("cloud").running

    rig.finish(0)
    assert rig.started() == [("default", "backup"), ("cloud", "backup")]
    assert rig.status().queue == []


def test_a_queued_automatic_backup_is_dropped_when_the_user_comes_back(rig: Rig) -> None:
    rig.profile("default", min_idle_seconds=60)
    rig.profile("cloud", min_idle_seconds=60)
    rig.idle.set(120)
    rig.step()
    rig.idle.set(0)  # back at the keyboard while the first backup runs

    rig.finish(0)

    assert rig.started() == [("default", "backup")]
    assert rig.status().queue == []
    assert rig.of("cloud").reason == "not_idle"


def test_manual_backup_of_one_profile_touches_only_that_repository(rig: Rig) -> None:
    two_profiles(rig)
    job, already = rig.engine.backup("cloud")
    rig.finish(0, summary=summary())

    assert not already and job.profile == "cloud"
    assert rig.started() == [("cloud", "backup")]
    assert rig.home.profile("cloud").marker.exists()
    assert not rig.home.marker.exists()
    assert rig.of("default").last_run is None


def test_backing_up_every_profile_runs_them_in_turn(rig: Rig) -> None:
    two_profiles(rig)
    for name in list(rig.engine.profiles):
        rig.engine.backup(name)
    rig.finish(0)
    rig.finish(0)

    assert rig.started() == [("default", "backup"), ("cloud", "backup")]
    records = History(rig.home.history_db).recent(10)
    assert {(r.profile, r.kind, r.trigger) for r in records} == {
        ("default", "backup", "manual"),
        ("cloud", "backup", "manual"),
    }


def test_a_second_backup_request_joins_the_queued_or_running_one(rig: Rig) -> None:
    two_profiles(rig)
    rig.engine.backup("default")
    rig.engine.backup("cloud")
    _job, running = rig.engine.backup("default")
    _job, queued = rig.engine.backup("cloud")

    assert running and queued
    assert len(rig.engine.queue) == 1


def test_an_unknown_profile_is_a_clear_error_listing_the_known_ones(rig: Rig) -> None:
    two_profiles(rig)
    with pytest.raises(UnknownProfile, match=r"unknown profile 'clod'.*default, cloud"):
        rig.engine.backup("clod")


def test_an_invalid_profile_is_in_error_while_the_others_go_on(rig: Rig) -> None:
    two_profiles(rig)
    rig.home.profile("cloud").settings_json.write_text('{"args": "backup"}')
    rig.idle.set(HOUR)
    rig.step()

    cloud = rig.of("cloud")
    assert cloud.reason == "config_error"
    assert cloud.config_error and "args" in cloud.config_error[0]
    assert rig.status().config_error is None  # the default profile is fine
    assert rig.started() == [("default", "backup")]
    with pytest.raises(ConfigInvalid, match="profile cloud"):
        rig.engine.backup("cloud")
    assert "restic-monitor: configuration error (cloud)" in rig.notices.titles()


def test_a_profile_added_while_running_is_picked_up_and_a_removed_one_goes(rig: Rig) -> None:
    rig.profile("default")
    rig.step()
    rig.profile("usb", min_idle_seconds=30)
    rig.idle.set(60)
    rig.step()

    assert [p.name for p in rig.status().profiles] == ["default", "usb"]
    assert rig.started() == [("usb", "backup")]
    rig.finish(0)

    import shutil

    shutil.rmtree(rig.home.profile("usb").root)
    rig.step()
    assert [p.name for p in rig.status().profiles] == ["default"]


def test_a_folder_that_cannot_be_a_profile_is_named_in_the_warnings(rig: Rig) -> None:
    rig.profile("default")
    (rig.home.profiles_dir / "My Laptop").mkdir(parents=True)
    rig.step()

    assert any("My Laptop is not a profile" in w for w in rig.status().warnings)


def test_backoff_is_per_profile(rig: Rig) -> None:
    rig.profile("default", min_idle_seconds=60, min_seconds_between_backups=0)
    rig.profile("cloud", min_idle_seconds=60, min_seconds_between_backups=0)
    rig.idle.set(HOUR)
    rig.step()
    rig.finish(1, lines=["Fatal: wrong password or no key found"])  # default fails
    rig.finish(0)  # cloud succeeds (its turn came)

    rig.advance(30)
    assert rig.of("default").reason == "backoff"
    assert rig.of("default").consecutive_failures == 1
    assert rig.of("cloud").consecutive_failures == 0
    assert rig.of("cloud").reason == "running"  # spacing 0: cloud goes again


# --- the stop defect: a stop is respected --------------------------------------------


def test_a_stop_with_an_idle_source_that_cannot_see_the_user_holds_for_an_hour(
    tmp_path: Path,
) -> None:
    rig = Rig(tmp_path, idle=None)
    rig.idle = FixedIdleSource(100_000)
    rig.profile(min_idle_seconds=60, min_seconds_between_backups=0)
    rig.step()
    assert rig.started() == [("default", "backup")]

    assert rig.engine.stop() is True
    assert rig.run.stop_requested
    rig.finish(130)
    rig.finish(0)  # restic unlock after the interrupted run
    wake = rig.advance(0.1)

    assert [w for _, w in rig.started()] == ["backup", "unlock"]  # no restart
    status = rig.of("default")
    assert status.reason == "held_after_stop"
    assert status.hold == "time"
    assert status.hold_until is not None and status.next_backup_earliest is not None
    stopped_at = rig.clock() - 0.1
    assert parse_iso(status.hold_until) == pytest.approx(stopped_at + STOP_HOLD_SECONDS, abs=1)
    assert wake <= stopped_at + STOP_HOLD_SECONDS + 1

    rig.advance(STOP_HOLD_SECONDS - 60)
    assert len(rig.runner.runs) == 2
    rig.advance(61)
    assert rig.started()[-1] == ("default", "backup")


def test_after_a_stop_a_manual_backup_or_resume_ends_the_hold(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.idle = FixedIdleSource(100_000)
    rig.profile(min_idle_seconds=60, min_seconds_between_backups=0)
    rig.step()
    rig.engine.stop()
    rig.finish(130)
    rig.finish(0)
    assert rig.of("default").reason == "held_after_stop"

    rig.engine.resume()
    rig.step()
    assert rig.started()[-1] == ("default", "backup")
    rig.engine.stop()
    rig.finish(130)
    rig.finish(0)
    rig.engine.backup("default")
    assert rig.started()[-1] == ("default", "backup")


def test_a_stop_waits_for_the_user_to_come_back_and_leave_again(rig: Rig) -> None:
    rig.profile(min_idle_seconds=60, min_seconds_between_backups=0)
    rig.idle.set(120)
    rig.step()
    rig.engine.stop()
    rig.finish(130)
    rig.finish(0)

    rig.advance(600)  # still away: no restart
    assert rig.of("default").reason == "waiting_for_activity"
    assert rig.of("default").hold == "activity"
    assert len(rig.runner.runs) == 2

    rig.idle.set(0)  # the user is back...
    rig.step()
    assert rig.of("default").reason == "not_idle"
    rig.advance(60)  # ...and away again
    assert rig.started()[-1] == ("default", "backup")


def test_stopping_one_profile_leaves_the_others_alone(rig: Rig) -> None:
    rig.profile("default", min_idle_seconds=60)
    rig.profile("cloud", min_idle_seconds=60)
    rig.idle.set(120)
    rig.step()

    assert rig.engine.stop("cloud") is True  # only queued: dropped
    assert not rig.run.stop_requested
    rig.finish(0)
    assert rig.started() == [("default", "backup")]
    assert rig.of("cloud").reason == "waiting_for_activity"


def test_a_stop_before_restic_started_leaves_no_history(rig: Rig) -> None:
    rig.profile()
    rig.engine.backup("default")
    waiter = rig.engine.queue.current
    assert waiter is not None
    import concurrent.futures

    future: concurrent.futures.Future[object] = concurrent.futures.Future()
    waiter.waiters.append(future)  # type: ignore[arg-type]
    rig.engine.stop()
    rig.run.finish(None)  # restic never got going
    rig.step()

    assert History(rig.home.history_db).recent(10) == []
    with pytest.raises(Cancelled):
        future.result(0)


def test_a_queued_manual_backup_that_is_stopped_fails_its_waiter(rig: Rig) -> None:
    two_profiles(rig)
    rig.engine.backup("default")
    job, _ = rig.engine.backup("cloud")
    import concurrent.futures

    future: concurrent.futures.Future[object] = concurrent.futures.Future()
    job.waiters.append(future)  # type: ignore[arg-type]

    rig.engine.stop("cloud")
    with pytest.raises(Cancelled, match="stopped before it started"):
        future.result(0)


# --- overdue: backing up although the user is active ---------------------------------


def test_an_overdue_backup_starts_while_the_user_is_active_at_low_priority(rig: Rig) -> None:
    rig.profile(backup_anyway_after_seconds=2 * 86400, low_priority=False)
    write_last_success(rig.home, rig.clock() - 3 * 86400, None)
    rig.step()

    assert rig.started() == [("default", "backup")]
    assert rig.run.plan.low_priority is True
    status = rig.of("default")
    assert status.current_run is not None and status.current_run.trigger == "overdue"
    assert status.reason_text == "backing up although you are active: no backup for 3 days"


def test_overdue_waits_for_the_threshold_and_says_when(rig: Rig) -> None:
    rig.profile(backup_anyway_after_seconds=2 * 86400)
    write_last_success(rig.home, rig.clock() - 86400, None)
    wake = rig.step()

    assert rig.runner.runs == []
    earliest = rig.of("default").next_backup_earliest
    assert earliest is not None
    overdue_at = rig.clock() + 86400
    # the user may leave first (5 min idle), but the engine looks again at the latest then
    assert wake <= overdue_at + 1
    rig.advance(86400 + 1)
    assert rig.started() == [("default", "backup")]


def test_overdue_still_respects_pause_and_battery(rig: Rig) -> None:
    rig.profile(backup_anyway_after_seconds=HOUR, skip_on_battery=True)
    rig.engine.pause(HOUR)
    rig.step()
    assert rig.runner.runs == []
    rig.engine.resume()
    rig.on_battery = True
    rig.step()
    assert rig.runner.runs == []
    rig.on_battery = False
    rig.step()
    assert rig.started() == [("default", "backup")]


def test_overdue_waits_an_hour_after_a_stop_even_while_the_user_is_active(rig: Rig) -> None:
    rig.profile(backup_anyway_after_seconds=HOUR, min_seconds_between_backups=0)
    rig.step()
    assert rig.started() == [("default", "backup")]
    rig.engine.stop()
    rig.finish(130)
    rig.finish(0)

    for minutes in (1, 30, 59):  # the user keeps working
        rig.clock.advance(minutes * 60 - (rig.clock() - rig.runner.runs[0].started))
        rig.idle.set(0)
        rig.step()
        assert len(rig.runner.runs) == 2, minutes
    rig.clock.advance(61 * 60 - (rig.clock() - rig.runner.runs[0].started))
    rig.idle.set(0)
    rig.step()
    assert len(rig.runner.runs) == 3
    assert rig.run.plan.low_priority


# --- locks, unlocks and recovery --------------------------------------------------------


def test_a_failed_backup_is_followed_by_an_unlock_recorded_in_history(rig: Rig) -> None:
    rig.profile()
    rig.engine.backup("default")
    rig.finish(1, lines=["Fatal: something broke"])

    assert rig.started() == [("default", "backup"), ("default", "unlock")]
    assert read_engine_state(rig.home).unlock_needed is True
    rig.finish(0)
    assert read_engine_state(rig.home).unlock_needed is False
    kinds = [(r.kind, r.outcome) for r in History(rig.home.history_db).recent(5)]
    assert kinds == [("unlock", "success"), ("backup", "failed")]
    assert rig.of("default").last_run is not None
    assert rig.of("default").last_run.kind == "backup"  # type: ignore[union-attr]


def test_an_unreachable_repository_is_unlocked_before_the_next_backup_not_now(
    rig: Rig,
) -> None:
    rig.profile()
    rig.engine.backup("default")
    rig.finish(1, lines=["Fatal: dial tcp: connection refused"])

    assert rig.runner.current is None  # no unlock against a server that is gone
    assert rig.of("default").unlock_pending
    rig.engine.backup("default")
    assert rig.started()[-1] == ("default", "unlock")
    rig.finish(0)
    assert rig.started()[-1] == ("default", "backup")


def test_a_run_the_monitor_never_finished_is_recorded_and_its_restic_stopped(
    rig: Rig,
) -> None:
    rig.profile()
    history = History(rig.home.history_db)
    run_id = history.start(rig.clock() - 100, "idle", "backup", "default")
    history.update(run_id, pid=4242, pid_started=123.0)

    rig.step()

    record = next(r for r in history.recent(5) if r.id == run_id)
    assert record.outcome == "interrupted" and record.reason == "monitor_stopped"
    assert rig.started() == [("default", "unlock")]
    assert rig.run.plan.orphans == ((4242, 123.0),)


def test_a_crashed_monitors_restic_of_any_profile_is_stopped_before_the_first_job(
    rig: Rig,
) -> None:
    rig.profile("default")
    rig.profile("cloud")
    history = History(rig.home.history_db)
    history.start(rig.clock() - 200, "idle", "backup", "default")  # no pid recorded
    run_id = history.start(rig.clock() - 100, "idle", "backup", "cloud")
    history.update(run_id, pid=4242, pid_started=123.0)

    rig.step()

    first = rig.runner.runs[0]
    assert first.env["RESTIC_REPOSITORY"] == "/srv/repos/default"
    assert first.plan.orphans == ((4242, 123.0),)  # cloud's, stopped before default's job
    rig.finish(0)
    assert rig.run.plan.orphans == ()


def test_the_monitor_starts_even_when_the_history_cannot_record_a_crashed_run(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    from restic_monitor.state.history import HistoryUnavailable

    rig.profile()
    History(rig.home.history_db).start(rig.clock() - 100, "idle", "backup", "default")

    def busy(*_args: object, **_kw: object) -> None:
        raise HistoryUnavailable("database is locked")

    monkeypatch.setattr(History, "update", busy)
    rig.step()

    assert rig.started() == [("default", "unlock")]


def test_upgrading_keeps_the_earlier_releases_history(rig: Rig) -> None:
    rig.profile()
    db = rig.home.history_db
    now = rig.clock()
    first_release_history(
        db,
        [
            {"started": now - 7200, "ended": now - 7190, "trigger": "idle", "exit_code": 1,
             "outcome": "failed", "reason": "wrong_password"},
            {"started": now - 1800, "ended": now - 1790, "trigger": "manual", "exit_code": 0,
             "outcome": "success", "reason": "ok", "counted_success": 1,
             "snapshot_id": "abcdef12", "data_added": 1000},
        ],
    )  # fmt: skip

    status = rig.of("default")

    records = History(db).recent(10)
    assert [(r.kind, r.profile, r.outcome) for r in records] == [
        ("backup", "default", "success"),
        ("backup", "default", "failed"),
    ]
    assert status.last_run is not None and status.last_run.snapshot_id == "abcdef12"
    assert status.reason == "too_soon"  # spacing counts from the old record


# --- pause, warnings and notices -------------------------------------------------------


def test_pause_of_one_profile_persists_in_its_own_folder(rig: Rig) -> None:
    two_profiles(rig)
    until = rig.engine.pause(HOUR, "cloud")

    assert read_pause(rig.home.profile("cloud")) == pytest.approx(until, abs=1)
    assert read_pause(rig.home) is None
    rig.step()
    assert rig.of("cloud").reason == "paused" and rig.of("cloud").hold is None
    assert rig.of("default").paused is False


def test_pause_stops_the_running_backup_without_a_hold(rig: Rig) -> None:
    rig.profile(min_idle_seconds=60, min_seconds_between_backups=0)
    rig.idle.set(HOUR)
    rig.step()
    rig.engine.pause(600)
    assert rig.run.stop_requested
    rig.finish(130)
    rig.finish(0)
    rig.advance(601)

    assert rig.started()[-1] == ("default", "backup")  # the pause said until when


def test_warnings_are_per_profile_hourly_and_name_the_profile(rig: Rig) -> None:
    two_profiles(rig)
    write_last_success(rig.home, rig.clock() - 3600, None)  # default is fine
    rig.step()
    assert rig.notices.titles() == ["No recent backup (cloud)"]
    rig.advance(1800)
    assert rig.notices.titles() == ["No recent backup (cloud)"]
    rig.advance(1801)
    assert rig.notices.titles() == ["No recent backup (cloud)"] * 2
    assert rig.of("default").warning is False and rig.of("cloud").warning is True


def test_a_one_profile_home_keeps_its_notice_titles(rig: Rig) -> None:
    rig.profile()
    rig.engine.backup("default")
    rig.finish(1, lines=["Fatal: wrong password or no key found"])

    assert "Backup failed" in rig.notices.titles()
    assert "No recent backup" in rig.notices.titles()


def test_a_repeated_automatic_failure_notifies_once_per_streak(rig: Rig) -> None:
    rig.profile(min_idle_seconds=60, min_seconds_between_backups=0)
    rig.idle.set(HOUR)
    rig.step()
    for _ in range(3):
        rig.finish(1, lines=["Fatal: wrong password or no key found"])
        rig.advance(6 * HOUR)

    assert rig.notices.titles().count("Backup failed") == 1
    assert rig.of("default").consecutive_failures == 3


def test_the_first_automatic_failure_after_a_restart_is_notified(tmp_path: Path) -> None:
    before = Rig(tmp_path)
    before.profile(min_idle_seconds=60, min_seconds_between_backups=0)
    before.idle.set(HOUR)
    before.step()
    before.finish(1, lines=["Fatal: wrong password or no key found"])
    assert before.notices.titles().count("Backup failed") == 1

    after = Rig(tmp_path)  # the app restarted: same home, same history, a new process
    after.idle.set(HOUR)
    after.clock.advance(6 * HOUR)
    after.step()
    after.finish(1, lines=["Fatal: wrong password or no key found"])
    after.advance(6 * HOUR)
    after.finish(1, lines=["Fatal: wrong password or no key found"])

    # Its notice may have gone with the session it was shown in: tell once more, once.
    assert after.notices.titles().count("Backup failed") == 1
    assert after.of("default").consecutive_failures == 3


def test_each_profiles_secrets_stay_masked_in_the_log_once_both_are_loaded(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    two_profiles(rig)
    rig.step()
    logger = logging.getLogger("restic_monitor.test")
    logger.addFilter(SECRETS)
    try:
        with caplog.at_level(logging.INFO):
            logger.info("leak: password-of-default and password-of-cloud")
    finally:
        logger.removeFilter(SECRETS)
    assert "password-of" not in caplog.text
    assert "leak: *** and ***" in caplog.text


# --- time ------------------------------------------------------------------------------


def test_a_clock_jumping_back_during_a_pause_keeps_the_pause(rig: Rig) -> None:
    rig.profile(min_idle_seconds=1, min_seconds_between_backups=0)
    until = rig.engine.pause(600)
    rig.clock.jump(-3 * HOUR)
    rig.step()

    assert rig.runner.runs == []
    status = rig.of("default")
    assert status.paused and status.paused_until is not None
    assert parse_iso(status.paused_until) == pytest.approx(until, abs=1)


def test_a_clock_jumping_back_does_not_silence_the_warning_for_the_jump(rig: Rig) -> None:
    rig.profile(min_idle_seconds=HOUR, no_backup_warning_seconds=5)
    write_last_success(rig.home, rig.clock() - 100, "abc")
    rig.clock.jump(-86400)  # a day back: the last success now lies in the future
    rig.step()
    assert rig.of("default").warning is False
    rig.advance(6)
    assert rig.of("default").warning is True


def test_the_next_look_is_exactly_when_the_answer_can_change(rig: Rig) -> None:
    rig.profile(min_idle_seconds=300)
    write_last_success(rig.home, rig.clock() - 60, None)
    rig.idle.set(100)

    wake = rig.step()

    assert wake == pytest.approx(rig.clock() + 200, abs=0.05)
    rig.clock.advance(wake - rig.clock())
    rig.step()
    assert rig.started() == [("default", "backup")]


def test_a_stalled_backup_is_announced_once(rig: Rig) -> None:
    rig.profile(stall_seconds=300)
    rig.engine.backup("default")
    rig.run.seconds_since_progress = 100
    assert rig.step() <= rig.clock() + 200.1
    rig.run.seconds_since_progress = 301
    rig.step()
    rig.step()

    assert rig.notices.titles().count("Backup stalled") == 1
    assert rig.status().current_job is not None
    assert rig.status().current_job.stalled  # type: ignore[union-attr]


def test_no_double_start_when_the_clock_jumps_forward_mid_backup(rig: Rig) -> None:
    rig.profile(min_idle_seconds=1, min_seconds_between_backups=HOUR)
    rig.idle.set(100)
    rig.step()
    rig.clock.jump(2 * HOUR)  # resume after a long sleep, in the middle of the run
    rig.step()  # (the scripted runner would fail on a second start)
    rig.finish(0)

    # Spacing counts from the start: two hours later another run is due, one at a time.
    assert rig.started() == [("default", "backup"), ("default", "backup")]


def test_after_sleeping_through_a_pause_the_engine_replans_from_the_new_time(rig: Rig) -> None:
    rig.idle = FixedIdleSource(100)
    rig.profile(min_idle_seconds=1, min_seconds_between_backups=HOUR)
    rig.engine.pause(HOUR)
    rig.step()
    assert rig.of("default").reason == "paused" and rig.runner.runs == []

    rig.clock.jump(2 * HOUR)  # two hours of sleep: the pause ended meanwhile
    rig.step()  # what the resume watcher's wake-up does

    assert rig.started() == [("default", "backup")]
    rig.finish(0)
    rig.step()
    assert len(rig.runner.runs) == 1, "no second start after the jump"
    assert rig.of("default").paused is False


def test_on_battery_waits_for_mains_power_and_looks_again_in_a_minute(rig: Rig) -> None:
    rig.idle = FixedIdleSource(100)
    rig.profile(min_idle_seconds=1, skip_on_battery=True)
    rig.on_battery = True
    wake = rig.step()

    assert rig.runner.runs == [] and rig.of("default").reason == "on_battery"
    assert wake <= rig.clock() + 60.1
    rig.on_battery = False
    rig.advance(60)
    assert rig.started() == [("default", "backup")]


def test_the_battery_is_ignored_unless_skip_on_battery(rig: Rig) -> None:
    rig.idle = FixedIdleSource(100)
    rig.profile(min_idle_seconds=1)
    rig.on_battery = True
    rig.step()

    assert rig.started() == [("default", "backup")]


def test_an_unusable_history_never_stops_backups_nor_allows_a_second_start(rig: Rig) -> None:
    rig.idle = FixedIdleSource(100)
    rig.profile(min_idle_seconds=1, min_seconds_between_backups=HOUR)
    rig.home.history_db.mkdir()  # sqlite cannot open a folder: like a broken disk
    rig.step()
    rig.finish(0, summary=summary())
    rig.advance(600)

    assert len(rig.runner.runs) == 1, "spacing still holds without the database"
    status = rig.of("default")
    assert status.last_run is not None and status.last_run.outcome == "success"
    assert status.last_success is not None
    assert any("run history" in w for w in rig.status().warnings)


def test_a_queued_backup_due_only_as_overdue_runs_at_low_priority(rig: Rig) -> None:
    rig.profile("default", min_idle_seconds=60)
    rig.profile("cloud", min_idle_seconds=60, backup_anyway_after_seconds=HOUR)
    rig.idle.set(120)
    rig.step()  # both queued as idle backups; default runs
    rig.idle.set(0)  # the user is back: cloud is now due only because it is overdue
    rig.finish(0)

    assert rig.started()[-1] == ("cloud", "backup")
    assert rig.run.plan.low_priority is True
    assert rig.of("cloud").current_run.trigger == "overdue"  # type: ignore[union-attr]


def test_pausing_every_profile_gives_each_its_own_pause_length(rig: Rig) -> None:
    rig.profile("default", pause_seconds=600)
    rig.profile("cloud", pause_seconds=86400)
    until = rig.engine.pause(None)

    assert read_pause(rig.home) == pytest.approx(rig.clock() + 600, abs=1)
    assert read_pause(rig.home.profile("cloud")) == pytest.approx(rig.clock() + 86400, abs=1)
    assert until == pytest.approx(rig.clock() + 86400, abs=1)


def test_a_backup_clearing_stale_locks_first_is_shown_as_running(rig: Rig) -> None:
    from restic_monitor.state.files import EngineState, write_engine_state

    rig.profile()
    write_engine_state(rig.home, EngineState(unlock_needed=True))
    rig.step()
    rig.finish(1, lines=["Fatal: unable to open config file"])  # the recovery unlock fails
    rig.engine.backup("default")

    status = rig.status()
    assert rig.started()[-1] == ("default", "unlock")
    assert status.running is True and status.maintenance == "unlock"
    assert status.current_run is not None and status.current_run.trigger == "manual"
    assert status.reason == "running"


def test_a_job_whose_restic_cannot_be_started_does_not_block_the_queue(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    two_profiles(rig)
    real_start = rig.runner.start
    calls: list[int] = []

    def broken_once(*args: object, **kw: object) -> object:
        if not calls:
            calls.append(1)
            raise RuntimeError("can't start new thread")
        return real_start(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(rig.runner, "start", broken_once)
    rig.engine.backup("default")
    rig.engine.backup("cloud")
    rig.step()

    assert rig.started() == [("cloud", "backup")]
    record = History(rig.home.history_db).recent(5, profile="default")[0]
    assert (record.outcome, record.reason) == ("error", "internal_error")


def test_a_run_masks_the_other_profiles_secrets_too(rig: Rig) -> None:
    two_profiles(rig)
    rig.engine.backup("default")

    redactor = rig.run.plan.command.redactor
    assert redactor.text("x password-of-cloud y password-of-default") == "x *** y ***"


def test_a_stop_is_respected_across_a_restart_of_the_monitor(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.idle = FixedIdleSource(100_000)
    rig.profile(min_idle_seconds=60, min_seconds_between_backups=0)
    rig.step()
    rig.engine.stop()
    rig.finish(130)
    rig.finish(0)

    again = Rig(tmp_path)  # the same home: the monitor restarted ten minutes later
    again.idle = FixedIdleSource(100_000)
    again.clock.now = rig.clock.now + 600
    again.step()
    assert again.runner.runs == []
    status = again.of("default")
    assert status.reason == "held_after_stop"
    assert status.hold_until is not None
    assert parse_iso(status.hold_until) == pytest.approx(rig.clock() + STOP_HOLD_SECONDS, abs=2)
    again.advance(STOP_HOLD_SECONDS - 600 + 1)
    assert again.started() == [("default", "backup")]


def test_a_queued_job_can_be_dropped_without_stopping_the_running_one(rig: Rig) -> None:
    two_profiles(rig)
    rig.engine.backup("default")
    rig.engine.backup("cloud")

    assert rig.engine.stop(queued_only=True) is True

    assert not rig.run.stop_requested
    assert rig.status().queue == []
    rig.finish(0)
    assert rig.started() == [("default", "backup")]

"""Repository maintenance, deterministic: when forget, prune and check run, and what they say.

The real Scheduler with a scripted restic and a fake clock (tests/engine_rig.py);
the output lines given to the scripted runs are those the real restic 0.14 to
0.19 print (the real-repository tests are in test_maintenance_real.py).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from restic_monitor.config.files import ConfigError
from restic_monitor.config.profile import load_config
from restic_monitor.engine.errors import NothingToDo
from restic_monitor.isotime import parse_iso
from restic_monitor.state.files import read_engine_state
from restic_monitor.state.history import History

from .engine_rig import Rig

HOUR = 3600.0
DAY = 86400.0
FORGET_014 = [
    "Applying Policy: keep 1 latest snapshots",
    "keep 1 snapshots:",
    "ID        Time                 Host        Tags        Reasons        Paths",
    "1 snapshots",
    "remove 2 snapshots:",
    "ID        Time                 Host        Tags        Paths",
    "2 snapshots",
]
PRUNE_019 = [
    "to delete:             6 blobs / 391.958 KiB",
    "total prune:           6 blobs / 391.958 KiB",
    "remaining:             5 blobs / 586.698 KiB",
    "removing 4 old packs",
    "done",
]
CHECK_DAMAGED_019 = [
    "read all data",
    "pack fda933ff contains 2 errors: [blob 957b59a0: decrypting blob failed: ciphertext "
    "verification failed unexpected pack id 1356866b]",
    "The repository contains damaged pack files. These damaged files must be removed to "
    "repair the repository.",
    "Fatal: repository contains errors",
]
CHECK_DAMAGED_014 = [
    "read all data",
    "Pack ID does not match, want fda933ff, got 1356866b",
    "Fatal: repository contains errors",
]


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path)


def policy(rig: Rig, name: str = "default", **settings: object) -> None:
    values: dict[str, object] = {
        "min_idle_seconds": 60,
        "min_seconds_between_backups": DAY,
        "forget_args": ["--keep-last", "1"],
        "check_every_seconds": 7 * DAY,
    }
    values.update(settings)
    rig.profile(name, **values)  # type: ignore[arg-type]


def away_and_backed_up(rig: Rig) -> None:
    rig.idle.set(HOUR)
    rig.step()
    assert rig.started()[-1][1] == "backup"
    rig.finish(0)


def test_a_new_retention_policy_applies_the_first_time_the_user_is_away(rig: Rig) -> None:
    policy(rig)
    rig.step()
    assert rig.runner.runs == []  # the user is there: nothing, not even maintenance

    away_and_backed_up(rig)  # the backup first, then what is due: all three never ran
    assert rig.started()[-1] == ("default", "forget")
    host = socket.gethostname()
    assert rig.run.argv[1:] == ("forget", "--host", host, "--keep-last", "1")
    rig.finish(0, lines=FORGET_014)
    assert rig.started()[-1] == ("default", "prune")
    rig.finish(0, lines=PRUNE_019)
    assert rig.started()[-1] == ("default", "check")
    assert rig.run.argv[1:] == ("check", "--read-data-subset", "2%")
    rig.finish(0, lines=["no errors were found"])

    records = {r.kind: r for r in History(rig.home.history_db).recent(10)}
    assert (records["forget"].snapshots_kept, records["forget"].snapshots_removed) == (1, 2)
    assert records["forget"].message == "Forget completed: 1 snapshots kept, 2 removed."
    assert records["prune"].bytes_freed == round(391.958 * 1024)
    assert records["prune"].packs_removed == 4
    assert records["check"].errors_found == 0
    maintenance = rig.of("default").maintenance
    assert maintenance.forget.last is not None and maintenance.forget.last.outcome == "success"
    assert maintenance.forget.next_due is not None
    assert parse_iso(maintenance.forget.next_due) == pytest.approx(rig.clock() + DAY, abs=5)
    assert parse_iso(maintenance.check.next_due or "") == pytest.approx(
        rig.clock() + 7 * DAY, abs=5
    )


def test_each_kind_runs_at_most_once_per_interval(rig: Rig) -> None:
    policy(rig, forget_every_seconds=DAY, prune_every_seconds=0, check_every_seconds=0)
    away_and_backed_up(rig)
    rig.finish(0, lines=FORGET_014)
    assert rig.runner.current is None

    rig.advance(DAY - 60)
    assert [w for _, w in rig.started()].count("forget") == 1
    rig.advance(61)  # a day after the last forget started (no backup due: spacing is a day)
    assert rig.started()[-1] == ("default", "backup")
    rig.finish(0)
    assert rig.started()[-1] == ("default", "forget")


def test_maintenance_waits_for_the_user_to_be_away_and_never_runs_while_paused(
    rig: Rig,
) -> None:
    policy(rig)
    rig.idle.set(30)  # not away long enough (min_idle_seconds = 60)
    wake = rig.step()
    assert rig.runner.runs == []
    assert wake <= rig.clock() + 30.1

    rig.engine.pause(HOUR)
    rig.advance(40)
    assert rig.runner.runs == []
    assert rig.of("default").maintenance.forget.next_due is not None  # due, waiting


def test_without_a_retention_policy_nothing_is_forgotten_or_pruned(rig: Rig) -> None:
    policy(rig, forget_args=[], check_every_seconds=0)
    away_and_backed_up(rig)

    assert rig.runner.current is None
    maintenance = rig.of("default").maintenance
    assert maintenance.forget.next_due is None and maintenance.prune.next_due is None
    with pytest.raises(NothingToDo, match="no retention policy"):
        rig.engine.request("forget", "default")
    rig.engine.request("prune", "default")  # asked for: it runs all the same
    assert rig.started()[-1] == ("default", "prune")


def test_a_failed_check_backs_off_separately_and_never_delays_backups(rig: Rig) -> None:
    policy(rig, forget_args=[], min_seconds_between_backups=HOUR / 2)
    away_and_backed_up(rig)
    assert rig.started()[-1] == ("default", "check")
    rig.finish(1, lines=["Fatal: load index 6b2e0c1f failed"])
    rig.finish(0)  # the unlock after it

    rig.advance(HOUR / 2 + 1)  # the next backup is due: it runs; the check waits its backoff
    assert rig.started()[-1] == ("default", "backup")
    rig.finish(0)
    assert rig.runner.current is None
    rig.advance(HOUR / 2)  # an hour after the failed check: its first backoff step
    assert rig.started()[-1] == ("default", "backup")  # the backup is due again too
    rig.finish(0)
    assert rig.started()[-1] == ("default", "check")
    assert rig.of("default").consecutive_failures == 0


@pytest.mark.parametrize("lines", [CHECK_DAMAGED_014, CHECK_DAMAGED_019], ids=["0.14", "0.19"])
def test_a_check_that_finds_errors_is_red_notified_once_until_a_check_passes(
    rig: Rig, lines: list[str]
) -> None:
    policy(rig, forget_args=[], check_every_seconds=HOUR, min_seconds_between_backups=HOUR)
    away_and_backed_up(rig)
    rig.finish(1, lines=lines)

    record = History(rig.home.history_db).recent(1, kind="check")[0]
    assert (record.outcome, record.reason) == ("failed", "check_errors")
    assert record.errors_found == (2 if lines is CHECK_DAMAGED_019 else 1)
    assert "found errors" in (record.message or "")
    assert rig.of("default").check_errors is True
    assert read_engine_state(rig.home).check_errors is True
    assert rig.notices.titles().count("Repository check found errors") == 1
    assert rig.runner.current is None  # a check that ran to its end left no lock

    rig.advance(HOUR + 1)
    assert rig.started()[-1] == ("default", "backup")
    rig.finish(0)
    rig.finish(1, lines=lines)  # still damaged: no second notice
    assert rig.notices.titles().count("Repository check found errors") == 1

    rig.advance(2 * HOUR + 1)
    rig.finish(0)  # the backup
    rig.finish(0, lines=["no errors were found"])
    assert rig.of("default").check_errors is False
    assert rig.started()[-1] == ("default", "check")


def test_a_backup_asked_for_during_a_prune_waits_and_then_runs(rig: Rig) -> None:
    policy(rig, check_every_seconds=0)
    rig.engine.request("prune", "default")
    rig.engine.backup("default")

    assert rig.started() == [("default", "prune")]
    assert [(q.kind, q.profile) for q in rig.status().queue] == [("backup", "default")]
    rig.finish(0, lines=PRUNE_019)
    assert rig.started()[-1] == ("default", "backup")


def test_a_stopped_prune_is_interrupted_and_its_lock_cleared(rig: Rig) -> None:
    policy(rig, check_every_seconds=0)
    rig.engine.request("prune", "default")
    rig.engine.stop()
    rig.finish(130)

    record = History(rig.home.history_db).recent(1, kind="prune")[0]
    assert record.outcome == "interrupted"
    assert record.message == "Prune was stopped before it ended."
    assert rig.started()[-1] == ("default", "unlock")
    rig.finish(0)
    assert read_engine_state(rig.home).unlock_needed is False


def test_stale_locks_are_cleared_before_a_prune(rig: Rig) -> None:
    from restic_monitor.state.files import EngineState, write_engine_state

    policy(rig, check_every_seconds=0)
    write_engine_state(rig.home, EngineState(unlock_needed=True))
    rig.step()
    rig.finish(1, lines=["Fatal: wrong password or no key found"])  # the recovery unlock
    rig.engine.request("prune", "default")

    assert rig.started()[-2:] == [("default", "unlock"), ("default", "unlock")]
    rig.finish(0)
    assert rig.started()[-1] == ("default", "prune")


def test_a_failed_forget_is_notified_like_a_failed_backup(rig: Rig) -> None:
    policy(rig, check_every_seconds=0, prune_every_seconds=0)
    away_and_backed_up(rig)
    rig.finish(1, lines=["Fatal: wrong password or no key found"])

    assert "Forget failed" in rig.notices.titles()
    record = History(rig.home.history_db).recent(1, kind="forget")[0]
    assert (record.outcome, record.reason) == ("failed", "wrong_password")


def test_an_explicit_host_or_grouping_is_left_as_the_user_wrote_it(rig: Rig) -> None:
    policy(rig, forget_args=["--group-by", "paths", "--keep-daily", "7"], check_every_seconds=0)
    rig.engine.request("forget", "default")
    assert rig.run.argv[1:] == ("forget", "--group-by", "paths", "--keep-daily", "7")
    rig.finish(0)

    rig.profile("laptop", args=["backup", "--host", "ana-laptop", "/d"], forget_args=["-l", "3"])
    rig.step()  # the new profile is found at the next look
    rig.engine.request("forget", "laptop")
    assert rig.run.argv[1:] == ("forget", "--host", "ana-laptop", "-l", "3")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("forget_args", ["--keep-dayly", "7"], "did you mean --keep-daily?"),
        ("forget_args", ["--keep-daily"], "--keep-daily needs a value"),
        ("forget_args", ["latest"], "'latest' is not an option"),
        ("forget_args", ["--prune"], "prune runs on its own schedule"),
        ("prune_args", ["--keep-last", "1"], "not an option of restic prune"),
        ("check_args", ["--json"], "restic-monitor reads restic's output itself"),
        ("check_args", "--read-data", "expected a list of strings"),
    ],
)
def test_maintenance_options_are_checked_and_the_problem_names_the_setting(
    rig: Rig, key: str, value: object, message: str
) -> None:
    rig.profile(**{key: value})  # type: ignore[arg-type]
    with pytest.raises(ConfigError) as caught:
        load_config(rig.home)

    (problem,) = caught.value.problems
    assert problem.key == key and message in problem.message
    assert str(rig.home.settings_json) in str(problem)


def test_dry_run_is_honoured_and_said(rig: Rig) -> None:
    policy(rig, forget_args=["--keep-last", "1", "--dry-run"], check_every_seconds=0)
    rig.engine.request("forget", "default")
    assert "--dry-run" in rig.run.argv
    rig.finish(0, lines=FORGET_014)

    record = History(rig.home.history_db).recent(1, kind="forget")[0]
    assert record.message is not None and "dry run: nothing removed" in record.message


# --- mirrors -------------------------------------------------------------------------


def mirrored(rig: Rig, **settings: object) -> None:
    policy(rig, "default", forget_args=[], check_every_seconds=0, copy_to_profile="usb", **settings)
    policy(rig, "usb", forget_args=[], check_every_seconds=0, min_idle_seconds=86400)


def test_after_each_successful_backup_the_new_snapshots_go_to_the_mirror(rig: Rig) -> None:
    mirrored(rig)
    away_and_backed_up(rig)

    assert rig.started()[-1] == ("usb", "copy")  # restic runs against the mirror's repository
    env = rig.run.env
    assert env["RESTIC_REPOSITORY"] == "/srv/repos/usb"
    assert env["RESTIC_PASSWORD"] == "password-of-usb"
    assert env["RESTIC_FROM_REPOSITORY"] == "/srv/repos/default"
    assert env["RESTIC_FROM_PASSWORD"] == "password-of-default"
    assert rig.run.argv[1:] == ("copy",)  # no location and no password on the command line
    rig.finish(0, lines=["snapshot 7d06828b of [/data] at 2026-12-02", "snapshot ab44f444 saved"])

    record = History(rig.home.history_db).recent(1, kind="copy")[0]
    assert (record.profile, record.outcome, record.snapshots_copied) == ("default", "success", 1)
    assert record.message == "Mirror usb up to date: 1 snapshots copied."
    mirror = rig.of("default").mirror
    assert mirror is not None and mirror.to == "usb" and mirror.behind is False
    rig.advance(60)
    assert [w for _, w in rig.started()].count("copy") == 1  # nothing new to copy


def test_a_mirror_that_falls_behind_shows_like_a_stale_backup(rig: Rig) -> None:
    mirrored(rig, no_backup_warning_seconds=DAY, min_seconds_between_backups=HOUR)
    away_and_backed_up(rig)
    rig.finish(1, lines=["Fatal: unable to open repository at /srv/repos/usb: no such host"])

    rig.advance(HOUR)  # the copy keeps failing (with its backoff), the backups go on
    for _ in range(30):
        if rig.runner.current is None:
            rig.advance(HOUR)
            continue
        run = rig.run
        if run.argv[1] == "copy":
            rig.finish(1, lines=["Fatal: unable to open repository: dial tcp: no such host"])
        else:
            rig.finish(0)
    mirror = rig.of("default").mirror
    assert mirror is not None and mirror.behind is True
    assert mirror.message == "Mirror usb: never copied"
    assert rig.of("default").warning is False  # the backups themselves are fine
    assert rig.of("default").last_success is not None


def test_a_mirror_that_names_no_usable_profile_is_said_and_backups_go_on(rig: Rig) -> None:
    policy(rig, "default", forget_args=[], check_every_seconds=0, copy_to_profile="usbb")
    away_and_backed_up(rig)

    assert rig.runner.current is None  # no copy: there is no such mirror
    warnings = rig.of("default").warnings
    assert any("copy_to_profile 'usbb'" in w and "no such profile" in w for w in warnings)
    assert str(rig.home.settings_json) in warnings[0]

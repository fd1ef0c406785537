"""Table-driven and property tests for the pure decision core (restic_monitor.policy)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from restic_monitor.config.settings import Settings
from restic_monitor.policy.backoff import (
    BACKOFF_CAP_SECONDS,
    MIN_BACKOFF_BASE_SECONDS,
    backoff_seconds,
)
from restic_monitor.policy.backup import (
    HOLD_MIN_PROBE,
    IDLE_UNKNOWN_RECHECK,
    Decision,
    Facts,
    Reason,
    decide,
    earliest_by_spacing,
)
from restic_monitor.policy.memory import ACTIVITY_TOLERANCE, FutureAnchor, activity_seen
from restic_monitor.policy.warning import WARNING_NOTICE_INTERVAL, warning_active

NOW = 1_700_000_000.0
HOUR = 3600.0
DAY = 86400.0
MIN_IDLE = 300.0
SPACING = 3600.0
WARN_AFTER = DAY
#: Far enough in the past that the warning never interferes with the case under test.
RECENT_SUCCESS = NOW - 60.0
#: When the warning for RECENT_SUCCESS becomes due (what decide wakes for when nothing else is).
WARN_WAKE = RECENT_SUCCESS + WARN_AFTER + 0.001


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "min_idle_seconds": MIN_IDLE,
        "min_seconds_between_backups": SPACING,
        "no_backup_warning_seconds": WARN_AFTER,
    }
    values.update(overrides)
    return Settings(args=("backup",), **values)


def make_facts(**overrides: Any) -> Facts:
    """Facts of a machine that could back up right now (user away, nothing pending)."""
    values: dict[str, Any] = {"now": NOW, "idle": 10_000.0, "last_success": RECENT_SUCCESS}
    values.update(overrides)
    return Facts(**values)


# --- backoff_seconds -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spacing", "failures", "expected"),
    [
        pytest.param(3600, 0, 3600, id="no-failure-is-plain-spacing"),
        pytest.param(3600, -1, 3600, id="negative-failures-is-plain-spacing"),
        pytest.param(3600, 1, 3600, id="first-failure-keeps-spacing"),
        pytest.param(3600, 2, 7200, id="second-failure-doubles"),
        pytest.param(3600, 3, 14400, id="third-failure-doubles-again"),
        pytest.param(3600, 4, BACKOFF_CAP_SECONDS, id="fourth-failure-hits-cap"),
        pytest.param(3600, 5, BACKOFF_CAP_SECONDS, id="capped-at-six-hours"),
        pytest.param(3600, 10_000, BACKOFF_CAP_SECONDS, id="huge-failure-count-capped"),
        pytest.param(0, 0, 0, id="spacing-zero-no-failure-no-wait"),
        pytest.param(0, 1, 60, id="spacing-zero-first-failure-waits-a-minute"),
        pytest.param(0, 2, 120, id="spacing-zero-second-failure-two-minutes"),
        pytest.param(0, 3, 240, id="spacing-zero-third-failure-four-minutes"),
        pytest.param(0, 100, BACKOFF_CAP_SECONDS, id="spacing-zero-capped"),
        pytest.param(30, 1, 60, id="short-spacing-raised-to-one-minute-base"),
        pytest.param(30, 0, 30, id="short-spacing-without-failure-unchanged"),
        pytest.param(10 * 3600, 1, 10 * 3600, id="spacing-above-cap-never-shortened"),
        pytest.param(10 * 3600, 50, 10 * 3600, id="spacing-above-cap-stays-spacing"),
        pytest.param(5 * 3600, 2, BACKOFF_CAP_SECONDS, id="doubling-capped-above-spacing"),
    ],
)
def test_backoff_seconds_table(spacing: float, failures: int, expected: float) -> None:
    got = backoff_seconds(make_settings(min_seconds_between_backups=spacing), failures)
    assert got == expected


def test_backoff_spacing_zero_never_busy_loops_after_failure() -> None:
    s = make_settings(min_seconds_between_backups=0)
    for failures in range(1, 40):
        assert backoff_seconds(s, failures) >= MIN_BACKOFF_BASE_SECONDS


# --- earliest_by_spacing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts_kw", "expected"),
    [
        pytest.param({}, None, id="never-started-no-limit"),
        pytest.param({"failures": 3}, None, id="never-started-with-failures-no-limit"),
        pytest.param({"last_started": NOW - 1000}, NOW - 1000 + SPACING, id="spacing-from-start"),
        pytest.param(
            {"last_started": NOW - 1000, "last_ended": NOW - 400},
            NOW - 1000 + SPACING,
            id="spacing-ignores-end-without-failures",
        ),
        pytest.param(
            {"last_started": NOW - 1000, "last_ended": NOW - 400, "failures": 1},
            NOW - 400 + SPACING,
            id="backoff-measured-from-end",
        ),
        pytest.param(
            {"last_started": NOW - 1000, "last_ended": NOW - 400, "failures": 2},
            NOW - 400 + 2 * SPACING,
            id="backoff-doubles-from-end",
        ),
        pytest.param(
            {"last_started": NOW - 1000, "failures": 1},
            NOW - 1000 + SPACING,
            id="backoff-without-end-measured-from-start",
        ),
        pytest.param(
            {"last_started": NOW - 1000, "last_ended": NOW - 5000, "failures": 1},
            NOW - 1000 + SPACING,
            id="end-older-than-start-uses-start",
        ),
        pytest.param(
            {"last_started": NOW + 10 * DAY},
            NOW + SPACING,
            id="future-start-measured-from-now",
        ),
        pytest.param(
            {"last_started": NOW - 1000, "last_ended": NOW + 10 * DAY, "failures": 1},
            NOW + SPACING,
            id="future-end-measured-from-now",
        ),
    ],
)
def test_earliest_by_spacing_table(facts_kw: dict[str, Any], expected: float | None) -> None:
    assert earliest_by_spacing(make_settings(), make_facts(**facts_kw)) == expected


# --- decide: the start rules --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings_kw", "facts_kw", "hold_probe", "start", "reason", "wake_at", "earliest"),
    [
        pytest.param({}, {}, None, True, Reason.READY, WARN_WAKE, NOW, id="ready"),
        pytest.param(
            {}, {"idle": MIN_IDLE}, None, True, Reason.READY, WARN_WAKE, NOW, id="idle-exactly-min"
        ),
        pytest.param(
            {},
            {"paused_until": NOW + 500},
            None,
            False,
            Reason.PAUSED,
            NOW + 500,
            NOW + 500,
            id="paused-wakes-at-pause-end",
        ),
        pytest.param(
            {},
            {"paused_until": NOW},
            None,
            True,
            Reason.READY,
            WARN_WAKE,
            NOW,
            id="pause-ending-now-is-over",
        ),
        pytest.param(
            {},
            {"paused_until": NOW - 1},
            None,
            True,
            Reason.READY,
            WARN_WAKE,
            NOW,
            id="pause-in-the-past-ignored",
        ),
        pytest.param(
            {},
            {"paused_until": NOW + 500, "idle": None},
            None,
            False,
            Reason.PAUSED,
            NOW + IDLE_UNKNOWN_RECHECK,
            None,
            id="paused-idle-unknown-rechecks-idle",
        ),
        pytest.param(
            {},
            {"paused_until": NOW + 30, "idle": None},
            None,
            False,
            Reason.PAUSED,
            NOW + 30,
            None,
            id="paused-idle-unknown-short-pause-wakes-at-end",
        ),
        pytest.param(
            {},
            {"running": True},
            None,
            False,
            Reason.RUNNING,
            WARN_WAKE,
            None,
            id="running",
        ),
        pytest.param(
            {},
            {"running": True, "paused_until": NOW + 500, "idle": None},
            None,
            False,
            Reason.RUNNING,
            WARN_WAKE,
            None,
            id="running-beats-pause-and-idle",
        ),
        pytest.param(
            {},
            {"config_ok": False},
            None,
            False,
            Reason.CONFIG_ERROR,
            WARN_WAKE,
            None,
            id="config-error",
        ),
        pytest.param(
            {},
            {"config_ok": False, "running": True},
            None,
            False,
            Reason.CONFIG_ERROR,
            WARN_WAKE,
            None,
            id="config-error-beats-running",
        ),
        pytest.param(
            {},
            {"idle": None},
            None,
            False,
            Reason.IDLE_UNKNOWN,
            NOW + IDLE_UNKNOWN_RECHECK,
            None,
            id="idle-unknown-rechecks",
        ),
        pytest.param(
            {},
            {"idle": 100.0},
            None,
            False,
            Reason.NOT_IDLE,
            NOW + 200,
            NOW + 200,
            id="not-idle-wakes-when-threshold-reached",
        ),
        pytest.param(
            {},
            {"idle": 0.0},
            None,
            False,
            Reason.NOT_IDLE,
            NOW + MIN_IDLE,
            NOW + MIN_IDLE,
            id="user-active-wakes-after-full-min-idle",
        ),
        pytest.param(
            {"min_idle_seconds": 0},
            {"idle": 0.0},
            None,
            True,
            Reason.READY,
            WARN_WAKE,
            NOW,
            id="min-idle-zero-starts-at-once",
        ),
        pytest.param(
            {},
            {"last_started": NOW - 1000},
            None,
            False,
            Reason.TOO_SOON,
            NOW - 1000 + SPACING,
            NOW - 1000 + SPACING,
            id="too-soon-wakes-at-spacing-end",
        ),
        pytest.param(
            {},
            {"last_started": NOW - SPACING},
            None,
            True,
            Reason.READY,
            WARN_WAKE,
            NOW,
            id="spacing-just-elapsed",
        ),
        pytest.param(
            {},
            {"last_started": NOW - 1000, "last_ended": NOW - 900, "failures": 1},
            None,
            False,
            Reason.BACKOFF,
            NOW - 900 + SPACING,
            NOW - 900 + SPACING,
            id="one-failure-backs-off-from-end",
        ),
        pytest.param(
            {},
            {"last_started": NOW - 1000, "last_ended": NOW - 900, "failures": 2},
            None,
            False,
            Reason.BACKOFF,
            NOW - 900 + 2 * SPACING,
            NOW - 900 + 2 * SPACING,
            id="two-failures-double",
        ),
        pytest.param(
            {},
            {"last_started": NOW - 1000, "last_ended": NOW - 900, "failures": 9},
            None,
            False,
            Reason.BACKOFF,
            NOW - 900 + BACKOFF_CAP_SECONDS,
            NOW - 900 + BACKOFF_CAP_SECONDS,
            id="many-failures-capped",
        ),
        pytest.param(
            {},
            {"last_started": NOW - 30_000, "last_ended": NOW - 29_000, "failures": 9},
            None,
            True,
            Reason.READY,
            WARN_WAKE,
            NOW,
            id="backoff-elapsed-starts",
        ),
        pytest.param(
            {"min_seconds_between_backups": 0},
            {"last_started": NOW - 20, "last_ended": NOW - 10, "failures": 1},
            None,
            False,
            Reason.BACKOFF,
            NOW + 50,
            NOW + 50,
            id="spacing-zero-still-backs-off",
        ),
        pytest.param(
            {"min_seconds_between_backups": 0},
            {"last_started": NOW - 1},
            None,
            True,
            Reason.READY,
            WARN_WAKE,
            NOW,
            id="spacing-zero-without-failure-starts",
        ),
        pytest.param(
            {"min_seconds_between_backups": 10 * HOUR},
            {"last_started": NOW - 1000, "last_ended": NOW - 900, "failures": 3},
            None,
            False,
            Reason.BACKOFF,
            NOW - 900 + 10 * HOUR,
            NOW - 900 + 10 * HOUR,
            id="backoff-never-below-user-spacing",
        ),
        pytest.param(
            {},
            {"paused_until": NOW + 100, "last_started": NOW - 1000, "idle": 100.0},
            None,
            False,
            Reason.TOO_SOON,
            NOW + 2600,
            NOW + 2600,
            id="latest-blocker-is-spacing",
        ),
        pytest.param(
            {},
            {"paused_until": NOW + 5000, "last_started": NOW - 1000, "idle": 100.0},
            None,
            False,
            Reason.PAUSED,
            NOW + 5000,
            NOW + 5000,
            id="latest-blocker-is-pause",
        ),
        pytest.param(
            {},
            {"paused_until": NOW + 100, "last_started": NOW - 3550, "idle": 0.0},
            None,
            False,
            Reason.PAUSED,
            NOW + MIN_IDLE,
            NOW + MIN_IDLE,
            id="latest-blocker-is-idle-threshold",
        ),
        pytest.param(
            {},
            {"hold": True},
            None,
            False,
            Reason.WAITING_FOR_ACTIVITY,
            NOW + MIN_IDLE,
            None,
            id="hold-never-starts",
        ),
        pytest.param(
            {"min_idle_seconds": 0},
            {"hold": True},
            None,
            False,
            Reason.WAITING_FOR_ACTIVITY,
            NOW + HOLD_MIN_PROBE,
            None,
            id="hold-probes-at-least-every-5s",
        ),
        pytest.param(
            {"min_idle_seconds": 0},
            {"hold": True},
            30.0,
            False,
            Reason.WAITING_FOR_ACTIVITY,
            NOW + 30,
            None,
            id="hold-uses-given-probe",
        ),
        pytest.param(
            {},
            {"hold": True, "paused_until": NOW + 5000},
            None,
            False,
            Reason.PAUSED,
            NOW + 5000,
            None,
            id="hold-and-pause",
        ),
        pytest.param(
            {},
            {"hold": True, "idle": None},
            None,
            False,
            Reason.IDLE_UNKNOWN,
            NOW + IDLE_UNKNOWN_RECHECK,
            None,
            id="hold-idle-unknown",
        ),
        pytest.param(
            {},
            {"idle": 10.0, "idle_grows": False},
            None,
            False,
            Reason.NOT_IDLE,
            RECENT_SUCCESS + WARN_AFTER + 0.001,  # only the warning can change
            None,
            id="fixed-reading-below-threshold-never-foreseeable",
        ),
        pytest.param(
            {},
            {"idle": 10.0, "idle_grows": False, "last_started": NOW - 100},
            None,
            False,
            Reason.TOO_SOON,
            NOW - 100 + SPACING,
            None,
            id="fixed-reading-below-threshold-and-too-soon",
        ),
        pytest.param(
            {},
            {"last_started": NOW + 10 * DAY},
            None,
            False,
            Reason.TOO_SOON,
            NOW + SPACING,
            NOW + SPACING,
            id="clock-back-start-in-future-no-double-start",
        ),
        pytest.param(
            {},
            {"last_started": NOW + 10 * DAY, "last_ended": NOW + 10 * DAY + 60, "failures": 1},
            None,
            False,
            Reason.BACKOFF,
            NOW + SPACING,
            NOW + SPACING,
            id="clock-back-failure-in-future-backs-off-from-now",
        ),
    ],
)
def test_decide_table(
    settings_kw: dict[str, Any],
    facts_kw: dict[str, Any],
    hold_probe: float | None,
    start: bool,
    reason: Reason,
    wake_at: float | None,
    earliest: float | None,
) -> None:
    d = decide(make_settings(**settings_kw), make_facts(**facts_kw), hold_probe=hold_probe)
    assert (d.start, d.reason) == (start, reason)
    assert d.wake_at == pytest.approx(wake_at)
    assert d.next_backup_earliest == pytest.approx(earliest)


def test_decide_paused_never_starts_backup() -> None:
    s = make_settings(no_backup_warning_seconds=30 * DAY)
    d = decide(s, make_facts(paused_until=NOW + 7 * DAY, idle=1e9))
    assert not d.start
    assert d.reason is Reason.PAUSED
    assert d.wake_at == NOW + 7 * DAY
    assert d.next_backup_earliest == NOW + 7 * DAY


def test_decide_running_never_starts_backup() -> None:
    d = decide(make_settings(), make_facts(running=True, idle=1e9))
    assert not d.start
    assert d.reason is Reason.RUNNING
    assert d.next_backup_earliest is None


def test_decide_config_error_never_starts_backup() -> None:
    d = decide(make_settings(), make_facts(config_ok=False, idle=1e9))
    assert not d.start
    assert d.reason is Reason.CONFIG_ERROR
    assert d.next_backup_earliest is None


def test_decide_idle_unknown_never_starts_and_rechecks() -> None:
    d = decide(make_settings(min_idle_seconds=0), make_facts(idle=None))
    assert not d.start
    assert d.reason is Reason.IDLE_UNKNOWN
    assert d.wake_at == NOW + IDLE_UNKNOWN_RECHECK
    assert d.next_backup_earliest is None


@pytest.mark.parametrize("idle", [0.0, 1.0, 123.4, 299.0, 299.999])
def test_decide_not_idle_wakes_exactly_when_threshold_reached(idle: float) -> None:
    d = decide(make_settings(), make_facts(idle=idle))
    assert not d.start
    assert d.reason is Reason.NOT_IDLE
    assert d.wake_at == pytest.approx(NOW + MIN_IDLE - idle)
    # Looking again at that moment with the user still away starts the backup.
    later = decide(make_settings(), make_facts(now=NOW + MIN_IDLE - idle, idle=MIN_IDLE))
    assert later.start


def test_decide_hold_never_starts_even_after_long_idle() -> None:
    s = make_settings(min_idle_seconds=0, min_seconds_between_backups=0)
    for idle in (0.0, 300.0, 1e6):
        d = decide(s, make_facts(idle=idle, hold=True), hold_probe=0.0)
        assert not d.start
        assert d.reason is Reason.WAITING_FOR_ACTIVITY
        assert d.wake_at is not None
        assert d.wake_at > NOW


def test_decide_spacing_wakes_at_last_start_plus_spacing_then_starts() -> None:
    s = make_settings()
    f = make_facts(last_started=NOW - 10.0)
    d = decide(s, f)
    assert d.reason is Reason.TOO_SOON
    assert d.wake_at == NOW - 10.0 + SPACING
    assert decide(s, replace(f, now=NOW - 10.0 + SPACING)).start


def test_decide_backoff_after_failures_doubles_from_last_end_up_to_cap() -> None:
    s = make_settings()
    ended = NOW - 5.0
    waits = []
    for failures in range(1, 8):
        f = make_facts(last_started=ended - 100, last_ended=ended, failures=failures)
        d = decide(s, f)
        assert d.reason is Reason.BACKOFF
        assert d.wake_at is not None
        waits.append(d.wake_at - ended)
    assert waits == [SPACING, 2 * SPACING, 4 * SPACING, 6 * HOUR, 6 * HOUR, 6 * HOUR, 6 * HOUR]


def test_decide_reason_describe_is_human_text() -> None:
    for reason in Reason:
        assert reason.describe()
        assert reason.describe() != reason.value


# --- decide: the warning -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_success", "expected"),
    [
        pytest.param(None, True, id="never-succeeded"),
        pytest.param(NOW - WARN_AFTER - 1, True, id="older-than-threshold"),
        pytest.param(NOW - WARN_AFTER - 0.001, True, id="just-older-than-threshold"),
        pytest.param(NOW - WARN_AFTER, False, id="exactly-threshold-not-yet"),
        pytest.param(NOW - 10, False, id="recent"),
        pytest.param(NOW, False, id="just-now"),
        pytest.param(NOW + 10 * DAY, False, id="future-marker-counts-as-now"),
    ],
)
def test_warning_active_table(last_success: float | None, expected: bool) -> None:
    assert warning_active(make_settings(), last_success, NOW) is expected


@pytest.mark.parametrize(
    ("facts_kw", "warning", "notify", "wake_at"),
    [
        pytest.param(
            {"last_success": None, "running": True},
            True,
            True,
            NOW + WARNING_NOTICE_INTERVAL,
            id="never-succeeded-notifies-now",
        ),
        pytest.param(
            {"last_success": NOW - 2 * DAY, "running": True},
            True,
            True,
            NOW + WARNING_NOTICE_INTERVAL,
            id="old-success-notifies-now",
        ),
        pytest.param(
            {"last_success": None, "running": True, "last_warning_notice": NOW - 1000},
            True,
            False,
            NOW - 1000 + WARNING_NOTICE_INTERVAL,
            id="notified-recently-waits-for-hour",
        ),
        pytest.param(
            {"last_success": None, "running": True, "last_warning_notice": NOW - 3600},
            True,
            True,
            NOW + WARNING_NOTICE_INTERVAL,
            id="notified-an-hour-ago-notifies-again",
        ),
        pytest.param(
            {"last_success": None, "running": True, "paused_until": NOW + 100},
            True,
            False,
            NOW + 100 + 0.001,
            id="paused-never-notifies-looks-again-at-pause-end",
        ),
        pytest.param(
            {"last_success": None, "running": True, "paused_until": NOW - 1},
            True,
            True,
            NOW + WARNING_NOTICE_INTERVAL,
            id="pause-over-notifies",
        ),
        pytest.param(
            {"last_success": NOW - 1000, "running": True},
            False,
            False,
            NOW - 1000 + WARN_AFTER + 0.001,
            id="recent-success-wakes-when-warning-due",
        ),
        pytest.param(
            {"last_success": NOW + 10 * DAY, "running": True},
            False,
            False,
            NOW + WARN_AFTER + 0.001,
            id="future-success-measured-from-now",
        ),
        pytest.param(
            {"last_success": None, "running": True, "last_warning_notice": NOW + 10 * DAY},
            True,
            False,
            NOW + WARNING_NOTICE_INTERVAL,
            id="future-notice-silent-at-most-an-hour-per-look",
        ),
        pytest.param(
            {"last_success": None, "config_ok": False},
            True,
            True,
            NOW + WARNING_NOTICE_INTERVAL,
            id="config-error-still-warns",
        ),
    ],
)
def test_decide_warning_table(
    facts_kw: dict[str, Any], warning: bool, notify: bool, wake_at: float | None
) -> None:
    d = decide(make_settings(), make_facts(**facts_kw))
    assert not d.start
    assert (d.warning, d.notify_warning) == (warning, notify)
    assert d.wake_at == pytest.approx(wake_at)


def test_decide_warning_becomes_due_at_its_wake_time() -> None:
    s = make_settings()
    f = make_facts(running=True, last_success=NOW - 1000)
    d = decide(s, f)
    assert not d.warning
    assert d.wake_at is not None
    later = decide(s, replace(f, now=d.wake_at))
    assert later.warning
    assert later.notify_warning


def _simulate_notices(facts: Facts, until: float, step: float = 60.0) -> list[float]:
    """Look every ``step`` seconds like an engine that records each notice it shows."""
    s = make_settings()
    shown: list[float] = []
    t = facts.now
    f = facts
    anchor = FutureAnchor()  # the engine's memory of times seen in the future
    while t <= until:
        d = decide(s, anchor.facts(replace(f, now=t)))
        if d.notify_warning:
            shown.append(t)
            f = replace(f, last_warning_notice=t)
        t += step
    return shown


def test_warning_notice_at_most_once_an_hour() -> None:
    shown = _simulate_notices(make_facts(last_success=None, running=True), NOW + 3 * HOUR)
    assert shown == [NOW, NOW + HOUR, NOW + 2 * HOUR, NOW + 3 * HOUR]


def test_warning_notice_never_while_paused() -> None:
    f = make_facts(last_success=None, running=True, paused_until=NOW + 5 * HOUR)
    shown = _simulate_notices(f, NOW + 6 * HOUR)
    assert shown
    assert all(t >= NOW + 5 * HOUR for t in shown)
    assert shown[0] == pytest.approx(NOW + 5 * HOUR, abs=60)


# --- wake_at when nothing is pending -----------------------------------------------------------


def test_decide_running_with_warning_not_due_wakes_when_warning_due() -> None:
    d = decide(make_settings(), make_facts(running=True, last_success=NOW - 100))
    assert d.wake_at == pytest.approx(NOW - 100 + WARN_AFTER + 0.001)


def test_decide_running_paused_warning_wakes_only_for_the_pause_end() -> None:
    f = make_facts(running=True, last_success=None, paused_until=NOW + 100)
    d = decide(make_settings(), f)
    assert d.wake_at == pytest.approx(NOW + 100 + 0.001)
    assert d.next_backup_earliest is None


def test_decide_ready_wake_is_only_the_warning() -> None:
    d = decide(make_settings(), make_facts(last_success=NOW - 10))
    assert d.start
    assert d.wake_at == pytest.approx(NOW - 10 + WARN_AFTER + 0.001)


# --- clock going backwards (repeated looks) ------------------------------------------------------


def _first_start(s: Settings, facts: Facts, horizon: float) -> float | None:
    """Follow wake_at like the engine does, with facts unchanged; when does a backup start?"""
    t = facts.now
    anchor = FutureAnchor()  # the engine's memory of times seen in the future
    for _ in range(1000):
        d = decide(s, anchor.facts(replace(facts, now=t)))
        if d.start:
            return t
        if d.wake_at is None or d.wake_at > facts.now + horizon:
            return None
        t = max(d.wake_at, t + 0.01)
    return None


@pytest.mark.parametrize(
    "facts_kw",
    [
        pytest.param({"last_started": NOW + 10 * DAY}, id="spacing"),
        pytest.param(
            {"last_started": NOW + 10 * DAY, "last_ended": NOW + 10 * DAY, "failures": 1},
            id="backoff",
        ),
    ],
)
def test_decide_clock_backwards_does_not_block_for_length_of_jump(
    facts_kw: dict[str, Any],
) -> None:
    s = make_settings()
    started = _first_start(s, make_facts(**facts_kw), horizon=2 * DAY)
    assert started is not None, "no backup for the length of the clock jump"
    assert started <= NOW + SPACING + 1


def test_decide_clock_backwards_first_look_waits_spacing_not_jump() -> None:
    d = decide(make_settings(), make_facts(last_started=NOW + 30 * DAY))
    assert not d.start
    assert d.wake_at is not None
    assert d.wake_at <= NOW + SPACING


def test_warning_notice_clock_backwards_not_silent_for_gap() -> None:
    f = make_facts(last_success=None, running=True, last_warning_notice=NOW + 10 * DAY)
    shown = _simulate_notices(f, NOW + 2 * HOUR)
    assert shown, "no warning notice for the length of the clock jump"
    assert shown[0] <= NOW + WARNING_NOTICE_INTERVAL + 60


def test_warning_clock_backwards_future_success_warns_after_threshold_not_after_jump() -> None:
    s = make_settings()
    f = make_facts(running=True, last_success=NOW + 30 * DAY)
    t = NOW
    warned = False
    anchor = FutureAnchor()  # the engine's memory of times seen in the future
    while t <= NOW + WARN_AFTER + HOUR:
        d = decide(s, anchor.facts(replace(f, now=t)))
        warned = warned or d.warning
        t = min(d.wake_at, t + 300) if d.wake_at is not None else t + 300
    assert warned


@pytest.mark.parametrize(
    "facts_kw",
    [
        pytest.param({"last_started": NOW - 100}, id="spacing-later-than-pause"),
        pytest.param({"idle": 0.0}, id="idle-threshold-later-than-pause"),
    ],
)
def test_decide_paused_wakes_at_pause_end_for_due_warning(facts_kw: dict[str, Any]) -> None:
    s = make_settings()
    f = make_facts(last_success=None, paused_until=NOW + 100, **facts_kw)
    d = decide(s, f)
    assert not d.notify_warning
    after_pause = decide(s, replace(f, now=NOW + 100.5))
    assert after_pause.notify_warning  # the answer changes at the pause end ...
    assert d.wake_at is not None
    assert d.wake_at <= NOW + 100.5  # ... so wake_at must not be later than that


# --- activity_seen -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("idle_now", "idle_ref", "elapsed", "grows", "expected"),
    [
        pytest.param(None, 100.0, 10.0, True, False, id="now-unknown"),
        pytest.param(100.0, None, 10.0, True, False, id="ref-unknown"),
        pytest.param(150.0, 100.0, 50.0, True, False, id="grew-as-expected"),
        pytest.param(149.0, 100.0, 50.0, True, False, id="within-tolerance"),
        pytest.param(150.0 - ACTIVITY_TOLERANCE, 100.0, 50.0, True, False, id="at-tolerance"),
        pytest.param(147.9, 100.0, 50.0, True, True, id="just-below-tolerance"),
        pytest.param(3.0, 100.0, 50.0, True, True, id="reset-by-input"),
        pytest.param(100.0, 100.0, 50.0, True, True, id="did-not-grow"),
        pytest.param(99.0, 100.0, -50.0, True, False, id="negative-elapsed-treated-as-zero"),
        pytest.param(95.0, 100.0, -50.0, True, True, id="negative-elapsed-drop-is-activity"),
        pytest.param(100.0, 100.0, 500.0, False, False, id="static-source-unchanged"),
        pytest.param(99.0, 100.0, 500.0, False, False, id="static-source-small-drop"),
        pytest.param(97.0, 100.0, 500.0, False, True, id="static-source-went-down"),
        pytest.param(500.0, 100.0, 500.0, False, False, id="static-source-went-up"),
    ],
)
def test_activity_seen_table(
    idle_now: float | None, idle_ref: float | None, elapsed: float, grows: bool, expected: bool
) -> None:
    assert activity_seen(idle_now, idle_ref, elapsed, grows) is expected


# --- properties --------------------------------------------------------------------------------

_offsets = st.none() | st.floats(min_value=-1e7, max_value=1e7, allow_nan=False)


@st.composite
def _cases(draw: st.DrawFn) -> tuple[Settings, Facts, float | None]:
    s = make_settings(
        min_idle_seconds=draw(st.floats(min_value=0, max_value=1e5)),
        min_seconds_between_backups=draw(st.floats(min_value=0, max_value=1e6)),
        no_backup_warning_seconds=draw(st.floats(min_value=1, max_value=1e7)),
    )
    now = draw(st.floats(min_value=1e9, max_value=2e9))

    def at() -> float | None:
        offset = draw(_offsets)
        return None if offset is None else now + offset

    f = Facts(
        now=now,
        idle=draw(st.none() | st.floats(min_value=0, max_value=1e6)),
        running=draw(st.booleans()),
        config_ok=draw(st.booleans()),
        paused_until=at(),
        last_started=at(),
        last_ended=at(),
        last_success=at(),
        failures=draw(st.integers(min_value=0, max_value=60)),
        hold=draw(st.booleans()),
        last_warning_notice=at(),
    )
    probe = draw(st.none() | st.floats(min_value=0, max_value=1e4))
    return s, f, probe


def _blocked(s: Settings, f: Facts) -> bool:
    return (
        (f.paused_until is not None and f.paused_until > f.now)
        or f.running
        or not f.config_ok
        or f.idle is None
        or f.idle < s.min_idle_seconds
        or f.hold
    )


@hyp_settings(max_examples=500)
@given(_cases())
def test_property_decide_never_starts_when_blocked(
    case: tuple[Settings, Facts, float | None],
) -> None:
    s, f, probe = case
    d = decide(s, f, hold_probe=probe)
    if _blocked(s, f):
        assert not d.start
    if d.start:
        assert d.reason is Reason.READY
        assert d.next_backup_earliest == f.now


@hyp_settings(max_examples=500)
@given(_cases())
def test_property_decide_starts_when_nothing_blocks(
    case: tuple[Settings, Facts, float | None],
) -> None:
    s, f, probe = case
    spacing = earliest_by_spacing(s, f)
    d = decide(s, f, hold_probe=probe)
    expected = not _blocked(s, f) and (spacing is None or spacing <= f.now)
    assert d.start is expected


@hyp_settings(max_examples=500)
@given(_cases())
def test_property_wake_at_never_in_the_past_unless_starting(
    case: tuple[Settings, Facts, float | None],
) -> None:
    s, f, probe = case
    d: Decision = decide(s, f, hold_probe=probe)
    if not d.start and d.wake_at is not None:
        assert d.wake_at >= f.now
    if d.next_backup_earliest is not None:
        assert d.next_backup_earliest >= f.now


@hyp_settings(max_examples=300)
@given(_cases())
def test_property_notice_implies_warning_and_not_paused(
    case: tuple[Settings, Facts, float | None],
) -> None:
    s, f, probe = case
    d = decide(s, f, hold_probe=probe)
    if d.notify_warning:
        assert d.warning
        assert f.paused_until is None or f.paused_until <= f.now
    assert d.warning is warning_active(s, f.last_success, f.now)


@given(
    spacing=st.floats(min_value=0, max_value=1e8),
    failures=st.integers(min_value=-5, max_value=200),
)
def test_property_backoff_monotonic_and_bounded(spacing: float, failures: int) -> None:
    s = make_settings(min_seconds_between_backups=spacing)
    here = backoff_seconds(s, failures)
    nxt = backoff_seconds(s, failures + 1)
    assert here <= nxt
    assert spacing <= here <= max(spacing, BACKOFF_CAP_SECONDS)
    if failures >= 1:
        assert here >= MIN_BACKOFF_BASE_SECONDS

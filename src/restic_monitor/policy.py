"""Pure decisions: should a backup start now, is a warning due, when to look again.

Everything here is a function of (settings, facts) with the current time
passed in, so every rule can be tested exhaustively without clocks, threads
or processes. The engine gathers the facts, calls :func:`decide`, acts on the
answer and sleeps until ``wake_at``.

Times are wall-clock epochs (they are compared with persisted times such as
the marker's mtime); durations measured by the engine use the monotonic clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from restic_monitor.config import Settings

BACKOFF_CAP_SECONDS = 6 * 3600
MIN_BACKOFF_BASE_SECONDS = 60
WARNING_NOTICE_INTERVAL = 3600
IDLE_UNKNOWN_RECHECK = 60.0
#: How often to look again while on battery (power changes come without a signal here).
POWER_RECHECK = 60.0
#: While waiting for the user to come back after a stop, how often at least to look.
HOLD_MIN_PROBE = 5.0
#: How far below its expected value an idle reading must fall to count as user activity.
ACTIVITY_TOLERANCE = 2.0


class Reason(str, enum.Enum):
    """Why a backup is (not) starting; the value is what status and tray show."""

    READY = "ready"
    RUNNING = "running"
    CONFIG_ERROR = "config_error"
    PAUSED = "paused"
    IDLE_UNKNOWN = "idle_unknown"
    NOT_IDLE = "not_idle"
    TOO_SOON = "too_soon"
    BACKOFF = "backoff"
    WAITING_FOR_ACTIVITY = "waiting_for_activity"
    ON_BATTERY = "on_battery"
    NEEDS_ELEVATION = "needs_elevation"

    def describe(self) -> str:
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    Reason.READY: "ready to back up",
    Reason.RUNNING: "a backup is running",
    Reason.CONFIG_ERROR: "the configuration is invalid",
    Reason.PAUSED: "backups are paused",
    Reason.IDLE_UNKNOWN: "idle time is unknown on this system, so no automatic backups",
    Reason.NOT_IDLE: "waiting for you to be away (not idle yet)",
    Reason.TOO_SOON: "too soon after the previous backup",
    Reason.BACKOFF: "waiting longer after failed backups",
    Reason.WAITING_FOR_ACTIVITY: "the last backup was stopped; waiting for you to come back "
    "and leave again",
    Reason.ON_BATTERY: "on battery power (skip_on_battery is true)",
    Reason.NEEDS_ELEVATION: "--use-fs-snapshot needs administrator rights: start "
    "restic-monitor elevated (`restic-monitor install` sets that up) or remove the option",
}


@dataclass(frozen=True)
class Facts:
    now: float
    idle: float | None
    running: bool = False
    config_ok: bool = True
    paused_until: float | None = None
    last_started: float | None = None
    last_ended: float | None = None
    last_success: float | None = None
    failures: int = 0
    hold: bool = False
    last_warning_notice: float | None = None
    #: Whether the idle reading grows by itself while the user is away (False for
    #: a fixed value or a test file: then waiting cannot make it reach the threshold).
    idle_grows: bool = True
    #: On battery while skip_on_battery is set.
    on_battery: bool = False
    #: The backup command cannot work in this process (--use-fs-snapshot, not elevated).
    needs_elevation: bool = False


@dataclass(frozen=True)
class Decision:
    start: bool
    reason: Reason
    #: When looking again may change the answer (None: only a command or event can).
    wake_at: float | None
    #: Earliest time a backup could start if the user stays away (None: not foreseeable).
    next_backup_earliest: float | None
    warning: bool
    notify_warning: bool


def backoff_seconds(settings: Settings, failures: int) -> float:
    """The wait after ``failures`` consecutive automatic failures.

    Doubles with each failure from the normal spacing (at least a minute, so a
    spacing of 0 cannot turn a broken setup into a busy loop), capped at six
    hours, but never shorter than the spacing the user asked for.
    """
    between = settings.min_seconds_between_backups
    if failures <= 0:
        return between
    base = max(between, MIN_BACKOFF_BASE_SECONDS)
    exponent = min(failures - 1, 30)
    return max(between, min(base * (1 << exponent), BACKOFF_CAP_SECONDS))


def earliest_by_spacing(settings: Settings, facts: Facts) -> float | None:
    """The earliest start allowed by spacing and backoff, or None if no limit applies."""
    if facts.last_started is None:
        return None
    # A start time in the future means the clock went backwards: measure from now.
    started = min(facts.last_started, facts.now)
    if facts.failures > 0:
        ended = facts.last_ended if facts.last_ended is not None else started
        ended = min(max(ended, started), facts.now)
        return ended + backoff_seconds(settings, facts.failures)
    return started + settings.min_seconds_between_backups


def warning_active(settings: Settings, last_success: float | None, now: float) -> bool:
    if last_success is None:
        return True
    return now - min(last_success, now) > settings.no_backup_warning_seconds


def _warning(settings: Settings, facts: Facts) -> tuple[bool, bool, float | None]:
    """(warning is on, a notice is due now, when to look again for warnings)."""
    now = facts.now
    if not warning_active(settings, facts.last_success, now):
        assert facts.last_success is not None
        due_at = min(facts.last_success, now) + settings.no_backup_warning_seconds
        # A hair after the boundary so that the next look sees it as due.
        return False, False, due_at + 0.001
    paused = facts.paused_until is not None and facts.paused_until > now
    if paused:
        assert facts.paused_until is not None
        return True, False, facts.paused_until + 0.001  # notices resume with the pause end
    last = facts.last_warning_notice
    if last is not None and last > now:
        last = now  # clock went backwards: do not stay silent for the gap
    if last is None or now - last >= WARNING_NOTICE_INTERVAL:
        return True, True, now + WARNING_NOTICE_INTERVAL
    return True, False, last + WARNING_NOTICE_INTERVAL


def decide(settings: Settings, facts: Facts, *, hold_probe: float | None = None) -> Decision:
    """Whether to start a backup now, why not, and when to look again."""
    now = facts.now
    warning, notify, warn_wake = _warning(settings, facts)
    wakes: list[float] = [] if warn_wake is None else [warn_wake]

    def result(start: bool, reason: Reason, wake: float | None, earliest: float | None) -> Decision:
        if wake is not None:
            wakes.append(wake)
        return Decision(
            start=start,
            reason=reason,
            wake_at=min(wakes) if wakes else None,
            next_backup_earliest=earliest,
            warning=warning,
            notify_warning=notify,
        )

    if not facts.config_ok:
        return result(False, Reason.CONFIG_ERROR, None, None)
    if facts.running:
        return result(False, Reason.RUNNING, None, None)
    if facts.needs_elevation:
        return result(False, Reason.NEEDS_ELEVATION, None, None)

    blockers: list[tuple[float, Reason]] = []
    paused = facts.paused_until is not None and facts.paused_until > now
    if paused:
        assert facts.paused_until is not None
        blockers.append((facts.paused_until, Reason.PAUSED))
    elif facts.on_battery:
        return result(False, Reason.ON_BATTERY, now + POWER_RECHECK, None)
    spacing = earliest_by_spacing(settings, facts)
    if spacing is not None and spacing > now:
        blockers.append((spacing, Reason.BACKOFF if facts.failures > 0 else Reason.TOO_SOON))

    min_idle = settings.min_idle_seconds
    if facts.idle is None:
        idle_reason: Reason | None = Reason.IDLE_UNKNOWN
        idle_ready_at: float | None = None
    elif facts.hold:
        idle_reason = Reason.WAITING_FOR_ACTIVITY
        idle_ready_at = now + max(min_idle, hold_probe or HOLD_MIN_PROBE)
    elif facts.idle < min_idle:
        idle_reason = Reason.NOT_IDLE
        idle_ready_at = now + (min_idle - facts.idle) if facts.idle_grows else None
    else:
        idle_reason = None
        idle_ready_at = now
    # No foreseeable start while waiting for the user to come back, or for a
    # reading that does not grow by itself.
    foreseeable = idle_reason not in (Reason.WAITING_FOR_ACTIVITY, Reason.NOT_IDLE) or (
        idle_ready_at is not None and idle_reason is Reason.NOT_IDLE
    )

    if blockers:
        # All conditions must hold at once: the earliest start is the latest blocker.
        until, reason = max(blockers, key=lambda b: b[0])
        if idle_reason is Reason.IDLE_UNKNOWN:
            return result(False, reason, min(until, now + IDLE_UNKNOWN_RECHECK), None)
        earliest = until if idle_ready_at is None else max(until, idle_ready_at)
        return result(False, reason, earliest, earliest if foreseeable else None)
    if idle_reason is Reason.IDLE_UNKNOWN:
        return result(False, Reason.IDLE_UNKNOWN, now + IDLE_UNKNOWN_RECHECK, None)
    if idle_reason is not None:
        return result(False, idle_reason, idle_ready_at, idle_ready_at if foreseeable else None)
    return result(True, Reason.READY, None, now)


class FutureAnchor:
    """Pins persisted times that lie in the future to the moment they were first seen.

    A time in the future means the clock went backwards (or was ahead when the
    time was written). Measuring from "now" at every look would restart the
    spacing, the backoff or the warning threshold at each look and block them
    for the length of the jump; measuring from the first sighting lets them run
    their normal course. This is the one piece of memory the decisions need,
    kept apart so that :func:`decide` stays a pure function.
    """

    MAX_ENTRIES = 32

    def __init__(self) -> None:
        self._seen: dict[float, float] = {}

    def __call__(self, value: float | None, now: float) -> float | None:
        if value is None or value <= now:
            return value
        if value not in self._seen and len(self._seen) >= self.MAX_ENTRIES:
            self._seen.pop(next(iter(self._seen)))
        return self._seen.setdefault(value, now)

    def facts(self, facts: Facts) -> Facts:
        """``facts`` with every persisted time anchored."""
        now = facts.now
        return replace(
            facts,
            last_started=self(facts.last_started, now),
            last_ended=self(facts.last_ended, now),
            last_success=self(facts.last_success, now),
            last_warning_notice=self(facts.last_warning_notice, now),
        )


def activity_seen(
    idle_now: float | None,
    idle_ref: float | None,
    elapsed: float,
    grows_on_its_own: bool,
) -> bool:
    """Whether the user touched the machine since a reference reading.

    A real idle counter grows with time while nobody is there; a reading
    clearly below what it would be without input means input happened. A
    source that does not grow on its own (a test file) shows activity by its
    value going down.
    """
    if idle_now is None or idle_ref is None:
        return False
    expected = idle_ref + (max(elapsed, 0.0) if grows_on_its_own else 0.0)
    return idle_now < expected - ACTIVITY_TOLERANCE

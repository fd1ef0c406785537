"""Why a profile's automatic backup starts now, or why not, and when to look again.

This is the one place that answers "why did (or didn't) a backup start": a
pure function of (settings, facts) with the current time passed in, so every
rule is tested exhaustively without clocks, threads or processes. The engine
gathers the facts per profile, calls :func:`decide`, acts on the answer and
sleeps until the earliest ``wake_at`` of all its profiles.

Times are wall-clock epochs (they are compared with persisted times such as
the marker's mtime); durations measured by the engine use the monotonic clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from restic_monitor.config.settings import Settings
from restic_monitor.policy.backoff import backoff_seconds
from restic_monitor.policy.warning import warning_state

IDLE_UNKNOWN_RECHECK = 60.0
#: How often to look again while on battery (power changes come without a signal here).
POWER_RECHECK = 60.0
#: While waiting for the user to come back after a stop, how often at least to look.
HOLD_MIN_PROBE = 5.0
#: After a stop, how long automatic backups wait where the idle source cannot see the user
#: come back (``fixed:``, a server), and how long a backup that is only due because it is
#: overdue (``backup_anyway_after_seconds``) waits in any case.
STOP_HOLD_SECONDS = 3600.0


class Reason(str, enum.Enum):
    """Why a backup is (not) starting; the value is what status and tray show."""

    READY = "ready"
    RUNNING = "running"
    QUEUED = "queued"
    CONFIG_ERROR = "config_error"
    PAUSED = "paused"
    IDLE_UNKNOWN = "idle_unknown"
    NOT_IDLE = "not_idle"
    TOO_SOON = "too_soon"
    BACKOFF = "backoff"
    WAITING_FOR_ACTIVITY = "waiting_for_activity"
    HELD_AFTER_STOP = "held_after_stop"
    ON_BATTERY = "on_battery"
    METERED = "metered"
    NEEDS_ELEVATION = "needs_elevation"

    def describe(self) -> str:
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    Reason.READY: "ready to back up",
    Reason.RUNNING: "a backup is running",
    Reason.QUEUED: "waiting for another restic job of this home to finish",
    Reason.CONFIG_ERROR: "the configuration is invalid",
    Reason.PAUSED: "backups are paused",
    Reason.IDLE_UNKNOWN: "idle time is unknown on this system, so no automatic backups",
    Reason.NOT_IDLE: "waiting for you to be away (not idle yet)",
    Reason.TOO_SOON: "too soon after the previous backup",
    Reason.BACKOFF: "waiting longer after failed backups",
    Reason.WAITING_FOR_ACTIVITY: "the last backup was stopped; waiting for you to come back "
    "and leave again",
    Reason.HELD_AFTER_STOP: "the last backup was stopped; automatic backups wait an hour "
    "(this idle source cannot tell when you come back)",
    Reason.ON_BATTERY: "on battery power (skip_on_battery is true)",
    Reason.METERED: "on a metered network connection (skip_on_metered is true)",
    Reason.NEEDS_ELEVATION: "--use-fs-snapshot needs administrator rights: start "
    "restic-monitor elevated (`restic-monitor install` sets that up) or remove the option",
}


@dataclass(frozen=True)
class Facts:
    now: float
    idle: float | None
    running: bool = False
    #: A job of this profile waits in the queue (another profile's job runs).
    queued: bool = False
    config_ok: bool = True
    paused_until: float | None = None
    last_started: float | None = None
    last_ended: float | None = None
    last_success: float | None = None
    failures: int = 0
    #: After a stop: waiting to see the user come back (idle sources that can see that).
    hold: bool = False
    #: After a stop: when the user stopped the last backup (None: no stop to respect).
    stopped_at: float | None = None
    last_warning_notice: float | None = None
    #: Whether the idle reading grows by itself while the user is away (False for
    #: a fixed value or a test file: then waiting cannot make it reach the threshold).
    idle_grows: bool = True
    #: Whether the idle source can see the user at all (False for ``fixed:``).
    idle_reports_activity: bool = True
    #: On battery while skip_on_battery is set.
    on_battery: bool = False
    #: On a metered connection while skip_on_metered is set.
    metered: bool = False
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
    #: The start is due only because no backup succeeded for backup_anyway_after_seconds:
    #: it goes ahead while the user is active.
    overdue: bool = False


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


def overdue_at(settings: Settings, facts: Facts) -> float | None:
    """When the backup becomes due whatever the user does (None: never)."""
    limit = settings.backup_anyway_after_seconds
    if limit <= 0:
        return None
    if facts.last_success is None:
        return facts.now
    return min(facts.last_success, facts.now) + limit


def decide(settings: Settings, facts: Facts, *, hold_probe: float | None = None) -> Decision:
    """Whether to start a backup now, why not, and when to look again."""
    now = facts.now
    warning, notify, warn_wake = warning_state(
        settings,
        now=now,
        last_success=facts.last_success,
        paused_until=facts.paused_until,
        last_notice=facts.last_warning_notice,
    )
    wakes: list[float] = [] if warn_wake is None else [warn_wake]

    def result(
        start: bool,
        reason: Reason,
        wake: float | None,
        earliest: float | None,
        overdue: bool = False,
    ) -> Decision:
        if wake is not None:
            wakes.append(wake)
        return Decision(
            start=start,
            reason=reason,
            wake_at=min(wakes) if wakes else None,
            next_backup_earliest=earliest,
            warning=warning,
            notify_warning=notify,
            overdue=overdue,
        )

    if not facts.config_ok:
        return result(False, Reason.CONFIG_ERROR, None, None)
    if facts.running:
        return result(False, Reason.RUNNING, None, None)
    if facts.queued:
        return result(False, Reason.QUEUED, None, None)
    if facts.needs_elevation:
        return result(False, Reason.NEEDS_ELEVATION, None, None)

    # Conditions that hold whatever the user does, each with the time it ends.
    blockers: list[tuple[float, Reason]] = []
    paused = facts.paused_until is not None and facts.paused_until > now
    if paused:
        assert facts.paused_until is not None
        blockers.append((facts.paused_until, Reason.PAUSED))
    elif facts.on_battery:
        return result(False, Reason.ON_BATTERY, now + POWER_RECHECK, None)
    elif facts.metered:
        return result(False, Reason.METERED, now + POWER_RECHECK, None)
    spacing = earliest_by_spacing(settings, facts)
    if spacing is not None and spacing > now:
        blockers.append((spacing, Reason.BACKOFF if facts.failures > 0 else Reason.TOO_SOON))
    stop_hold_end = facts.stopped_at + STOP_HOLD_SECONDS if facts.stopped_at is not None else None
    time_held = stop_hold_end is not None and stop_hold_end > now
    if time_held and not facts.idle_reports_activity:
        assert stop_hold_end is not None
        blockers.append((stop_hold_end, Reason.HELD_AFTER_STOP))

    # The user's presence.
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

    # Overdue: a backup starts although the user is there (never against a stop).
    due_anyway = overdue_at(settings, facts)
    if due_anyway is not None and not facts.hold:
        if time_held:
            assert stop_hold_end is not None
            due_anyway = max(due_anyway, stop_hold_end)
        if idle_reason is not None and (idle_ready_at is None or due_anyway < idle_ready_at):
            idle_ready_at = due_anyway
            if due_anyway <= now:
                idle_reason = None
    overdue = idle_reason is None and (facts.idle is None or facts.idle < min_idle)

    # No foreseeable start while waiting for the user to come back, or for a
    # reading that does not grow by itself.
    foreseeable = idle_ready_at is not None and idle_reason is not Reason.WAITING_FOR_ACTIVITY
    if blockers:
        # All conditions must hold at once: the earliest start is the latest blocker.
        until, reason = max(blockers, key=lambda b: b[0])
        earliest = None if idle_ready_at is None else max(until, idle_ready_at)
        if idle_reason is Reason.IDLE_UNKNOWN:  # the source may start answering meanwhile
            return result(False, reason, min(until, now + IDLE_UNKNOWN_RECHECK), earliest)
        if earliest is None:  # a reading that does not grow by itself
            return result(False, reason, until, None)
        return result(False, reason, earliest, earliest if foreseeable else None)
    if idle_reason is Reason.IDLE_UNKNOWN and idle_ready_at is None:
        return result(False, Reason.IDLE_UNKNOWN, now + IDLE_UNKNOWN_RECHECK, None)
    if idle_reason is not None:
        if idle_reason is Reason.IDLE_UNKNOWN:  # overdue later: look then, and every minute
            assert idle_ready_at is not None
            wake = min(idle_ready_at, now + IDLE_UNKNOWN_RECHECK)
            return result(False, idle_reason, wake, idle_ready_at)
        return result(False, idle_reason, idle_ready_at, idle_ready_at if foreseeable else None)
    return result(True, Reason.READY, None, now, overdue=overdue)

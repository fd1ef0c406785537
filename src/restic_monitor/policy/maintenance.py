"""When a profile's forget, prune and check are due, and whether they may start now.

Maintenance runs under the conditions of an automatic backup (not paused,
the user away for min_idle_seconds, not on battery when that is skipped, no
stop being respected) but on its own schedule: each kind at most once per
its interval, at once when it has never run (so a new retention policy
takes effect the first time the user is away), and after failures with a
backoff of its own, so that a broken check never delays backups.
A pure function, like :func:`restic_monitor.policy.backup.decide`.
"""

from __future__ import annotations

from dataclasses import dataclass

from restic_monitor.config.settings import Settings
from restic_monitor.policy.backup import (
    HOLD_MIN_PROBE,
    IDLE_UNKNOWN_RECHECK,
    POWER_RECHECK,
    STOP_HOLD_SECONDS,
    Facts,
)

#: After N failures of a kind: an hour, two, four, then six at most.
MAINTENANCE_BACKOFF_BASE = 3600.0
MAINTENANCE_BACKOFF_CAP = 6 * 3600.0


@dataclass(frozen=True)
class KindFacts:
    last_started: float | None = None
    last_ended: float | None = None
    #: Failed automatic runs of this kind since its last success.
    failures: int = 0
    #: A job of this kind for the profile runs or waits in the queue.
    busy: bool = False
    #: copy: when the profile's last successful backup ended (what the mirror lacks).
    since: float | None = None


@dataclass(frozen=True)
class Due:
    start: bool
    #: When this kind is next due (None: never, it is off for the profile).
    next_due: float | None
    #: When looking again may change the answer.
    wake_at: float | None


def interval(kind: str, settings: Settings) -> float:
    """The kind's interval for the profile; 0 means it never runs on its own."""
    if kind == "forget":
        return settings.forget_every_seconds if settings.forget_args else 0.0
    if kind == "prune":
        # Without a retention policy nothing is ever forgotten, so there is nothing to free.
        return settings.prune_every_seconds if settings.forget_args else 0.0
    if kind == "check":
        return settings.check_every_seconds
    if kind == "copy":
        return settings.copy_every_seconds if settings.copy_to_profile else 0.0
    raise ValueError(kind)


def backoff(failures: int) -> float:
    exponent = min(max(failures - 1, 0), 30)
    return min(MAINTENANCE_BACKOFF_BASE * (1 << exponent), MAINTENANCE_BACKOFF_CAP)


def next_due(kind: str, settings: Settings, last: KindFacts, now: float) -> float | None:
    """When ``kind`` is next due; None: off, or (a mirror kept after each backup) when
    there is no newer backup to copy."""
    every = interval(kind, settings)
    if kind == "copy" and settings.copy_to_profile and every <= 0:
        return _after_each_backup(last, now)
    if every <= 0:
        return None
    if last.last_started is None:
        return now  # never ran: due at once
    started = min(last.last_started, now)
    if last.failures > 0:
        ended = min(max(last.last_ended or started, started), now)
        return ended + min(backoff(last.failures), every)
    return started + every


def _after_each_backup(last: KindFacts, now: float) -> float | None:
    if last.since is None:
        return None  # no backup yet: nothing to copy
    if last.failures > 0:
        ended = min(max(last.last_ended or now, 0.0), now)
        return ended + backoff(last.failures)
    if last.last_started is None or last.since > last.last_started:
        return now
    return None


def decide_maintenance(kind: str, settings: Settings, facts: Facts, last: KindFacts) -> Due:
    """Whether ``kind`` starts now for the profile ``facts`` describe, and when to look again."""
    now = facts.now
    due = next_due(kind, settings, last, now)
    if due is None or not facts.config_ok:
        return Due(False, due, None)
    if last.busy or facts.running or facts.queued:
        return Due(False, due, None)  # the end of that job wakes the engine
    if due > now:
        return Due(False, due, due)
    if facts.paused_until is not None and facts.paused_until > now:
        return Due(False, due, facts.paused_until)
    if facts.on_battery or facts.metered:
        return Due(False, due, now + POWER_RECHECK)
    if facts.hold:
        return Due(False, due, now + max(settings.min_idle_seconds, HOLD_MIN_PROBE))
    if facts.stopped_at is not None and not facts.idle_reports_activity:
        held_until = facts.stopped_at + STOP_HOLD_SECONDS
        if held_until > now:
            return Due(False, due, held_until)
    if facts.idle is None:
        return Due(False, due, now + IDLE_UNKNOWN_RECHECK)
    if facts.idle < settings.min_idle_seconds:
        wait = settings.min_idle_seconds - facts.idle
        return Due(False, due, now + wait if facts.idle_grows else None)
    return Due(True, due, None)

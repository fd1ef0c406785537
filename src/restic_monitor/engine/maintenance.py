"""Queueing a profile's due forget, prune and check, and letting go of those no longer due.

The rule is :func:`restic_monitor.policy.maintenance.decide_maintenance`; this
applies it each look: a due kind joins the queue (behind the profile's backup
when that is due too), and a queued automatic one whose conditions ended
(the user came back) leaves it, as a queued automatic backup does.
"""

from __future__ import annotations

import logging

from restic_monitor.engine.parts import EngineParts
from restic_monitor.engine.profile import ProfileRuntime
from restic_monitor.engine.queue import Job
from restic_monitor.jobs.backup import IDLE
from restic_monitor.jobs.kinds import MAINTENANCE
from restic_monitor.policy.backup import Facts
from restic_monitor.policy.maintenance import Due, decide_maintenance

log = logging.getLogger(__name__)


def _mirror_usable(engine: EngineParts, profile: ProfileRuntime) -> bool:
    name = profile.settings.copy_to_profile if profile.settings is not None else ""
    mirror = engine.profiles.get(name)
    return mirror is not None and mirror is not profile and mirror.config is not None


def plan_maintenance(engine: EngineParts, profile: ProfileRuntime, facts: Facts) -> list[float]:
    """Queue what is due for ``profile``; the times at which to look again."""
    settings = profile.settings
    if settings is None:
        profile.due = {}
        return []
    wakes = []
    current = engine.queue.current
    for kind in MAINTENANCE:
        running = current is not None and current.profile == profile.name and current.kind == kind
        queued = engine.queue.find(kind, profile.name)
        due = decide_maintenance(kind, settings, facts, profile.kind_facts(kind, running))
        if kind == "copy" and not _mirror_usable(engine, profile):
            due = Due(False, None, None)  # status names the problem; backups go on
        if queued is not None and queued.trigger == IDLE and not due.start:
            log.info("profile %s: the queued %s is no longer due; dropped", profile.name, kind)
            engine.queue.drop(lambda j, q=queued: j is q)  # type: ignore[misc]
        elif due.start and queued is None and engine.automatic and not engine.shutting_down:
            log.info("profile %s: %s is due; queueing it", profile.name, kind)
            engine.queue.add(Job(kind, profile.name, IDLE))
        profile.due[kind] = due
        if due.wake_at is not None:
            wakes.append(due.wake_at + 0.01)
    return wakes

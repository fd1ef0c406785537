"""Pausing and resuming: the pause file each profile keeps, and what a pause stops.

A pause is written to the profile's pause file at once, so that it holds
across restarts; it stops a running job (the pause says until when, so no
hold is added), and resuming clears both the pause and a hold after a stop.
"""

from __future__ import annotations

import logging

from restic_monitor.durations import MAX_DURATION
from restic_monitor.engine.errors import EngineError
from restic_monitor.engine.parts import EngineParts
from restic_monitor.isotime import to_iso
from restic_monitor.state import files as state_files

log = logging.getLogger(__name__)

#: A pause without a profile's pause_seconds (its configuration is invalid).
DEFAULT_PAUSE_SECONDS = 28800.0


def pause(engine: EngineParts, seconds: float | None, name: str | None) -> float:
    """Pause one profile or all, for ``seconds`` or each profile's own pause_seconds;
    when the (last) pause ends."""
    if seconds is not None and not 0 < seconds <= MAX_DURATION:  # (NaN fails both)
        raise EngineError("the pause duration must be more than 0 seconds and at most 10 years")
    now = engine.wall()
    ends = []
    for profile in engine.targets(name):
        own = profile.settings.pause_seconds if profile.settings else DEFAULT_PAUSE_SECONDS
        until = now + (seconds if seconds is not None else own)
        state_files.write_pause(profile.paths, until)
        profile.paused_until = until
        ends.append(until)
        log.info("profile %s paused until %s", profile.name, to_iso(until))
    engine.stop(name, hold=False)  # the pause itself says until when
    engine.emit("paused", profile=name, until=max(ends))
    return max(ends)


def resume(engine: EngineParts, name: str | None) -> None:
    for profile in engine.targets(name):
        state_files.clear_pause(profile.paths)
        if profile.paused_until is not None:
            log.info("profile %s resumed", profile.name)
        profile.paused_until = None
        profile.set_hold(None, engine.wall(), engine.mono())
    engine.publish()
    engine.emit("resumed", profile=name)

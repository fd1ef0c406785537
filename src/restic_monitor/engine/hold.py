"""After a stop: no automatic restart until the user came back and left, or an hour.

A stop is the user saying "not now". Where the idle source can see the user,
automatic backups of the profile wait until it has seen them use the
computer and then be away again; where it cannot (``fixed:``, a server), they
wait an hour. Either way ``backup`` or ``resume`` ends the hold at once, and a
backup that is only due because it is overdue waits the hour in any case.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from restic_monitor.platform.idle import IdleSource
from restic_monitor.policy.backup import STOP_HOLD_SECONDS
from restic_monitor.policy.memory import activity_seen

log = logging.getLogger(__name__)


@dataclass
class Hold:
    #: When the stop came (monotonic clock: a changed wall clock neither ends nor prolongs it).
    stopped_at: float
    #: Still waiting to see the user come back (idle sources that can see that).
    for_activity: bool
    ref_idle: float | None
    ref_mono: float

    def shown(self, source: IdleSource, now: float, mono: float) -> tuple[str | None, float | None]:
        """What status says of it: ("activity" | "time" | None, until when)."""
        if self.for_activity:
            return "activity", None
        if not source.reports_activity:
            return "time", now + STOP_HOLD_SECONDS - (mono - self.stopped_at)
        return None, None  # only an overdue backup still waits, and says so itself


def start_hold(source: IdleSource, idle: float | None, mono: float) -> Hold:
    return Hold(stopped_at=mono, for_activity=source.reports_activity, ref_idle=idle, ref_mono=mono)


def follow_hold(
    hold: Hold, source: IdleSource, idle: float | None, mono: float, profile: str
) -> Hold | None:
    """The hold after this look (None: it has ended)."""
    if hold.for_activity:
        if hold.ref_idle is None:
            hold.ref_idle, hold.ref_mono = idle, mono
        elif activity_seen(idle, hold.ref_idle, mono - hold.ref_mono, source.grows_on_its_own):
            log.info(
                "profile %s: user activity seen since the stop; automatic backups may resume",
                profile,
            )
            hold.for_activity = False
    if not hold.for_activity and mono - hold.stopped_at >= STOP_HOLD_SECONDS:
        return None
    return hold

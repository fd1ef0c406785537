"""The two things decisions must remember between looks, kept apart from the pure rules.

Times persisted in the future (the clock went backwards) are pinned to their
first sighting, and the user's return after a stop is seen by comparing idle
readings. :func:`restic_monitor.policy.backup.decide` stays a pure function
of what these report.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from restic_monitor.policy.backup import Facts

#: How far below its expected value an idle reading must fall to count as user activity.
ACTIVITY_TOLERANCE = 2.0


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

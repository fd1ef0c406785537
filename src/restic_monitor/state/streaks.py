"""What a profile's recent runs say: the last one that ended, the failures in a row.

Pure functions of the history's records (newest first), shared by the
engine's decisions, the status read from the files and the metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar


class Run(Protocol):
    """What these look at of a history record."""

    @property
    def ended(self) -> float | None: ...

    @property
    def counted_success(self) -> bool: ...

    @property
    def trigger(self) -> str: ...

    @property
    def outcome(self) -> str | None: ...


R = TypeVar("R", bound=Run)


def last_finished(records: Sequence[R]) -> R | None:
    """The newest run that has ended (newest first input); the one in progress is not it."""
    return next((r for r in records if r.ended is not None), None)


def consecutive_failures(records: Sequence[Run]) -> int:
    """Automatic failures since the last success or manual run (newest first input).

    The records are those of one profile and one kind of job.
    """
    count = 0
    for record in records:
        if record.ended is None:
            continue
        if record.counted_success or record.trigger == "manual":
            break
        if record.outcome in ("failed", "error", "incomplete"):
            count += 1
        # interrupted runs neither count nor reset
    return count

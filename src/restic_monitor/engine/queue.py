"""The home's one line of restic jobs: at most one runs, the others wait their turn.

Whatever the number of profiles and however fast commands arrive, the engine
starts a job only when nothing runs, so no two restic processes of one home
ever work at the same time (nor on the same repository).
"""

from __future__ import annotations

import concurrent.futures
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from restic_monitor.state.history import RunRecord

if TYPE_CHECKING:
    from restic_monitor.config.profile import Config
    from restic_monitor.jobs.base import RunPlan
    from restic_monitor.restic.runner import RunHandle

_ids = itertools.count(1)


class Cancelled(Exception):
    """The job was stopped or dropped before restic started: it never ran."""


@dataclass(eq=False)
class Job:
    """One restic run of one kind for one profile, from queued to finished."""

    kind: str
    profile: str
    trigger: str
    waiters: list[concurrent.futures.Future[RunRecord]] = field(default_factory=list)
    #: A crashed monitor's run whose PID was never recorded: its restic may still hold a
    #: live lock, so stale locks stay to be cleared once more before the next backup.
    keep_unlock_pending: bool = False
    id: int = field(default_factory=lambda: next(_ids))
    #: A backup that has had its turn of clearing stale locks first.
    unlock_tried: bool = False
    # --- while it runs ---
    config: Config | None = None
    run_id: int | None = None
    started: float | None = None
    plan: RunPlan | None = None
    handle: RunHandle | None = None
    stop_requested: bool = False
    stall_noticed: bool = False
    #: How it ended, once it has: its record, or why it never ran.
    outcome: RunRecord | Exception | None = None
    #: What it was asked to do, for kinds that take details (a restore's items and target).
    request: dict[str, Any] | None = None

    def describe(self) -> str:
        return f"{self.kind} of profile {self.profile}"

    def add_waiter(self, waiter: concurrent.futures.Future[RunRecord]) -> None:
        """Wait for the job's end; a job that could not start ends before anyone waits."""
        self.waiters.append(waiter)
        if isinstance(self.outcome, RunRecord):
            self.resolve(self.outcome)
        elif self.outcome is not None:
            self.fail(self.outcome)

    def resolve(self, record: RunRecord) -> None:
        self.outcome = record
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_result(record)

    def fail(self, exc: Exception) -> None:
        self.outcome = exc
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_exception(exc)


class JobQueue:
    """Jobs waiting to run, in order; the running one is :attr:`current`."""

    def __init__(self) -> None:
        self._waiting: list[Job] = []
        self.current: Job | None = None

    def __iter__(self) -> Iterator[Job]:
        return iter(list(self._waiting))

    def __len__(self) -> int:
        return len(self._waiting)

    def add(self, job: Job, *, first: bool = False) -> Job:
        if first:
            self._waiting.insert(0, job)
        else:
            self._waiting.append(job)
        return job

    def find(self, kind: str, profile: str) -> Job | None:
        """A waiting job of that kind for that profile (there is at most one), of the
        kinds a second request joins (a restore with its own items never does)."""
        return next(
            (j for j in self._waiting if j.kind == kind and j.profile == profile and not j.request),
            None,
        )

    def has(self, profile: str) -> bool:
        return any(j.profile == profile for j in self._waiting)

    def drop(self, which: Callable[[Job], bool]) -> list[Job]:
        dropped = [j for j in self._waiting if which(j)]
        self._waiting = [j for j in self._waiting if not which(j)]
        return dropped

    def pop(self) -> Job | None:
        return self._waiting.pop(0) if self._waiting else None

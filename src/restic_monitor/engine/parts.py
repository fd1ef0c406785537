"""What the engine's helpers (discovery, dispatch, recording, view) may use of it.

The scheduler is the one object that holds the engine's state; its helpers
take this interface rather than the scheduler itself, so that the
dependencies stay one-way: scheduler -> helpers -> parts.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any, Protocol

from restic_monitor.engine.profile import ProfileRuntime
from restic_monitor.engine.queue import Job, JobQueue
from restic_monitor.engine.runner import JobRunner
from restic_monitor.jobs.base import Verdict
from restic_monitor.notify import Notice
from restic_monitor.paths import Home
from restic_monitor.platform.idle import IdleSource
from restic_monitor.policy.backup import Decision
from restic_monitor.restic.runner import RunResult
from restic_monitor.state.history import History


class Recording(Protocol):
    def could_not_start(self, job: Job, verdict: Verdict, now: float) -> None: ...

    def ended(self, job: Job, result: RunResult, now: float) -> None: ...


class EngineParts(Protocol):
    home: Home
    history: History
    profiles: dict[str, ProfileRuntime]
    queue: JobQueue
    idle_source: IdleSource
    runner: JobRunner
    ended: collections.deque[tuple[Job, RunResult]]
    shutting_down: bool
    automatic: bool
    ignored: list[str]
    #: restic processes a crashed monitor left running: stopped before the next job.
    orphans: list[tuple[int, float | None]]
    look_error: str | None
    wake_up: Callable[[], None]

    @property
    def recorder(self) -> Recording: ...

    @property
    def last_idle(self) -> float | None: ...

    def wall(self) -> float: ...

    def mono(self) -> float: ...

    def emit(self, event: str, **data: Any) -> None: ...

    def notify(self, profile: ProfileRuntime, notice: Notice) -> None: ...

    def withdraw(self, profile: ProfileRuntime, *topics: str) -> None: ...

    def decide(self, profile: ProfileRuntime, now: float, idle: float | None) -> Decision: ...

    def publish(self) -> None: ...

    def targets(self, name: str | None) -> list[ProfileRuntime]: ...

    def stop(
        self,
        name: str | None = None,
        *,
        hold: bool = True,
        queued_only: bool = False,
        kind: str | None = None,
    ) -> bool: ...

    def restic_version(self, exe: str) -> str | None: ...

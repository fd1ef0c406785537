"""A runner that plays restic's part, for deterministic engine tests and benchmarks.

Nothing runs: :meth:`ScriptedRunner.start` records the plan and the test
decides what restic does and when it ends (:meth:`ScriptedRun.finish`), then
steps the engine. It refuses a second run while one is unfinished, so "never
two restic at once" is checked by every test that uses it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from restic_monitor.engine.runner import OnDone, OnProgress, OnStart, finished
from restic_monitor.jobs.base import RunPlan
from restic_monitor.restic.output import Progress, Summary
from restic_monitor.restic.runner import RunResult


@dataclass(eq=False)
class ScriptedRun:
    plan: RunPlan
    on_start: OnStart
    on_progress: OnProgress
    on_done: OnDone
    clock: Callable[[], float]
    started: float
    pid: int | None = None
    progress: Progress | None = None
    seconds_since_progress: float | None = None
    stop_requested: bool = False
    timed_out: bool = False
    stops: int = 0
    done: bool = False
    result: RunResult | None = field(default=None, repr=False)

    @property
    def argv(self) -> tuple[str, ...]:
        return self.plan.command.argv

    @property
    def env(self) -> dict[str, str]:
        return self.plan.command.env

    def stop(self) -> None:
        self.stop_requested = True
        self.stops += 1

    def time_is_up(self) -> None:
        """The plan's time limit passed (the real runner's timer calls this)."""
        self.timed_out = not self.stop_requested
        self.stop()

    def report(self, progress: Progress) -> None:
        self.progress = progress
        self.on_progress(progress)

    def finish(
        self,
        exit_code: int | None = 0,
        *,
        lines: Sequence[str] = (),
        summary: Summary | None = None,
        duration: float = 1.0,
        start_error: str | None = None,
        quiet: float | None = None,
    ) -> RunResult:
        """restic ends: with this exit code and these output lines (``collected`` are the
        lines the plan's patterns match, as the real reader would keep them)."""
        assert not self.done, "this run has ended already"
        self.done = True
        ended = self.clock()
        self.result = RunResult(
            exit_code=exit_code,
            started=self.started,
            ended=ended,
            duration=duration,
            summary=summary,
            progress=self.progress,
            tail=list(lines),
            stop_requested=self.stop_requested,
            timed_out=self.timed_out,
            start_error=start_error,
            pid=None if start_error or (exit_code is None and self.stop_requested) else self.pid,
            seconds_since_progress=quiet,
            collected=[ln for ln in lines if any(re.search(p, ln) for p in self.plan.collect)],
        )
        finished(self.plan, self.result)
        self.on_done(self.result)
        return self.result


class ScriptedClock:
    """Wall and monotonic time that move only when told: pass it as clock and monotonic."""

    def __init__(self, now: float, mono: float = 1000.0) -> None:
        self.now = now
        self.mono_now = mono

    def __call__(self) -> float:
        return self.now

    def mono(self) -> float:
        return self.mono_now

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.mono_now += seconds

    def jump(self, seconds: float) -> None:
        """The wall clock is set (or the machine slept): monotonic time does not move."""
        self.now += seconds


class ScriptedRunner:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.runs: list[ScriptedRun] = []
        self._next_pid = 40_000

    @property
    def current(self) -> ScriptedRun | None:
        return next((r for r in self.runs if not r.done), None)

    def start(
        self, plan: RunPlan, *, on_start: OnStart, on_progress: OnProgress, on_done: OnDone
    ) -> ScriptedRun:
        running = self.current
        assert running is None, f"a second restic while {running.argv} still runs"
        run = ScriptedRun(plan, on_start, on_progress, on_done, self.clock, self.clock())
        self.runs.append(run)
        self._next_pid += 1
        run.pid = self._next_pid
        on_start(run.pid, run.started)
        return run

    def commands(self) -> list[tuple[str, ...]]:
        """Every run's restic arguments (without the executable), in order."""
        return [r.argv[1:] for r in self.runs]

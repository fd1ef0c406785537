"""Running a job's restic: the seam between the engine's decisions and real processes.

The engine hands a :class:`RunPlan` to a :class:`JobRunner` and hears of the
end through ``on_done``. :class:`ThreadRunner` runs the real restic in a
thread of its own (which also reads restic's output, so restic never blocks
on a full pipe); tests and benchmarks use
:class:`restic_monitor.engine.scripted.ScriptedRunner`, which plays restic's
part deterministically and without threads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from restic_monitor.jobs.base import RunPlan
from restic_monitor.platform import process as osproc
from restic_monitor.platform.sleep import inhibit_sleep
from restic_monitor.restic.output import Progress
from restic_monitor.restic.runner import DEFAULT_KILL_AFTER, ResticRun, RunHandle, RunResult

log = logging.getLogger(__name__)

OnStart = Callable[[int, float | None], None]
OnProgress = Callable[[Progress], None]
OnDone = Callable[[RunResult], None]


class JobRunner(Protocol):
    def start(
        self, plan: RunPlan, *, on_start: OnStart, on_progress: OnProgress, on_done: OnDone
    ) -> RunHandle: ...


class ThreadRunner:
    """The real thing: one thread per run, a graceful stop, a hard kill after ``kill_after``."""

    def __init__(
        self,
        kill_after: float = DEFAULT_KILL_AFTER,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.kill_after = kill_after
        self._clock = clock

    def start(
        self, plan: RunPlan, *, on_start: OnStart, on_progress: OnProgress, on_done: OnDone
    ) -> RunHandle:
        run = ResticRun(
            plan.command,
            log_path=plan.log_path,
            json_progress=plan.json_progress,
            collect=plan.collect,
            low_priority=plan.low_priority,
            restic_version=plan.restic_version,
            on_progress=on_progress,
            kill_after=self.kill_after,
            header=plan.header,
            clock=self._clock,
            on_start=on_start,
        )
        thread = threading.Thread(
            target=self._main, args=(plan, run, on_done), name="restic-job", daemon=True
        )
        thread.start()
        return run

    def _main(self, plan: RunPlan, run: ResticRun, on_done: OnDone) -> None:
        started = self._clock()
        try:
            result = self._run(plan, run)
        except Exception:
            log.exception("the restic job failed unexpectedly")
            now = self._clock()
            result = RunResult(
                exit_code=None, started=started, ended=now, duration=0.0, internal_error=True
            )
        on_done(result)

    def _run(self, plan: RunPlan, run: ResticRun) -> RunResult:
        for pid, pid_started in plan.orphans:
            if osproc.stop_orphan(pid, pid_started, self.kill_after):
                log.warning("stopped restic (pid %s) left running by the previous monitor", pid)
        timer = None
        if plan.timeout is not None:
            timer = threading.Timer(plan.timeout, run.time_is_up)
            timer.daemon = True
            timer.start()
        awake = inhibit_sleep("A backup is running") if plan.prevent_sleep else None
        if plan.hooks is not None:
            skipped = plan.hooks.run_before()
            if skipped is not None:
                now = self._clock()
                result = RunResult(exit_code=None, started=now, ended=now, duration=0.0)
                result.skipped = skipped
                result.tail.append(skipped)
                plan.hooks.run_after(result)
                return result
        ended = threading.Event()
        if plan.probe is not None:
            threading.Thread(
                target=_probe, args=(plan, run, ended), name="restic-probe", daemon=True
            ).start()
        try:
            result = run.run()
        finally:
            ended.set()
            if timer is not None:
                timer.cancel()
            if awake is not None:
                awake.release()
        result = finished(plan, result)
        if plan.hooks is not None:
            plan.hooks.run_after(result)
        return result


def finished(plan: RunPlan, result: RunResult) -> RunResult:
    """The kind's work after restic (a restore moved into place), in the run's thread."""
    if plan.finish is not None:
        try:
            result.finished = plan.finish(result)
        except Exception:
            log.exception("finishing the job failed")
            result.internal_error = True
    return result


#: How often progress is probed where restic reports none (it walks the files written).
PROBE_INTERVAL = 2.0


def _probe(plan: RunPlan, run: ResticRun, ended: threading.Event) -> None:
    assert plan.probe is not None
    while not ended.wait(PROBE_INTERVAL):
        try:
            progress = plan.probe()
        except Exception:
            log.exception("probing the job's progress failed")
            return
        if progress is not None and not ended.is_set():
            run.report(progress)

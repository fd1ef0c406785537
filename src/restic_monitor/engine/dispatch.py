"""Starting the next job: one at a time, stale locks first, every kind the same way.

The queue's head becomes a run: the job's kind plans its command from the
profile, the history records the start (so that a crash is noticed on the
next start), and the runner starts restic. A backup whose profile may hold
stale locks gets a ``restic unlock`` in front of it first.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from restic_monitor.engine.errors import ConfigInvalid, EngineError
from restic_monitor.engine.parts import EngineParts
from restic_monitor.engine.profile import ProfileRuntime
from restic_monitor.engine.queue import Job
from restic_monitor.jobs.base import CannotRun, JobContext
from restic_monitor.jobs.kinds import KINDS
from restic_monitor.jobs.unlock import UNLOCK
from restic_monitor.restic.runner import RunResult

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(self, engine: EngineParts) -> None:
        self.engine = engine

    def start_next(self, now: float) -> None:
        """Start the first job of the queue, if nothing runs."""
        while self.engine.queue.current is None:
            job = self.engine.queue.pop()
            if job is None:
                return
            profile = self.engine.profiles.get(job.profile)
            if profile is None:
                job.fail(EngineError(f"profile {job.profile} was removed"))
                continue
            if self.engine.shutting_down and not (
                job.kind == UNLOCK.name and job.trigger != "recovery"
            ):
                job.fail(EngineError("restic-monitor is shutting down"))
                continue
            if profile.config is None:  # became invalid meanwhile: say so, never hang
                job.fail(
                    ConfigInvalid(
                        f"the configuration of profile {profile.name} is invalid; see "
                        f"`{self.engine.home.command('status')}`"
                    )
                )
                continue
            kind = KINDS[job.kind]
            if kind.needs_clean_locks and profile.state.unlock_needed and not job.unlock_tried:
                job.unlock_tried = True
                self.engine.queue.add(job, first=True)
                job = Job(UNLOCK.name, profile.name, "before_backup")
            self.start(job, profile, now)

    def _peer(self, job: Job, profile: ProfileRuntime) -> dict[str, Any]:
        """A copy job's mirror: the profile ``copy_to_profile`` names, when usable."""
        if job.kind != "copy" or profile.settings is None:
            return {}
        mirror = self.engine.profiles.get(profile.settings.copy_to_profile)
        if mirror is None or mirror is profile or mirror.config is None:
            return {}
        return {"peer": mirror.paths, "peer_config": mirror.config}

    def start(self, job: Job, profile: ProfileRuntime, now: float) -> None:
        kind = KINDS[job.kind]
        assert profile.config is not None
        job.config = profile.config
        job.started = now
        job.run_id = profile.history_start(now, job.trigger, job.kind)
        if kind.is_backup:
            profile.refresh_records()
        context = JobContext(
            profile=profile.paths,
            config=profile.config,
            trigger=job.trigger,
            restic_version=self.engine.restic_version,
            shutting_down=self.engine.shutting_down,
            also_mask=tuple(
                value
                for other in self.engine.profiles.values()
                if other is not profile and other.config is not None
                for value in other.config.env.secrets()
            ),
            request=job.request,
            **self._peer(job, profile),
        )
        try:
            plan = kind.plan(context)
        except CannotRun as exc:
            log.error("profile %s: %s", profile.name, exc.verdict.message)
            self.engine.recorder.could_not_start(job, exc.verdict, now)
            return
        # A restic a crashed monitor left running goes first, whoever's it was.
        job.plan = replace(plan, orphans=(*plan.orphans, *self.engine.orphans))
        self.engine.orphans.clear()
        self.engine.queue.current = job
        run_id = job.run_id

        def on_start(pid: int, started: float | None) -> None:
            profile.history_update(run_id, pid=pid, pid_started=started)

        def on_progress(progress: Any) -> None:
            self.engine.emit(
                "progress", profile=job.profile, kind=job.kind, progress=progress.to_json()
            )

        def on_done(result: RunResult) -> None:
            self.engine.ended.append((job, result))
            self.engine.wake_up()

        log.info(
            "restic started (%s of profile %s, %s): %s",
            job.kind,
            job.profile,
            job.trigger,
            job.plan.command.shown(),
        )
        try:
            job.handle = self.engine.runner.start(
                job.plan, on_start=on_start, on_progress=on_progress, on_done=on_done
            )
        except Exception:  # (a thread that cannot start, say): never block the queue
            log.exception("starting the %s failed", job.describe())
            self.engine.queue.current = None
            result = RunResult(exit_code=None, started=now, ended=now, duration=0.0)
            result.internal_error = True
            self.engine.recorder.ended(job, result, now)
            return
        if kind.is_backup:
            self.engine.emit("started", profile=job.profile, trigger=job.trigger, run_id=job.run_id)
        else:
            self.engine.emit("maintenance", profile=job.profile, kind=job.kind)

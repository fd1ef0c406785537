"""What happens when a job ends: history, marker, locks, notices, the waiting callers.

The job's kind judges the result (:meth:`restic_monitor.jobs.base.JobKind.judge`);
this records the verdict the same way for every kind, moves the marker after
a counted backup, queues ``restic unlock`` when locks may be left, and tells
the user what they need to know, once.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from restic_monitor.engine.errors import EngineError
from restic_monitor.engine.parts import EngineParts
from restic_monitor.engine.profile import ProfileRuntime
from restic_monitor.engine.queue import Cancelled, Job
from restic_monitor.humanize import human_duration
from restic_monitor.isotime import to_iso
from restic_monitor.jobs.backup import IDLE, OVERDUE
from restic_monitor.jobs.base import LOCKS_CLEAN, LOCKS_UNLOCK_LATER, LOCKS_UNLOCK_NOW, Verdict
from restic_monitor.jobs.check import CHECK, CHECK_ERRORS
from restic_monitor.jobs.kinds import KINDS
from restic_monitor.jobs.unlock import UNLOCK
from restic_monitor.notify import Notice
from restic_monitor.restic.outcomes import Outcome
from restic_monitor.restic.runner import RunResult
from restic_monitor.state import files as state_files
from restic_monitor.state.history import RunRecord
from restic_monitor.state.run_logs import keep_run_log
from restic_monitor.status.build import FALLBACK_SETTINGS
from restic_monitor.status.model import RunInfo

log = logging.getLogger(__name__)


class Recorder:
    def __init__(self, engine: EngineParts) -> None:
        self.engine = engine

    def ended(self, job: Job, result: RunResult, now: float) -> None:
        """Record a job that ended; a bug while recording fails its waiters, never hangs them."""
        try:
            self._ended(job, result, now)
        except Exception:
            log.exception("recording the end of the %s failed", job.describe())
            if self.engine.queue.current is job:
                self.engine.queue.current = None
            job.fail(EngineError("restic-monitor failed to record the job; see its log"))

    def _ended(self, job: Job, result: RunResult, now: float) -> None:
        engine = self.engine
        if engine.queue.current is job:
            engine.queue.current = None
        profile = engine.profiles.get(job.profile)
        if profile is None:  # removed while its job ran
            profile = ProfileRuntime(job.profile, engine.home.profile(job.profile), engine.history)
        assert job.run_id is not None
        if result.stop_requested and not result.started_restic and not result.start_error:
            # Stopped before restic started: nothing ran, nothing to keep in the history.
            log.info("the %s was stopped before restic started", job.describe())
            profile.history_forget(job.run_id)
            profile.refresh_records()
            job.fail(Cancelled(f"the {job.kind} was stopped before it started"))
            engine.emit("cancelled", profile=job.profile, kind=job.kind)
            return
        settings = (job.config or profile.config or _fallback()).settings
        verdict = KINDS[job.kind].judge(result, settings)
        self.record(job, profile, verdict, result)

    def could_not_start(self, job: Job, verdict: Verdict, now: float) -> None:
        profile = self.engine.profiles[job.profile]
        result = RunResult(exit_code=None, started=now, ended=now, duration=0.0)
        result.tail.append(verdict.message)
        self.record(job, profile, verdict, result)

    def record(
        self, job: Job, profile: ProfileRuntime, verdict: Verdict, result: RunResult
    ) -> None:
        engine = self.engine
        kind = KINDS[job.kind]
        settings = (job.config or profile.config or _fallback()).settings
        assert job.run_id is not None
        fields: dict[str, Any] = {
            "ended": result.ended,
            "exit_code": result.exit_code,
            "outcome": verdict.outcome.value,
            "reason": verdict.reason,
            "message": verdict.message,
            "counted_success": verdict.counted_success,
            "duration": result.duration,
            **verdict.fields,
        }
        profile.history_update(job.run_id, **fields)
        self._keep_log(job, profile, settings.keep_run_logs, result.started_restic)
        tail = " | ".join(result.tail[-3:])
        newly_damaged = False
        if kind.is_backup:
            self._backup_ended(job, profile, verdict, result)
        elif job.kind != UNLOCK.name:
            newly_damaged = self._maintenance_ended(job, profile, verdict)
        elif verdict.counted_success:
            log.info("profile %s: cleared stale repository locks (restic unlock): %s",
                     profile.name, tail or "ok")  # fmt: skip
            profile.set_unlock_needed(job.keep_unlock_pending)
        elif verdict.outcome is Outcome.INTERRUPTED:  # what happened, in its own words
            log.warning(
                "profile %s: %s Stale locks are cleared before the next backup.",
                profile.name,
                verdict.message,
            )
        else:
            said = f" ({tail})" if tail and tail != verdict.message else ""
            log.warning(
                "profile %s: restic %s did not succeed: %s%s; stale locks are cleared before "
                "the next backup",
                profile.name,
                job.kind,
                verdict.message,
                said,
            )
        if job.kind == "copy" and verdict.locks != LOCKS_CLEAN:
            self._mirror_may_be_locked(profile)
        if verdict.locks == LOCKS_UNLOCK_NOW:
            profile.set_unlock_needed(True)
            if engine.queue.find(UNLOCK.name, profile.name) is None:
                engine.queue.add(Job(UNLOCK.name, profile.name, "after_failure"), first=True)
        elif verdict.locks == LOCKS_UNLOCK_LATER:
            profile.set_unlock_needed(True)
            log.info("the repository is unreachable; stale locks are cleared next time")
        notice = kind.notice(verdict, result, settings)
        if notice is not None and notice.topic is None:
            notice = dataclasses.replace(notice, topic=job.kind)
        if verdict.counted_success:
            # The failure the user was told about is over; so is "no recent backup".
            gone = (job.kind, "no-backup", "stalled") if job.kind == "backup" else (job.kind,)
            engine.withdraw(profile, *gone)
        if verdict.reason == CHECK_ERRORS and not newly_damaged:
            log.info("the repository check still finds errors; the user was told already")
        elif (
            notice is not None
            and notice.kind == "failure"
            and self._repeats(job, profile, verdict.reason)
        ):
            log.info("profile %s: %s failed as the run before did (%s); no new notice",
                     profile.name, job.kind, verdict.reason)  # fmt: skip
        elif notice is not None:
            engine.notify(profile, notice)
            if notice.kind == "failure":
                profile.notified_failures[job.kind] = verdict.reason
        profile.refresh_records(job.kind)
        # Decide again before anyone waiting hears of the outcome, so that the
        # status they read next (warning, next backup) already reflects it.
        engine.decide(profile, result.ended, engine.last_idle)
        engine.publish()
        record = profile.record(job.run_id) or _record_from(job, verdict, result)
        job.resolve(record)
        engine.emit(
            "finished",
            profile=job.profile,
            kind=job.kind,
            record=RunInfo.of(record),
            tail=result.tail[-10:],
        )

    def _keep_log(self, job: Job, profile: ProfileRuntime, keep: int, ran: bool) -> None:
        """This run's own log, for the history (a full disk loses it, nothing else).

        A run that never started restic wrote no log: the file there is an older run's.
        """
        source = job.plan.log_path if job.plan is not None and ran else None
        assert job.run_id is not None
        try:
            keep_run_log(source, profile.paths.logs, job.run_id, job.kind, keep)
        except OSError as exc:
            log.warning("cannot keep the log of the %s: %s", job.describe(), exc.strerror or exc)

    def _backup_ended(
        self, job: Job, profile: ProfileRuntime, verdict: Verdict, result: RunResult
    ) -> None:
        if verdict.counted_success:
            try:
                state_files.write_last_success(
                    profile.paths, result.ended, verdict.fields.get("snapshot_id")
                )
            except OSError as exc:
                log.error("cannot move %s: %s", profile.paths.marker, exc.strerror)
            profile.last_success = result.ended
        summary = f"; {result.summary.describe()}" if result.summary else ""
        log.info(
            "profile %s: backup finished: %s (exit code %s) in %s%s",
            profile.name,
            verdict.outcome.value,
            result.exit_code,
            human_duration(result.duration),
            summary,
        )
        profile.log_problem = result.log_problem
        if result.log_problem:
            log.error("restic log problem: %s", result.log_problem)
        if verdict.reason == "missing_source":
            log.warning("profile %s: %s", profile.name, verdict.message)
        elif verdict.outcome is Outcome.INCOMPLETE and not verdict.counted_success:
            log.warning(
                "exit code 3: some files could not be read; see %s. Set ignore_exit_code_3 to "
                "true to count such runs as successful.",
                profile.paths.last_log,
            )

    def _mirror_may_be_locked(self, profile: ProfileRuntime) -> None:
        """A copy that did not end cleanly may leave a lock in the mirror too."""
        name = profile.settings.copy_to_profile if profile.settings else ""
        mirror = self.engine.profiles.get(name)
        if mirror is not None and mirror is not profile:
            mirror.set_unlock_needed(True)

    def _maintenance_ended(self, job: Job, profile: ProfileRuntime, verdict: Verdict) -> bool:
        """Log a forget, prune or check; True when a check has just found damage."""
        log.log(
            logging.INFO if verdict.counted_success else logging.WARNING,
            "profile %s: %s: %s",
            profile.name,
            job.kind,
            verdict.message,
        )
        if job.kind != CHECK.name:
            return False
        damaged = verdict.reason == CHECK_ERRORS
        if not damaged and not verdict.counted_success:
            return False  # a check that could not run says nothing about the repository
        was = profile.state.check_errors
        if damaged != was:
            profile.state.check_errors = damaged
            profile.save_state()
            if not damaged:
                log.info("profile %s: the repository check passes again", profile.name)
        return damaged and not was

    def _repeats(self, job: Job, profile: ProfileRuntime, reason: str) -> bool:
        """An automatic run failing like the one before: the user already knows.

        The first failure of a streak, a new reason and every manual run still
        notify, and so does the first failure since this process started (the
        notice of the run before may have been lost with the session it was
        shown in); the hourly no-backup warning keeps the streak visible.
        """
        if job.trigger not in (IDLE, OVERDUE):
            return False
        if profile.notified_failures.get(job.kind) != reason:
            return False
        records = profile.records if job.kind == "backup" else profile.kind_records.get(job.kind)
        previous = next(
            (r for r in records or () if r.id != job.run_id and r.ended is not None), None
        )
        return (
            previous is not None
            and not previous.counted_success
            and previous.outcome in ("failed", "error", "incomplete")
            and previous.reason == reason
        )

    # --- while things run ------------------------------------------------------------

    def warn(self, profile: ProfileRuntime, now: float) -> None:
        profile.state.last_warning_notice = now
        profile.save_state()
        if profile.last_success is None:
            body = "No successful backup has been recorded yet."
        else:
            age = human_duration(now - profile.last_success)
            body = f"The last successful backup was {age} ago ({to_iso(profile.last_success)})."
        last = profile.records[0] if profile.records else None
        if last is not None and last.outcome not in (None, "success"):
            body += f" Last run: {last.outcome}: {last.message or last.reason}"
        self.engine.notify(profile, Notice("warning", "No recent backup", body, topic="no-backup"))

    def watch_stall(self, now: float) -> float | None:
        """Tell the user once when the running backup stops moving; when to look again."""
        job = self.engine.queue.current
        handle = job.handle if job is not None else None
        if job is None or handle is None or job.stall_noticed or job.stop_requested:
            return None
        quiet = handle.seconds_since_progress
        if quiet is None:
            return None
        limit = (job.config or _fallback()).settings.stall_seconds
        if quiet < limit:
            return now + limit - quiet + 0.05
        job.stall_noticed = True
        profile = self.engine.profiles.get(job.profile)
        minutes = human_duration(quiet)
        log.warning("the %s has made no progress for %s", job.describe(), minutes)
        if profile is not None:
            self.engine.notify(
                profile,
                Notice(
                    "warning",
                    "Backup stalled",
                    f"No progress for {minutes} (a server that went away, a disk that hangs?). "
                    "restic keeps retrying; you can stop the backup.",
                    topic="stalled",
                ),
            )
        self.engine.emit("stalled", profile=job.profile)
        return None


def _fallback() -> Any:
    from restic_monitor.config.profile import Config

    return Config(settings=FALLBACK_SETTINGS)


def _record_from(job: Job, verdict: Verdict, result: RunResult) -> RunRecord:
    """The history unavailable: answer from what we know."""
    assert job.run_id is not None
    return RunRecord(
        id=job.run_id,
        started=result.started,
        ended=result.ended,
        trigger=job.trigger,
        exit_code=result.exit_code,
        outcome=verdict.outcome.value,
        reason=verdict.reason,
        message=verdict.message,
        counted_success=verdict.counted_success,
        kind=job.kind,
        profile=job.profile,
        **{k: v for k, v in verdict.fields.items() if k in ("snapshot_id", "files_new")},
    )

"""The unlock job: ``restic unlock``, which removes stale locks and never a live one.

It runs before a backup when an earlier run did not end cleanly (a failure, a
stop, a hard kill, a monitor that died mid-backup), first stopping any restic
a crashed monitor left running. It is limited in time so that a repository
that does not answer cannot hold the queue: five minutes, ten seconds while
the monitor quits.
"""

from __future__ import annotations

from restic_monitor.config.settings import Settings
from restic_monitor.humanize import human_duration
from restic_monitor.jobs.base import (
    JobContext,
    Refusal,
    RunPlan,
    Verdict,
    failed_to_start,
    restic_for,
)
from restic_monitor.notify import Notice
from restic_monitor.paths import ProfileFiles
from restic_monitor.restic.outcomes import Outcome, classify
from restic_monitor.restic.runner import RunResult

UNLOCK_TIMEOUT = 300.0
#: While quitting, the lock an interrupted restic may leave is still worth clearing
#: (0.14 can leave one), but not worth keeping the user waiting.
SHUTDOWN_UNLOCK_TIMEOUT = 10.0


class UnlockKind:
    name = "unlock"
    is_backup = False
    needs_clean_locks = False

    def refusal(self, profile: ProfileFiles, settings: Settings) -> Refusal | None:
        return None

    def plan(self, context: JobContext) -> RunPlan:
        restic = restic_for(context)
        return RunPlan(
            command=restic.command("unlock"),
            log_path=None,
            timeout=SHUTDOWN_UNLOCK_TIMEOUT if context.shutting_down else UNLOCK_TIMEOUT,
            restic_version=context.restic_version(restic.exe),
        )

    def judge(self, result: RunResult, settings: Settings) -> Verdict:
        early = failed_to_start(result)
        if early is not None:
            return early
        if result.exit_code == 0:
            return Verdict(Outcome.SUCCESS, "ok", "Stale repository locks cleared.", True)
        cls = classify(result.exit_code, result.tail, result.stop_requested)
        if cls.outcome is Outcome.INTERRUPTED:
            if result.timed_out:
                took = human_duration(result.duration)
                message = f"restic unlock did not end within its time limit; stopped after {took}."
            else:
                message = "restic unlock was stopped before it ended."
            return Verdict(cls.outcome, cls.reason, message)
        return Verdict(cls.outcome, cls.reason, cls.message)

    def notice(self, verdict: Verdict, result: RunResult, settings: Settings) -> Notice | None:
        return None  # a failed unlock is tried again before the next backup, which reports


UNLOCK = UnlockKind()

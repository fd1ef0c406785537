"""The check job: ``restic check`` with the profile's options (a 2 % sample by default).

A check that finds errors is a failure with reason ``check_errors``: restic
says "Fatal: repository contains errors" (0.14 to 0.19) after listing them,
as "pack X contains N errors" (0.16+) or one line per error (0.14). The
profile shows red until a later check succeeds (see the engine's recording).
"""

from __future__ import annotations

import re

from restic_monitor.config.settings import Settings
from restic_monitor.jobs.base import LOCKS_CLEAN, JobContext, Refusal, RunPlan, Verdict
from restic_monitor.jobs.maintenance import failure_notice, maintenance_plan, maintenance_verdict
from restic_monitor.notify import Notice
from restic_monitor.paths import ProfileFiles
from restic_monitor.restic.outcomes import Outcome
from restic_monitor.restic.runner import RunResult

_CONTAINS = re.compile(r"contains (\d+) errors?")
_ERROR = re.compile(
    r"(does not match|error|damaged|corrupt|not found|unexpected|invalid)", re.IGNORECASE
)
_FATAL = "repository contains errors"
CHECK_ERRORS = "check_errors"


class CheckKind:
    name = "check"
    is_backup = False
    needs_clean_locks = True

    def refusal(self, profile: ProfileFiles, settings: Settings) -> Refusal | None:
        return None

    def plan(self, context: JobContext) -> RunPlan:
        settings = context.config.settings
        return maintenance_plan(
            context, "check", *settings.check_args, collect=[_ERROR.pattern, _CONTAINS.pattern]
        )

    def judge(self, result: RunResult, settings: Settings) -> Verdict:
        verdict = maintenance_verdict("Check", result)
        found = any(_FATAL in line.lower() for line in (*result.tail, *result.collected))
        if verdict.counted_success:
            return Verdict(
                verdict.outcome, verdict.reason, "Check completed: no errors were found.", True,
                {"errors_found": 0},
            )  # fmt: skip
        if not found or verdict.outcome is Outcome.INTERRUPTED:
            return verdict
        errors = [ln for ln in result.collected if _FATAL not in ln.lower()]
        counted = [int(m.group(1)) for ln in errors if (m := _CONTAINS.search(ln))]
        count = sum(counted) if counted else len(errors) or None
        first = errors[0][:240] if errors else ""
        message = "The repository check found errors" + (f": {first}" if first else ".")
        # A check that found damage ran to its end: its lock is gone with it.
        return Verdict(
            Outcome.FAILED, CHECK_ERRORS, message, False, {"errors_found": count}, LOCKS_CLEAN
        )

    def notice(self, verdict: Verdict, result: RunResult, settings: Settings) -> Notice | None:
        if verdict.reason == CHECK_ERRORS:
            return Notice(
                "failure",
                "Repository check found errors",
                verdict.message + "\nSee the check's log; `restic-monitor restic check` "
                "tells more, and restic's troubleshooting guide how to repair.",
            )
        return failure_notice("Check", verdict, result)


CHECK = CheckKind()

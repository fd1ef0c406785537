"""The forget job: the profile's retention policy applied with ``restic forget``.

Nothing is deleted unless the user wrote a policy (``forget_args``), and only
this computer's snapshots are considered unless the options say otherwise:
``--host`` is added (the host the backups are made with) unless a ``--host``
or ``--group-by`` is given. The snapshots kept and removed are counted from
restic's "keep N snapshots" / "remove N snapshots" lines (0.14 to 0.19).
"""

from __future__ import annotations

import re
import socket

from restic_monitor.config.restic_options import has_option, option_value
from restic_monitor.config.settings import Settings
from restic_monitor.jobs.base import CannotRun, JobContext, Refusal, RunPlan, Verdict
from restic_monitor.jobs.maintenance import failure_notice, maintenance_plan, maintenance_verdict
from restic_monitor.notify import Notice
from restic_monitor.paths import ProfileFiles
from restic_monitor.restic.outcomes import Outcome
from restic_monitor.restic.runner import RunResult

_COUNT = re.compile(r"^(keep|remove) (\d+) snapshots:")


def forget_host(settings: Settings) -> str:
    """The host the profile's backups are made under (restic's own default: the hostname)."""
    return option_value(settings.args, "--host") or socket.gethostname()


def forget_args(settings: Settings) -> list[str]:
    args = list(settings.forget_args)
    if not has_option(args, "--host", "-g", "--group-by"):
        args = ["--host", forget_host(settings), *args]
    return args


class ForgetKind:
    name = "forget"
    is_backup = False
    needs_clean_locks = True

    def refusal(self, profile: ProfileFiles, settings: Settings) -> Refusal | None:
        if settings.forget_args:
            return None
        return Refusal(
            f"profile {profile.name} has no retention policy (forget_args is empty in "
            f"{profile.settings_json}): nothing to forget",
            nothing_to_do=True,
        )

    def plan(self, context: JobContext) -> RunPlan:
        settings = context.config.settings
        if not settings.forget_args:
            raise CannotRun(
                Verdict(
                    Outcome.ERROR,
                    "no_policy",
                    "No retention policy: forget_args in settings.json is empty, so nothing "
                    "is forgotten.",
                )
            )
        return maintenance_plan(context, "forget", *forget_args(settings), collect=[_COUNT.pattern])

    def judge(self, result: RunResult, settings: Settings) -> Verdict:
        kept = removed = 0
        for line in result.collected:
            match = _COUNT.match(line)
            if match is not None:
                if match.group(1) == "keep":
                    kept += int(match.group(2))
                else:
                    removed += int(match.group(2))
        verdict = maintenance_verdict(
            "Forget", result, {"snapshots_kept": kept, "snapshots_removed": removed}
        )
        if verdict.counted_success:
            dry = " (dry run: nothing removed)" if "--dry-run" in settings.forget_args else ""
            message = f"Forget completed: {kept} snapshots kept, {removed} removed{dry}."
            return Verdict(verdict.outcome, verdict.reason, message, True, verdict.fields)
        return verdict

    def notice(self, verdict: Verdict, result: RunResult, settings: Settings) -> Notice | None:
        return failure_notice("Forget", verdict, result)


FORGET = ForgetKind()

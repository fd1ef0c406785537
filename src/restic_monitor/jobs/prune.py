"""The prune job: ``restic prune``, freeing the space of forgotten snapshots.

What it freed comes from restic's "total prune: N blobs / SIZE" and
"removing N old packs" lines, the same from 0.14 to 0.19.
"""

from __future__ import annotations

import re

from restic_monitor.config.settings import Settings
from restic_monitor.humanize import human_bytes
from restic_monitor.jobs.base import JobContext, Refusal, RunPlan, Verdict
from restic_monitor.jobs.maintenance import (
    failure_notice,
    maintenance_plan,
    maintenance_verdict,
    parse_size,
)
from restic_monitor.notify import Notice
from restic_monitor.paths import ProfileFiles
from restic_monitor.restic.runner import RunResult

_TOTAL = re.compile(r"^total prune:")
_PACKS = re.compile(r"^removing (\d+) old packs")


class PruneKind:
    name = "prune"
    is_backup = False
    needs_clean_locks = True

    def refusal(self, profile: ProfileFiles, settings: Settings) -> Refusal | None:
        return None

    def plan(self, context: JobContext) -> RunPlan:
        settings = context.config.settings
        return maintenance_plan(
            context, "prune", *settings.prune_args, collect=[_TOTAL.pattern, _PACKS.pattern]
        )

    def judge(self, result: RunResult, settings: Settings) -> Verdict:
        freed: int | None = None
        packs: int | None = None
        for line in result.collected:
            if _TOTAL.match(line):
                freed = parse_size(line.split("/", 1)[-1])
            elif (match := _PACKS.match(line)) is not None:
                packs = int(match.group(1))
        verdict = maintenance_verdict(
            "Prune", result, {"bytes_freed": freed, "packs_removed": packs}
        )
        if verdict.counted_success:
            what = f"{human_bytes(freed)} freed" if freed is not None else "nothing to free"
            message = f"Prune completed: {what}" + (
                f", {packs} old packs removed." if packs else "."
            )
            return Verdict(verdict.outcome, verdict.reason, message, True, verdict.fields)
        return verdict

    def notice(self, verdict: Verdict, result: RunResult, settings: Settings) -> Notice | None:
        return failure_notice("Prune", verdict, result)


PRUNE = PruneKind()

"""What the maintenance kinds (forget, prune, check) share: their command and their verdict.

Each runs one restic command with the profile's options, clears stale locks
first when a run before it did not end cleanly, and is judged like a backup
(success, failed, interrupted) but never "incomplete": exit code 3 belongs to
backups. A run that restic started and that did not succeed may leave its
(exclusive) lock, so restic unlock follows it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from restic_monitor.jobs.base import (
    LOCKS_CLEAN,
    LOCKS_UNLOCK_LATER,
    LOCKS_UNLOCK_NOW,
    JobContext,
    RunPlan,
    Verdict,
    failed_to_start,
    restic_for,
)
from restic_monitor.notify import Notice
from restic_monitor.restic.outcomes import Outcome, classify
from restic_monitor.restic.runner import RunResult

_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4, "PiB": 1024**5}
_SIZE = re.compile(r"([\d.]+)\s*(B|KiB|MiB|GiB|TiB|PiB)\b")


def parse_size(text: str) -> int | None:
    """restic's "391.946 KiB" as bytes."""
    match = _SIZE.search(text)
    if match is None:
        return None
    return round(float(match.group(1)) * _UNITS[match.group(2)])


def maintenance_plan(context: JobContext, *args: str, collect: Sequence[str] = ()) -> RunPlan:
    restic = restic_for(context)
    header = f"trigger: {context.trigger}"
    if context.profile.name != "default":
        header += f", profile: {context.profile.name}"
    return RunPlan(
        command=restic.command(*args),
        log_path=context.profile.logs / f"restic-{args[0]}.log",
        low_priority=context.config.settings.low_priority,
        header=header,
        restic_version=context.restic_version(restic.exe),
        collect=tuple(collect),
    )


def maintenance_verdict(
    noun: str, result: RunResult, fields: dict[str, Any] | None = None
) -> Verdict:
    early = failed_to_start(result)
    if early is not None:
        return early
    cls = classify(result.exit_code, result.tail, result.stop_requested)
    outcome = cls.outcome
    message = cls.message
    if outcome is Outcome.SUCCESS:
        message = f"{noun} completed."
    elif outcome is Outcome.INTERRUPTED:
        message = f"{noun} was stopped before it ended."
    elif outcome is Outcome.INCOMPLETE:  # exit code 3 is a backup's; anything else failed
        outcome, message = Outcome.FAILED, f"{noun} failed (exit code 3)."
    locks = LOCKS_CLEAN
    if outcome is not Outcome.SUCCESS and result.started_restic:
        unreachable = cls.reason == "repository_unreachable"
        never_locked = cls.reason in ("wrong_password", "repository_missing", "locked")
        if unreachable:
            locks = LOCKS_UNLOCK_LATER
        elif not never_locked:
            locks = LOCKS_UNLOCK_NOW
    return Verdict(outcome, cls.reason, message, outcome is Outcome.SUCCESS, fields or {}, locks)


def failure_notice(noun: str, verdict: Verdict, result: RunResult) -> Notice | None:
    if verdict.counted_success or verdict.outcome is Outcome.INTERRUPTED:
        return None
    last_lines = "\n".join(result.tail[-5:])
    body = verdict.message + (f"\n{last_lines}" if last_lines else "")
    return Notice("failure", f"{noun} failed", body)

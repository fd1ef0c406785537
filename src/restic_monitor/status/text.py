"""Status and runs in words: the ``status`` output, a finished run, its exit code."""

from __future__ import annotations

import time
from pathlib import Path

from restic_monitor.exitcodes import EXIT_FAILED, EXIT_INCOMPLETE, EXIT_INTERRUPTED, EXIT_OK
from restic_monitor.humanize import human_bytes, human_duration
from restic_monitor.isotime import parse_iso
from restic_monitor.paths import Home
from restic_monitor.status.model import ProfileStatus, RunInfo, Status


def _ago(iso: str | None, now: float) -> str:
    if not iso:
        return "never"
    return f"{human_duration(max(0.0, now - parse_iso(iso)))} ago ({iso})"


def format_status(status: Status, now: float | None = None) -> str:
    """The human-readable ``status`` output: one block per profile."""
    now = time.time() if now is None else now
    instance = "running" if status.instance_running else "not running"
    lines = [f"restic-monitor {status.version} — {instance} (home: {status.home})"]
    several = len(status.profiles) > 1
    for profile in status.profiles:
        if several:
            lines.append("")
            lines.append(f"Profile {profile.name}:")
        block = _profile_lines(profile, now, status.home)
        lines.extend(f"  {line}" if several else line for line in block)
    if several:
        lines.append("")
    if status.current_job is not None and status.current_job.kind != "backup":
        job = status.current_job
        lines.append(f"Maintenance: {job.kind} of profile {job.profile} in progress")
    if status.queue:
        queued = ", ".join(f"{q.kind} of {q.profile}" for q in status.queue)
        lines.append(f"Queued: {queued}")
    for problem in status.warnings:
        lines.append(f"Problem: {problem}")
    if status.idle_source:
        idle = status.idle_seconds
        shown = "unknown" if idle is None else f"{idle:.0f} s"
        lines.append(f"Idle: {shown} (source: {status.idle_source})")
    return "\n".join(lines)


def _profile_lines(p: ProfileStatus, now: float, home: str) -> list[str]:
    lines = []
    if p.config_error:
        lines.append("Configuration error:")
        lines.extend(f"  {problem}" for problem in p.config_error)
    snap = p.last_success_snapshot
    lines.append(
        f"Last successful backup: {_ago(p.last_success, now)}"
        + (f", snapshot {snap[:8]}" if snap else "")
    )
    last = p.last_run
    if last is not None:
        shown = f", snapshot {last.snapshot_id[:8]}" if last.snapshot_id else ""
        lines.append(
            f"Last run: {last.outcome} (exit code {last.exit_code}) at {last.ended}{shown}"
        )
        if last.outcome != "success" and last.message:
            lines.append(f"  {last.message}")
    if p.running:
        text = p.progress.progress().describe() if p.progress is not None else "starting"
        lines.append(f"Backing up: {text}")
        current = p.current_run
        if current is not None and current.stalled:
            quiet = human_duration(current.seconds_since_progress or 0)
            stop = Home(Path(home)).command("stop")
            lines.append(f"  STALLED: no progress for {quiet}; `{stop}` ends it")
    if p.paused_until:
        lines.append(f"Paused until {p.paused_until}")
    if p.warning:
        lines.append(f"WARNING: {p.warning_message}")
    if p.reason_text and not p.running:
        lines.append(f"Next backup: {p.reason_text}")
    elif p.reason_text and p.current_run is not None and p.current_run.trigger == "overdue":
        lines.append(f"  {p.reason_text}")
    if p.next_backup_earliest and not p.running:
        lines.append(f"  earliest: {p.next_backup_earliest}")
    lines.extend(_maintenance_lines(p))
    return lines


def _maintenance_lines(p: ProfileStatus) -> list[str]:
    lines = []
    if p.check_errors:
        lines.append("REPOSITORY CHECK FOUND ERRORS: see the check's log (logs/restic-check.log)")
    if p.mirror is not None and p.mirror.behind:
        lines.append(f"WARNING: {p.mirror.message}")
    for kind in ("copy", "forget", "prune", "check"):
        info = getattr(p.maintenance, kind)
        if info.last is None and info.next_due is None:
            continue
        last = "never"
        if info.last is not None:
            last = f"{info.last.outcome} at {info.last.ended}"
            if info.last.outcome != "success" and info.last.message:
                last += f" ({info.last.message})"
        due = f"; next due {info.next_due}" if info.next_due else ""
        lines.append(f"Last {kind}: {last}{due}")
    return lines


def exit_code_for(run: RunInfo) -> int:
    if run.counted_success:
        return EXIT_OK
    if run.outcome == "incomplete":
        return EXIT_INCOMPLETE
    if run.outcome == "interrupted":
        return EXIT_INTERRUPTED
    return EXIT_FAILED


def describe_run(run: RunInfo) -> str:
    outcome = run.outcome
    noun = {"backup": "Backup", "restore": "Restore"}.get(run.kind, f"restic {run.kind}")
    if run.counted_success:
        head = (
            f"{noun} succeeded"
            if outcome == "success"
            else f"{noun} incomplete (counted as success)"
        )
    else:
        head = {
            "incomplete": f"{noun} incomplete",
            "interrupted": f"{noun} interrupted",
            "error": f"{noun} could not run",
        }.get(str(outcome), f"{noun} failed")
    if run.profile != "default":
        head += f" (profile {run.profile})"
    details = []
    if run.snapshot_id:
        details.append(f"snapshot {run.snapshot_id[:8]}")
    if run.files_new is not None:
        details.append(f"{run.files_new} new, {run.files_changed or 0} changed files")
    if run.data_added is not None:
        details.append(f"{human_bytes(run.data_added)} added")
    if run.files_restored is not None:
        size = human_bytes(run.bytes_restored or 0)
        details.append(f"{run.files_restored:,} files ({size}) into {run.restore_target}")
    if run.duration is not None and outcome != "error":
        # "in 10 s" after a success; "after 10 s" otherwise, which cannot be read as a time
        # still to come. A run that could not start has no duration worth saying.
        took = "in" if run.counted_success else "after"
        details.append(f"{took} {human_duration(run.duration)}")
    text = head + (": " + ", ".join(details) if details else "")
    if not run.counted_success and run.message:
        text += f"\n  {run.message}"
    if run.reason == "missing_source":
        text += (
            "\n  Fix the path in args (settings.json), or connect the drive it is on; "
            "ignore_exit_code_3 does not cover a missing folder."
        )
    elif outcome == "incomplete" and not run.counted_success:
        text += (
            "\n  Some files could not be read; restic-last.log lists them. Exclude them, or set "
            "ignore_exit_code_3 to true to count such runs as successful."
        )
    return text

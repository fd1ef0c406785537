"""The tray's words: times, durations, and one profile's status lines and tooltip.

Kept apart from the menu's structure (``view``) so that a profile reads the
same whether it is a home's only profile, shown as the menu always was, or
one section among several.
"""

from __future__ import annotations

from datetime import datetime

from restic_monitor.humanize import human_bytes, human_duration
from restic_monitor.isotime import parse_iso
from restic_monitor.state.history import RunRecord
from restic_monitor.status.model import CurrentJob, ProfileStatus, RunInfo

#: What a job other than a backup is doing, as the menu says it.
MAINTENANCE_WORDS = {
    "unlock": "Clearing stale repository locks…",
    "forget": "Applying the retention policy (restic forget)…",
    "prune": "Freeing unused space (restic prune)…",
    "check": "Checking the repository (restic check)…",
    "copy": "Copying new snapshots to the mirror (restic copy)…",
    "restore": "Restoring files…",
}
CHECK_ERRORS_LINE = "⚠ Repository check found errors — see the check's log"


def duration_words(seconds: float) -> str:
    """``8 hours``, ``30 minutes``, ``1 hour 30 minutes``, ``2 days`` (menu labels)."""
    seconds = max(0, round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    for value, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")):
        if value:
            parts.append(f"{value} {unit}{'s' if value != 1 else ''}")
    if not parts:
        parts.append(f"{secs} second{'s' if secs != 1 else ''}")
    return " ".join(parts[:2])


def ago(seconds: float) -> str:
    """``just now``, ``5 min ago``, ``2 h ago``, ``3 days ago``."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} days ago"


def clock_time(when: float, now: float) -> str:
    """``14:05`` today, ``Mon 14:05`` within a week, ``2026-11-20 14:05`` otherwise."""
    moment = datetime.fromtimestamp(when)
    today = datetime.fromtimestamp(now)
    if moment.date() == today.date():
        return moment.strftime("%H:%M")
    if abs((today - moment).total_seconds()) < 6 * 86400:
        return moment.strftime("%a %H:%M")
    return moment.strftime("%Y-%m-%d %H:%M")


def maintenance_words(job: CurrentJob) -> str:
    words = MAINTENANCE_WORDS.get(job.kind, f"Running restic {job.kind}…")
    if job.kind == "restore" and job.progress is not None:
        done = job.progress.progress().describe()
        return f"Restoring files: {done}"
    return words


def with_mnemonic(text: str, used: set[str]) -> str:
    """``text`` with an ``&`` before its first letter no other entry uses yet.

    Profile names are chosen by the user, so their menu entries cannot have
    fixed mnemonics; a number stands in when every letter is taken.
    """
    for i, char in enumerate(text):
        key = char.lower()
        if char.isalnum() and key not in used:
            used.add(key)
            return f"{text[:i]}&{text[i:]}"
    for digit in "123456789":
        if digit not in used:
            used.add(digit)
            return f"&{digit} {text}"
    return text


def uncounted_failure(p: ProfileStatus) -> bool:
    """The last run did not give a backup that counts: failed, error, or exit 3 not ignored.

    "incomplete" counts unless ignore_exit_code_3 is set; when it does not count,
    the user was told "Backup failed", and the icon must agree.
    """
    last = p.last_run
    return (
        last is not None
        and not last.counted_success
        and last.outcome in ("failed", "error", "incomplete")
    )


def short_reason(run: RunInfo) -> str:
    return str(run.message or run.reason or run.outcome or "").rstrip(".")


def _progress_words(p: ProfileStatus) -> str:
    return p.progress.progress().describe() if p.progress is not None else "starting"


def _quiet(p: ProfileStatus) -> str | None:
    """How long a stalled backup has shown no progress (None: not stalled)."""
    current = p.current_run
    if current is None or not current.stalled:
        return None
    return human_duration(current.seconds_since_progress or 0)


def status_lines(
    p: ProfileStatus, now: float, problems: list[str], maintenance: str | None = None
) -> list[str]:
    """Everything the menu says about one profile, configuration problems aside."""
    lines = []
    if p.last_success:
        when = parse_iso(p.last_success)
        text = f"Last backup: {ago(now - when)} ({clock_time(when, now)})"
        if p.last_success_snapshot:
            text += f" · snapshot {p.last_success_snapshot[:8]}"
        lines.append(text)
    else:
        lines.append("Last backup: never")
    if p.warning and p.warning_message:
        lines.append(f"⚠ {p.warning_message}")
    lines.extend(f"Problem: {problem}" for problem in problems)
    if p.last_run is not None and uncounted_failure(p) and not p.running:
        lines.append(f"Last run {p.last_run.outcome}: {short_reason(p.last_run)}")
    current = p.current_run
    if p.running:
        lines.append(f"Backing up: {_progress_words(p)}")
        if current is not None and current.trigger == "overdue" and p.reason_text:
            lines.append(p.reason_text[:1].upper() + p.reason_text[1:])
        quiet = _quiet(p)
        if quiet is not None:
            lines.append(f"⚠ Stalled: no progress for {quiet}")
        if current is not None and current.stopping:
            lines.append("Stopping…")
    if p.paused and p.paused_until:
        lines.append(f"Paused until {clock_time(parse_iso(p.paused_until), now)}")
    if maintenance:
        lines.append(maintenance)
    lines.extend(maintenance_lines(p, now))
    # "Paused until …" says it already; a configuration error is listed above.
    if not p.running and not p.config_error and p.reason_text and p.reason != "paused":
        text = f"Next backup: {p.reason_text}"
        if p.reason == "not_idle" and p.reason_text.startswith("after "):
            text = f"Backup {p.reason_text}"
        earliest = p.next_backup_earliest
        if p.reason == "held_after_stop" and p.hold_until:
            earliest = p.hold_until
        if earliest and p.reason not in ("ready", "not_idle"):
            text += f" (not before {clock_time(parse_iso(earliest), now)})"
        lines.append(text)
    return lines


def maintenance_lines(p: ProfileStatus, now: float) -> list[str]:
    """The repository's health: the last check, a failed forget or prune, what is next."""
    lines = []
    if p.mirror is not None and p.mirror.behind and p.mirror.message:
        lines.append(f"⚠ {p.mirror.message}")
    check = p.maintenance.check.last
    if p.check_errors:
        lines.append(CHECK_ERRORS_LINE)
    elif check is not None and check.ended is not None and check.counted_success:
        lines.append(f"Last check: {ago(now - parse_iso(check.ended))}, no errors")
    for kind in ("copy", "forget", "prune"):
        last = getattr(p.maintenance, kind).last
        if last is not None and not last.counted_success and last.outcome != "interrupted":
            lines.append(f"Last {kind} {last.outcome}: {short_reason(last)}")
    due = [
        (parse_iso(info.next_due), kind)
        for kind in ("copy", "forget", "prune", "check")
        if (info := getattr(p.maintenance, kind)).next_due is not None
    ]
    if due:
        when, kind = min(due)
        moment = "when you are next away" if when <= now else clock_time(when, now)
        lines.append(f"Next maintenance: {kind}, {moment}")
    return lines


def profile_tooltip(p: ProfileStatus, state: str, now: float) -> str:
    """The tooltip about one profile in the icon ``state`` it gives (IconState's value)."""
    if p.config_error:
        return "Configuration error — see menu"
    if p.reason == "needs_elevation":
        return "Needs administrator rights — see menu"
    if state == "backing-up":
        quiet = _quiet(p)
        if quiet is not None:
            return f"Backing up — stalled, no progress for {quiet}"
        text = "Backing up"
        if p.progress is not None and p.progress.percent is not None:
            text += f" {p.progress.percent:.0f} %"
        if p.progress is not None and p.progress.eta_seconds:
            text += f" · ETA {human_duration(p.progress.eta_seconds)}"
        return text
    if state == "paused" and p.paused_until:
        return f"Paused until {clock_time(parse_iso(p.paused_until), now)}"
    if state == "error" and p.check_errors and not uncounted_failure(p):
        return "Repository check found errors — see menu"
    if state == "error" and p.last_run is not None:
        return f"Last backup {p.last_run.outcome}: {short_reason(p.last_run)}"
    if not p.last_success:
        return "No backup yet"
    age = ago(now - parse_iso(p.last_success))
    if state == "warning" and not p.warning and p.mirror is not None and p.mirror.message:
        return p.mirror.message
    if state == "warning":
        return f"No backup for {age.removesuffix(' ago')}"
    return f"Last backup {age}"


def added_or_found(record: RunRecord) -> str:
    """A backup's data added; what a forget, prune or check found, in the same column."""
    if record.kind == "forget" and record.snapshots_removed is not None:
        return f"{record.snapshots_removed} removed, {record.snapshots_kept or 0} kept"
    if record.kind == "prune" and record.bytes_freed is not None:
        return f"{human_bytes(record.bytes_freed)} freed"
    if record.kind == "check" and record.errors_found is not None:
        return "no errors" if record.errors_found == 0 else f"{record.errors_found} errors"
    return "-" if record.data_added is None else human_bytes(record.data_added)

"""The status report, shared by the running engine and by ``status`` without one.

Both paths build the same dictionary from the same inputs, so ``status
--json`` has one shape whether or not an instance runs; only what a live
engine knows (the run in progress, the idle time) is absent from the files.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

from restic_monitor import __version__, policy, restic, state
from restic_monitor.config import ConfigError, Settings, load_config
from restic_monitor.exitcodes import EXIT_FAILED, EXIT_INCOMPLETE, EXIT_INTERRUPTED, EXIT_OK
from restic_monitor.paths import Home
from restic_monitor.restic import Progress
from restic_monitor.state import History, RunRecord, to_iso


def _iso(value: float | None) -> str | None:
    return to_iso(value) if value is not None else None


def run_json(record: RunRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "started": _iso(record.started),
        "ended": _iso(record.ended),
        "trigger": record.trigger,
        "exit_code": record.exit_code,
        "outcome": record.outcome,
        "reason": record.reason,
        "message": record.message,
        "counted_success": record.counted_success,
        "snapshot_id": record.snapshot_id,
        "files_new": record.files_new,
        "files_changed": record.files_changed,
        "files_unmodified": record.files_unmodified,
        "data_added": record.data_added,
        "duration": record.duration,
    }


def build_status(
    *,
    home: Home,
    settings: Settings | None,
    problems: list[str],
    records: list[RunRecord],
    last_success: float | None,
    paused_until: float | None,
    decision: policy.Decision | None,
    now: float,
    instance_running: bool,
    running: bool = False,
    progress: Progress | None = None,
    current: dict[str, Any] | None = None,
    idle: float | None = None,
    idle_source: str | None = None,
    maintenance: str | None = None,
    unlock_needed: bool = False,
    version: str = __version__,
    warnings: list[str] | None = None,
) -> dict[str, Any]:
    last_run = state.last_finished(records)
    if decision is not None:  # the decision saw the clock-jump-corrected times
        warning = decision.warning
    else:
        warning = policy.warning_active(settings or Settings(args=("backup",)), last_success, now)
    if last_success is None:
        warning_message = "No successful backup has been recorded yet." if warning else None
    else:
        age = restic.human_duration(max(0.0, now - last_success))
        warning_message = f"No successful backup for {age}." if warning else None
    paused = paused_until is not None and paused_until > now
    reason = decision.reason.value if decision is not None else None
    reason_text = decision.reason.describe() if decision is not None else None
    if problems:
        reason, reason_text = (
            policy.Reason.CONFIG_ERROR.value,
            policy.Reason.CONFIG_ERROR.describe(),
        )
    return {
        "version": version,
        "home": str(home.root),
        "instance_running": instance_running,
        "running": running,
        "progress": progress.to_json() if progress is not None and running else None,
        "current_run": current if running else None,
        "maintenance": maintenance,
        "paused": paused,
        "paused_until": _iso(paused_until) if paused else None,
        "last_success": _iso(last_success),
        "last_success_age_seconds": None if last_success is None else max(0.0, now - last_success),
        "last_success_snapshot": _success_snapshot(records, last_success),
        "last_run": run_json(last_run) if last_run is not None else None,
        "warning": warning,
        "warning_message": warning_message,
        "next_backup_earliest": _iso(decision.next_backup_earliest)
        if decision is not None and decision.next_backup_earliest is not None
        else None,
        "reason": reason,
        "reason_text": reason_text,
        "consecutive_failures": state.consecutive_failures(records),
        "config_error": problems or None,
        "idle_seconds": idle,
        "idle_source": idle_source,
        "unlock_pending": unlock_needed,
        "pause_seconds": settings.pause_seconds if settings is not None else None,
        "warnings": warnings or [],
    }


def _success_snapshot(records: list[RunRecord], last_success: float | None) -> str | None:
    """The snapshot of the run the marker stands for, when the history knows it.

    The marker's time can come from elsewhere (the earlier tool, a restore of
    the home), so a record counts only when it ended at that moment.
    """
    if last_success is None:
        return None
    for record in records:
        if record.counted_success and record.ended is not None:
            if abs(record.ended - last_success) < 2.0:
                return record.snapshot_id
            return None
    return None


def status_from_files(home: Home, now: float | None = None) -> dict[str, Any]:
    """Status when no instance runs: everything the files in the home tell."""
    now = time.time() if now is None else now
    problems: list[str] = []
    settings: Settings | None = None
    try:
        settings = load_config(home, keyring=False).settings
    except ConfigError as exc:
        problems = [str(p) for p in exc.problems]
    records = History(home.history_db).recent(25) if home.history_db.exists() else []
    last_success = state.read_last_success(home)
    paused_until = state.read_pause(home)
    engine_state = state.read_engine_state(home)
    decision = None
    if settings is not None:
        latest = records[0] if records else None
        last_finished = state.last_finished(records)
        # Assume the user is away: the earliest time spacing and pause allow.
        facts = policy.Facts(
            now=now,
            idle=math.inf,
            paused_until=paused_until,
            last_started=latest.started if latest else None,
            last_ended=last_finished.ended if last_finished else None,
            last_success=last_success,
            failures=state.consecutive_failures(records),
            last_warning_notice=engine_state.last_warning_notice,
        )
        decision = policy.decide(settings, facts)
    out = build_status(
        home=home,
        settings=settings,
        problems=problems,
        records=records,
        last_success=last_success,
        paused_until=paused_until,
        decision=decision,
        now=now,
        instance_running=False,
        unlock_needed=engine_state.unlock_needed,
        warnings=env_permission_warnings(home),
    )
    if settings is not None:
        out["reason"] = "not_running"
        out["reason_text"] = "restic-monitor is not running (start it with `restic-monitor run`)"
    return out


def env_permission_warnings(home: Home) -> list[str]:
    """env.json holds secrets: other users must not be able to read it (POSIX)."""
    if sys.platform == "win32":
        return []
    try:
        mode = home.env_json.stat().st_mode
    except OSError:
        return []
    if mode & 0o077:
        return [
            f"{home.env_json} can be read by other users (mode {mode & 0o777:o}); "
            f"fix with: chmod 600 {home.env_json}"
        ]
    return []


def format_status(status: dict[str, Any]) -> str:
    """The human-readable ``status`` output."""
    lines = []
    now = time.time()

    def ago(iso: str | None) -> str:
        if not iso:
            return "never"
        when = state.parse_iso(iso)
        return f"{restic.human_duration(max(0.0, now - when))} ago ({iso})"

    instance = "running" if status["instance_running"] else "not running"
    lines.append(f"restic-monitor {status['version']} — {instance} (home: {status['home']})")
    if status.get("config_error"):
        lines.append("Configuration error:")
        lines.extend(f"  {p}" for p in status["config_error"])
    success_snap = status.get("last_success_snapshot")
    lines.append(
        f"Last successful backup: {ago(status['last_success'])}"
        + (f", snapshot {success_snap[:8]}" if success_snap else "")
    )
    last = status.get("last_run")
    if last:
        snap = f", snapshot {last['snapshot_id'][:8]}" if last.get("snapshot_id") else ""
        lines.append(
            f"Last run: {last['outcome']} (exit code {last['exit_code']}) at {last['ended']}{snap}"
        )
        if last["outcome"] != "success" and last.get("message"):
            lines.append(f"  {last['message']}")
    if status["running"]:
        prog = status.get("progress")
        text = "starting"
        if prog:
            text = Progress.from_json(prog).describe()
        lines.append(f"Backing up: {text}")
        current = status.get("current_run") or {}
        if current.get("stalled"):
            quiet = restic.human_duration(current.get("seconds_since_progress") or 0)
            lines.append(f"  STALLED: no progress for {quiet}; `restic-monitor stop` ends it")
    if status.get("maintenance"):
        lines.append(f"Maintenance: {status['maintenance']} in progress")
    if status["paused_until"]:
        lines.append(f"Paused until {status['paused_until']}")
    if status["warning"]:
        lines.append(f"WARNING: {status['warning_message']}")
    for problem in status.get("warnings") or []:
        lines.append(f"Problem: {problem}")
    if status.get("reason_text") and not status["running"]:
        lines.append(f"Next backup: {status['reason_text']}")
    if status.get("next_backup_earliest") and not status["running"]:
        lines.append(f"  earliest: {status['next_backup_earliest']}")
    if status.get("idle_source"):
        idle = status.get("idle_seconds")
        shown = "unknown" if idle is None else f"{idle:.0f} s"
        lines.append(f"Idle: {shown} (source: {status['idle_source']})")
    return "\n".join(lines)


def exit_code_for(run: dict[str, Any]) -> int:
    if run.get("counted_success"):
        return EXIT_OK
    outcome = run.get("outcome")
    if outcome == "incomplete":
        return EXIT_INCOMPLETE
    if outcome == "interrupted":
        return EXIT_INTERRUPTED
    return EXIT_FAILED


def describe_run(run: dict[str, Any]) -> str:
    outcome = run.get("outcome")
    if run.get("counted_success"):
        head = (
            "Backup succeeded" if outcome == "success" else "Backup incomplete (counted as success)"
        )
    else:
        head = {
            "incomplete": "Backup incomplete",
            "interrupted": "Backup interrupted",
            "error": "Backup could not run",
        }.get(str(outcome), "Backup failed")
    details = []
    if run.get("snapshot_id"):
        details.append(f"snapshot {run['snapshot_id'][:8]}")
    if run.get("files_new") is not None:
        details.append(f"{run['files_new']} new, {run.get('files_changed') or 0} changed files")
    if run.get("data_added") is not None:
        details.append(f"{restic.human_bytes(run['data_added'])} added")
    if run.get("duration") is not None:
        details.append(f"in {restic.human_duration(run['duration'])}")
    text = head + (": " + ", ".join(details) if details else "")
    if not run.get("counted_success") and run.get("message"):
        text += f"\n  {run['message']}"
    if outcome == "incomplete" and not run.get("counted_success"):
        text += (
            "\n  Some files could not be read; restic-last.log lists them. Exclude them, or set "
            "ignore_exit_code_3 to true to count such runs as successful."
        )
    return text

"""The status report, built from one view of the home whoever holds it.

A running engine publishes an :class:`EngineView` after every look and every
command; ``status`` without an instance builds the same view from the files.
Both go through :func:`build_status`, so ``status --json`` has one shape
whether or not an instance runs; only what a live engine knows (the job in
progress, the idle time) is absent from the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from restic_monitor import __version__
from restic_monitor.config.settings import Settings
from restic_monitor.humanize import human_duration
from restic_monitor.isotime import iso_or_none, to_iso
from restic_monitor.policy.backup import Decision, Reason
from restic_monitor.policy.warning import warning_active
from restic_monitor.state.history import RunRecord, consecutive_failures, last_finished
from restic_monitor.status.model import (
    CurrentJob,
    CurrentRun,
    MaintenanceKindStatus,
    MaintenanceStatus,
    MirrorStatus,
    ProfileStatus,
    ProgressInfo,
    QueuedJob,
    RunInfo,
    Status,
)

if TYPE_CHECKING:
    from restic_monitor.restic.runner import RunHandle

#: The warning threshold shown while a profile's configuration is invalid.
FALLBACK_SETTINGS = Settings(args=("backup",))


def not_running_text(home: str) -> str:
    """What status says of a home no instance holds, with the command that starts one."""
    from pathlib import Path

    from restic_monitor.paths import Home

    return f"restic-monitor is not running (start it with `{Home(Path(home)).command('run')}`)"


@dataclass(frozen=True)
class ProfileView:
    """What status needs of one profile, copied at one moment."""

    name: str
    settings: Settings | None
    problems: list[str]
    records: list[RunRecord]
    last_success: float | None
    paused_until: float | None
    decision: Decision | None
    unlock_needed: bool = False
    #: After a stop: "activity" or "time" (see :class:`ProfileStatus`), and until when.
    hold: str | None = None
    hold_until: float | None = None
    warnings: list[str] = field(default_factory=list)
    #: Per maintenance kind: its last finished run and when it is next due.
    maintenance: dict[str, tuple[RunRecord | None, float | None]] = field(default_factory=dict)
    check_errors: bool = False
    #: The mirror (copy_to_profile) and when a copy into it last succeeded.
    mirror_last_success: float | None = None


@dataclass(frozen=True)
class JobView:
    kind: str
    profile: str
    trigger: str
    started: float
    stopping: bool
    handle: RunHandle | None
    stall_seconds: float


@dataclass(frozen=True)
class EngineView:
    profiles: list[ProfileView]
    current: JobView | None = None
    queue: list[QueuedJob] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    idle: float | None = None
    idle_source: str | None = None
    instance_running: bool = True


def build_status(
    home: str,
    view: EngineView,
    now: float,
    version: str = __version__,
    only: str | None = None,
) -> Status:
    """The document; ``only``: about that one profile (its keys at the top, alone in
    ``profiles``), the same shape as a one-profile home's."""
    current = _current_job(view.current)
    chosen = [p for p in view.profiles if only is None or p.name == only]
    if not chosen:
        raise KeyError(only)
    not_running = None if view.instance_running else not_running_text(home)
    profiles = [_profile_status(p, view, current, now, not_running) for p in chosen]
    primary = profiles[0]
    warnings = [*view.warnings, *primary.warnings]
    for other in profiles[1:]:
        warnings.extend(f"profile {other.name}: {w}" for w in other.warnings)
    maintenance = None
    if current is not None and current.profile == primary.name and current.kind != "backup":
        maintenance = current.kind
    return Status(
        version=version,
        home=home,
        instance_running=view.instance_running,
        running=primary.running,
        progress=primary.progress,
        current_run=primary.current_run,
        maintenance=maintenance,
        paused=primary.paused,
        paused_until=primary.paused_until,
        last_success=primary.last_success,
        last_success_age_seconds=primary.last_success_age_seconds,
        last_success_snapshot=primary.last_success_snapshot,
        last_run=primary.last_run,
        warning=primary.warning,
        warning_message=primary.warning_message,
        next_backup_earliest=primary.next_backup_earliest,
        reason=primary.reason,
        reason_text=primary.reason_text,
        consecutive_failures=primary.consecutive_failures,
        config_error=primary.config_error,
        idle_seconds=view.idle,
        idle_source=view.idle_source,
        unlock_pending=primary.unlock_pending,
        pause_seconds=primary.pause_seconds,
        warnings=warnings,
        profiles=profiles,
        current_job=current,
        queue=list(view.queue),
    )


def _current_job(job: JobView | None) -> CurrentJob | None:
    if job is None:
        return None
    handle = job.handle
    progress = handle.progress if handle is not None else None
    quiet = handle.seconds_since_progress if handle is not None else None
    return CurrentJob(
        kind=job.kind,
        profile=job.profile,
        started=to_iso(job.started),
        progress=ProgressInfo.of(progress) if progress is not None else None,
        trigger=job.trigger,
        pid=handle.pid if handle is not None else None,
        stopping=job.stopping,
        stalled=quiet is not None and quiet >= job.stall_seconds,
        seconds_since_progress=quiet,
    )


def _profile_status(
    p: ProfileView,
    view: EngineView,
    current: CurrentJob | None,
    now: float,
    not_running: str | None,
) -> ProfileStatus:
    last_run = last_finished(p.records)
    if p.decision is not None:  # the decision saw the clock-jump-corrected times
        warning = p.decision.warning
    else:
        warning = warning_active(p.settings or FALLBACK_SETTINGS, p.last_success, now)
    age = None if p.last_success is None else max(0.0, now - p.last_success)
    warning_message = None
    if warning:
        warning_message = (
            "No successful backup has been recorded yet."
            if age is None
            else f"No successful backup for {human_duration(age)}."
        )
    paused = p.paused_until is not None and p.paused_until > now
    running = current is not None and current.profile == p.name and current.kind == "backup"
    # A backup whose stale locks are cleared first is, to the user, the backup running
    # (as it always was): its unlock is the maintenance, its backup waits right behind.
    preparing = (
        current is not None
        and current.profile == p.name
        and current.kind == "unlock"
        and current.trigger == "before_backup"
    )
    queued_backup = next(
        (q for q in view.queue if q.profile == p.name and q.kind == "backup"), None
    )
    reason = p.decision.reason.value if p.decision is not None else None
    reason_text = p.decision.reason.describe() if p.decision is not None else None
    if reason == Reason.NOT_IDLE.value and p.settings is not None:
        # How long "away" is, and the setting that says so: "not idle yet" alone
        # leaves the user guessing whether anything will ever happen.
        away = human_duration(p.settings.min_idle_seconds)
        reason_text = f"after {away} away (min_idle_seconds)"
    if p.problems:
        reason, reason_text = Reason.CONFIG_ERROR.value, Reason.CONFIG_ERROR.describe()
    elif not_running is not None:
        reason, reason_text = "not_running", not_running
    current_run = None
    if running:
        assert current is not None
        current_run = CurrentRun(
            started=current.started,
            trigger=current.trigger,
            pid=current.pid,
            stopping=current.stopping,
            seconds_since_progress=current.seconds_since_progress,
            stalled=current.stalled,
        )
    elif preparing and queued_backup is not None:
        assert current is not None
        running = True
        reason, reason_text = Reason.RUNNING.value, Reason.RUNNING.describe()
        current_run = CurrentRun(
            started=current.started,
            trigger=queued_backup.trigger,
            pid=None,
            stopping=current.stopping,
            seconds_since_progress=None,
            stalled=False,
        )
    if current_run is not None and current_run.trigger == "overdue":
        since = "no backup yet" if age is None else f"no backup for {human_duration(age)}"
        reason_text = f"backing up although you are active: {since}"
    earliest = p.decision.next_backup_earliest if p.decision is not None else None
    return ProfileStatus(
        name=p.name,
        running=running,
        progress=current.progress if running and not preparing and current else None,
        current_run=current_run,
        queued=any(q.profile == p.name for q in view.queue),
        paused=paused,
        paused_until=iso_or_none(p.paused_until) if paused else None,
        last_success=iso_or_none(p.last_success),
        last_success_age_seconds=age,
        last_success_snapshot=_success_snapshot(p.records, p.last_success),
        last_run=RunInfo.of(last_run) if last_run is not None else None,
        warning=warning,
        warning_message=warning_message,
        next_backup_earliest=iso_or_none(earliest),
        reason=reason,
        reason_text=reason_text,
        consecutive_failures=consecutive_failures(p.records),
        config_error=list(p.problems) or None,
        unlock_pending=p.unlock_needed,
        pause_seconds=p.settings.pause_seconds if p.settings is not None else None,
        hold=p.hold,
        hold_until=iso_or_none(p.hold_until),
        warnings=list(p.warnings),
        maintenance=MaintenanceStatus(
            **{kind: _maintenance_kind(p, kind) for kind in ("forget", "prune", "check", "copy")}
        ),
        check_errors=p.check_errors,
        mirror=_mirror(p, now),
    )


def _mirror(p: ProfileView, now: float) -> MirrorStatus | None:
    """A mirror falls behind like a backup goes stale: no copy of a newer backup for longer
    than no_backup_warning_seconds."""
    if p.settings is None or not p.settings.copy_to_profile:
        return None
    copied = p.mirror_last_success
    lacking = p.last_success is not None and (copied is None or p.last_success > copied)
    limit = p.settings.no_backup_warning_seconds
    behind = lacking and (copied is None or now - copied > limit)
    to = p.settings.copy_to_profile
    message = None
    if behind:
        message = (
            f"Mirror {to}: never copied"
            if copied is None
            else f"Mirror {to}: no copy for {human_duration(now - copied)}"
        )
    return MirrorStatus(to=to, last_success=iso_or_none(copied), behind=behind, message=message)


def _maintenance_kind(p: ProfileView, kind: str) -> MaintenanceKindStatus:
    last, due = p.maintenance.get(kind, (None, None))
    return MaintenanceKindStatus(
        last=RunInfo.of(last) if last is not None else None, next_due=iso_or_none(due)
    )


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

"""The engine's state copied for status: what the CLI, the tray and the control channel read.

Built on the engine's thread after every look and every command, then read
from any thread without locks (the view is replaced whole, never changed).
"""

from __future__ import annotations

from restic_monitor.engine.parts import EngineParts
from restic_monitor.engine.profile import ProfileRuntime
from restic_monitor.jobs.kinds import MAINTENANCE
from restic_monitor.state.history import RunRecord, last_finished
from restic_monitor.status.build import FALLBACK_SETTINGS, EngineView, JobView, ProfileView
from restic_monitor.status.model import QueuedJob


def engine_view(engine: EngineParts, now: float, mono: float) -> EngineView:
    profiles = []
    for profile in engine.profiles.values():
        hold_kind, hold_until = (None, None)
        if profile.hold is not None:
            hold_kind, hold_until = profile.hold.shown(engine.idle_source, now, mono)
        warnings = list(profile.env_warnings)
        if profile.log_problem:
            warnings.append(profile.log_problem)
        mirror_problem = _mirror_problem(engine, profile)
        if mirror_problem is not None:
            warnings.append(mirror_problem)
        profiles.append(
            ProfileView(
                name=profile.name,
                settings=profile.settings,
                problems=list(profile.problems),
                records=list(profile.records),
                last_success=profile.last_success,
                paused_until=profile.paused_until,
                decision=profile.decision,
                unlock_needed=profile.state.unlock_needed,
                hold=hold_kind,
                hold_until=hold_until,
                warnings=warnings,
                maintenance={
                    kind: (
                        last_finished(profile.kind_records.get(kind, [])),
                        due.next_due if (due := profile.due.get(kind)) is not None else None,
                    )
                    for kind in MAINTENANCE
                },
                check_errors=profile.state.check_errors,
                mirror_last_success=_last_success_of(profile.kind_records.get("copy", [])),
            )
        )
    current = engine.queue.current
    job_view = None
    if current is not None and current.started is not None:
        settings = current.config.settings if current.config is not None else FALLBACK_SETTINGS
        job_view = JobView(
            kind=current.kind,
            profile=current.profile,
            trigger=current.trigger,
            started=current.started,
            stopping=current.stop_requested,
            handle=current.handle,
            stall_seconds=settings.stall_seconds,
        )
    return EngineView(
        profiles=profiles,
        current=job_view,
        queue=[QueuedJob(j.kind, j.profile, j.trigger) for j in engine.queue],
        warnings=_warnings(engine),
        idle=engine.last_idle,
        idle_source=engine.idle_source.name,
    )


def _last_success_of(records: list[RunRecord]) -> float | None:
    return next((r.ended for r in records if r.counted_success and r.ended is not None), None)


def _mirror_problem(engine: EngineParts, profile: ProfileRuntime) -> str | None:
    """copy_to_profile naming no usable profile: said, and no copy runs (backups go on)."""
    settings = profile.settings
    if settings is None or not settings.copy_to_profile:
        return None
    name = settings.copy_to_profile
    where = f"copy_to_profile {name!r} ({profile.paths.settings_json})"
    if name == profile.name:
        return f"{where}: a profile cannot be its own mirror"
    mirror = engine.profiles.get(name)
    if mirror is None:
        return f"{where}: no such profile; the profiles are: {', '.join(engine.profiles)}"
    if mirror.config is None:
        return f"{where}: that profile's configuration is invalid, so nothing is copied"
    return None


def _warnings(engine: EngineParts) -> list[str]:
    """Problems that do not stop backups but that the user should fix."""
    from restic_monitor import logs

    out = list(engine.ignored)
    if engine.look_error is not None:
        out.append(f"internal error while planning backups ({engine.look_error}); see the log")
    if logs.problem():
        out.append(str(logs.problem()))
    if engine.history.problem:
        out.append(engine.history.problem)
    return out

"""When the no-backup warning is on, and when its notice is due (at most hourly)."""

from __future__ import annotations

from restic_monitor.config.settings import Settings

WARNING_NOTICE_INTERVAL = 3600


def warning_active(settings: Settings, last_success: float | None, now: float) -> bool:
    if last_success is None:
        return True
    return now - min(last_success, now) > settings.no_backup_warning_seconds


def warning_state(
    settings: Settings,
    *,
    now: float,
    last_success: float | None,
    paused_until: float | None,
    last_notice: float | None,
) -> tuple[bool, bool, float | None]:
    """(warning is on, a notice is due now, when to look again for warnings)."""
    if not warning_active(settings, last_success, now):
        assert last_success is not None
        due_at = min(last_success, now) + settings.no_backup_warning_seconds
        # A hair after the boundary so that the next look sees it as due.
        return False, False, due_at + 0.001
    if paused_until is not None and paused_until > now:
        return True, False, paused_until + 0.001  # notices resume with the pause end
    last = last_notice
    if last is not None and last > now:
        last = now  # clock went backwards: do not stay silent for the gap
    if last is None or now - last >= WARNING_NOTICE_INTERVAL:
        return True, True, now + WARNING_NOTICE_INTERVAL
    return True, False, last + WARNING_NOTICE_INTERVAL

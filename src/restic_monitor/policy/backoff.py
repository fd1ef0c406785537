"""How long to wait after failures, so that a broken setup does not retry all day."""

from __future__ import annotations

from restic_monitor.config.settings import Settings

BACKOFF_CAP_SECONDS = 6 * 3600
MIN_BACKOFF_BASE_SECONDS = 60


def backoff_seconds(settings: Settings, failures: int) -> float:
    """The wait after ``failures`` consecutive automatic failures.

    Doubles with each failure from the normal spacing (at least a minute, so a
    spacing of 0 cannot turn a broken setup into a busy loop), capped at six
    hours, but never shorter than the spacing the user asked for.
    """
    between = settings.min_seconds_between_backups
    if failures <= 0:
        return between
    base = max(between, MIN_BACKOFF_BASE_SECONDS)
    exponent = min(failures - 1, 30)
    return max(between, min(base * (1 << exponent), BACKOFF_CAP_SECONDS))

"""Status when no instance runs: everything the files in the home tell."""

from __future__ import annotations

import math
import time

from restic_monitor.config.files import ConfigError
from restic_monitor.config.profile import env_permission_warnings, load_config
from restic_monitor.config.settings import Settings
from restic_monitor.jobs.names import MAINTENANCE
from restic_monitor.paths import Home
from restic_monitor.policy.backup import Facts, decide
from restic_monitor.policy.maintenance import KindFacts, next_due
from restic_monitor.state import files as state_files
from restic_monitor.state.history import BACKUP, History, consecutive_failures, last_finished
from restic_monitor.status.build import EngineView, ProfileView, build_status
from restic_monitor.status.model import Status

RECENT_RUNS = 25


def ignored_profile_warnings(home: Home) -> list[str]:
    """Folders under ``profiles/`` that cannot be profiles, named so that typos show."""
    _names, ignored = home.profile_folders()
    return [
        f"{home.profiles_dir / name} is not a profile: a profile's name is 1 to 32 of a-z, 0-9, "
        "_ and - (starting with a letter or digit), and not 'default'"
        for name in ignored
    ]


def status_from_files(home: Home, now: float | None = None, only: str | None = None) -> Status:
    now = time.time() if now is None else now
    history = History(home.history_db) if home.history_db.exists() else None
    views = []
    for name in [only] if only is not None else home.profile_names():
        paths = home.profile(name)
        problems: list[str] = []
        settings: Settings | None = None
        try:
            settings = load_config(paths, keyring=False).settings
        except ConfigError as exc:
            problems = [str(p) for p in exc.problems]
        records = (
            history.recent(RECENT_RUNS, kind=BACKUP, profile=name) if history is not None else []
        )
        last_success = state_files.read_last_success(paths)
        paused_until = state_files.read_pause(paths)
        engine_state = state_files.read_engine_state(paths)
        decision = None
        if settings is not None:
            latest = records[0] if records else None
            finished = last_finished(records)
            # Assume the user is away: the earliest time spacing and pause allow.
            facts = Facts(
                now=now,
                idle=math.inf,
                paused_until=paused_until,
                last_started=latest.started if latest else None,
                last_ended=finished.ended if finished else None,
                last_success=last_success,
                failures=consecutive_failures(records),
                last_warning_notice=engine_state.last_warning_notice,
            )
            decision = decide(settings, facts)
        maintenance = {}
        mirror_copied = None
        for kind in MAINTENANCE:
            runs = history.recent(10, kind=kind, profile=name) if history is not None else []
            due = None
            if settings is not None:
                last = KindFacts(
                    last_started=runs[0].started if runs else None,
                    last_ended=(done.ended if (done := last_finished(runs)) else None),
                    failures=consecutive_failures(runs),
                )
                due = next_due(kind, settings, last, now)
            maintenance[kind] = (last_finished(runs), due)
            if kind == "copy":
                mirror_copied = next(
                    (r.ended for r in runs if r.counted_success and r.ended is not None), None
                )
        views.append(
            ProfileView(
                name=name,
                settings=settings,
                problems=problems,
                records=records,
                last_success=last_success,
                paused_until=paused_until,
                decision=decision,
                unlock_needed=engine_state.unlock_needed,
                warnings=env_permission_warnings(paths),
                maintenance=maintenance,
                check_errors=engine_state.check_errors,
                mirror_last_success=mirror_copied,
            )
        )
    view = EngineView(
        profiles=views, warnings=ignored_profile_warnings(home), instance_running=False
    )
    return build_status(str(home.root), view, now, only=only)

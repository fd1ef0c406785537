"""Which profiles a home has, their configurations, and what a crash left behind.

Profiles come and go with their folders while the monitor runs; a changed
settings.json or env.json is reloaded at the next look; the runs a previous
monitor never finished are recorded as interrupted, and their restic (if it
still runs) is stopped and the repository's stale locks cleared first thing.
"""

from __future__ import annotations

import contextlib
import logging

from restic_monitor.engine.errors import EngineError
from restic_monitor.engine.parts import EngineParts
from restic_monitor.engine.profile import ProfileRuntime
from restic_monitor.engine.queue import Job
from restic_monitor.isotime import to_iso
from restic_monitor.jobs.unlock import UNLOCK
from restic_monitor.notify import Notice
from restic_monitor.state.history import HistoryUnavailable
from restic_monitor.status.files import ignored_profile_warnings

log = logging.getLogger(__name__)


class Profiles:
    def __init__(self, engine: EngineParts) -> None:
        self.engine = engine

    def load(self, now: float) -> None:
        """Read every profile's configuration and state; take up what a crash left."""
        engine = self.engine
        self.discover(initial=True)
        unfinished = engine.history.unfinished()
        for record in unfinished:
            profile = engine.profiles.get(record.profile)
            log.warning(
                "the %s of profile %s started %s never finished (the monitor was stopped "
                "or crashed)",
                record.kind,
                record.profile,
                to_iso(record.started),
            )
            with contextlib.suppress(HistoryUnavailable):  # logged; backups go on regardless
                engine.history.update(
                    record.id,
                    ended=now,
                    outcome="interrupted",
                    reason="monitor_stopped",
                    message="The monitor stopped during this job (crash, kill or power loss).",
                )
            if record.pid:
                # Whichever profile it belonged to, it is stopped before any job starts.
                engine.orphans.append((record.pid, record.pid_started))
            if profile is not None:
                profile.set_unlock_needed(True)
        for name, profile in engine.profiles.items():
            profile.refresh_records()
            orphans = [r for r in unfinished if r.profile == name]
            if (orphans or profile.state.unlock_needed) and profile.config is not None:
                engine.queue.add(
                    Job(
                        UNLOCK.name,
                        name,
                        "recovery",
                        keep_unlock_pending=any(not r.pid for r in orphans),
                    )
                )
        why = getattr(engine.idle_source, "why", None)
        if why and not engine.automatic:
            log.debug("idle source unavailable (%s); this run backs up only on request", why)
        elif why:
            log.warning("idle time unknown: %s; automatic backups need a working idle source", why)
        else:
            log.info("idle source: %s", engine.idle_source.name)

    def discover(self, initial: bool = False) -> set[str]:
        """Follow profiles added and removed; reload configurations that changed.

        Returns the names of the profiles whose configuration was (re)loaded.
        """
        loaded: set[str] = set()
        engine = self.engine
        names = engine.home.profile_names()
        engine.ignored = ignored_profile_warnings(engine.home)
        for name in names:
            profile = engine.profiles.get(name)
            if profile is None:
                profile = ProfileRuntime(name, engine.home.profile(name), engine.history)
                profile.load_state()
                profile.restore_hold(engine.wall(), engine.mono())
                engine.profiles[name] = profile
                self.load_config(profile, initial=True)
                loaded.add(name)
                if not initial:
                    log.info("new profile %s", name)
            elif profile.config_changed():
                log.info("configuration files of profile %s changed; reloading", name)
                self.load_config(profile)
                loaded.add(name)
        for name in [n for n in engine.profiles if n not in names]:
            current = engine.queue.current
            if current is not None and current.profile == name:
                continue  # forgotten once its job has ended
            log.info("profile %s is gone", name)
            for job in engine.queue.drop(lambda j, gone=name: j.profile == gone):  # type: ignore[misc]
                job.fail(EngineError(f"profile {name} was removed"))
            del engine.profiles[name]
        order = {name: i for i, name in enumerate(names)}
        engine.profiles = dict(
            sorted(engine.profiles.items(), key=lambda kv: order.get(kv[0], 1e9))
        )
        return loaded

    def load_config(self, profile: ProfileRuntime, initial: bool = False) -> list[str]:
        was_invalid = profile.config is None
        problems = profile.load_config()
        if problems:
            log.error(
                "configuration of profile %s invalid:\n  %s", profile.name, "\n  ".join(problems)
            )
            if tuple(problems) != profile.notified_problems:
                profile.notified_problems = tuple(problems)
                more = "" if len(problems) <= 5 else f"\n… and {len(problems) - 5} more"
                self.engine.notify(
                    profile,
                    Notice(
                        "config",
                        "restic-monitor: configuration error",
                        "\n".join(problems[:5]) + more,
                        topic="config",
                    ),
                )
        else:
            assert profile.config is not None
            if was_invalid and not initial:
                self.engine.withdraw(profile, "config")
            names = ", ".join(sorted(profile.config.env)) or "none"
            verb = "loaded" if initial or was_invalid else "reloaded"
            log.info(
                "configuration of profile %s %s from %s (env.json variables: %s)",
                profile.name,
                verb,
                profile.paths.root,
                names,
            )
        self.engine.emit("config", profile=profile.name, problems=problems)
        return problems

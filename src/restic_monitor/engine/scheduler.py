"""The engine: profiles, one queue of restic jobs, and a step that decides and acts.

:meth:`Scheduler.step` is the whole engine's heartbeat, with no thread and no
sleep of its own: it takes the jobs that ended, looks at every profile (its
configuration, the idle time, :func:`restic_monitor.policy.backup.decide`),
queues what is due, starts the next job when none runs, and returns when to
look again. Commands (back up, stop, pause, …) are plain method calls. The
threaded host (:mod:`restic_monitor.engine.host`) calls all of this from one
engine thread; tests call it directly with a scripted runner and a fake clock.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from restic_monitor.engine import notices, pausing
from restic_monitor.engine.discovery import Profiles
from restic_monitor.engine.dispatch import Dispatcher
from restic_monitor.engine.errors import ConfigInvalid, EngineError, NothingToDo, UnknownProfile
from restic_monitor.engine.hold import follow_hold, start_hold
from restic_monitor.engine.maintenance import plan_maintenance
from restic_monitor.engine.profile import ProfileRuntime
from restic_monitor.engine.queue import Cancelled, Job, JobQueue
from restic_monitor.engine.recording import Recorder
from restic_monitor.engine.runner import JobRunner
from restic_monitor.engine.senses import Senses
from restic_monitor.engine.view import engine_view
from restic_monitor.jobs.backup import IDLE, MANUAL, OVERDUE
from restic_monitor.jobs.kinds import KINDS
from restic_monitor.notify import Notice, Notifier
from restic_monitor.paths import DEFAULT_PROFILE, Home
from restic_monitor.platform import network as platform_network
from restic_monitor.platform import power as platform_power
from restic_monitor.platform.idle import IdleSource
from restic_monitor.policy.backup import decide
from restic_monitor.restic.command import version as restic_version
from restic_monitor.restic.runner import RunResult
from restic_monitor.state.history import History
from restic_monitor.status.build import FALLBACK_SETTINGS, EngineView

log = logging.getLogger(__name__)

#: Longest single sleep: a safety net for clocks that stop during system sleep.
MAX_SLEEP = 300.0
#: How often to look at the configuration files while they are invalid.
CONFIG_ERROR_RECHECK = 2.0

Emit = Callable[..., None]


class Scheduler:
    def __init__(
        self,
        home: Home,
        idle_source: IdleSource,
        runner: JobRunner,
        *,
        notifier: Notifier,
        automatic: bool = True,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        power: Callable[[], bool | None] = platform_power.on_battery,
        network: Callable[[], bool | None] = platform_network.metered,
        emit: Emit | None = None,
        wake: Callable[[], None] | None = None,
        restic_version: Callable[[str], str | None] = restic_version,
    ) -> None:
        self.home = home
        self.idle_source = idle_source
        self.runner = runner
        self.notifier = notifier
        self.automatic = automatic
        self._clock = clock
        self._mono = monotonic
        self._emit_to = emit
        self.wake_up = wake or (lambda: None)
        self.history = History(home.history_db)
        self.profiles: dict[str, ProfileRuntime] = {}
        self.queue = JobQueue()
        self.shutting_down = False
        #: Jobs that ended, with their result: filled from runner threads, emptied by step().
        self.ended: collections.deque[tuple[Job, RunResult]] = collections.deque()
        self.senses = Senses(idle_source, power, network, monotonic)
        self._versions: dict[str, str | None] = {}
        self._probe_version = restic_version
        self.recorder = Recorder(self)
        self._profiles = Profiles(self)
        self._dispatcher = Dispatcher(self)
        self.look_error: str | None = None
        self.ignored: list[str] = []
        self.orphans: list[tuple[int, float | None]] = []
        self.view = EngineView(profiles=[])

    # --- start-up -------------------------------------------------------------------

    def load(self) -> None:
        """Read every profile's configuration and state; take up what a crash left."""
        self._profiles.load(self._clock())
        self.senses.read_idle()
        self._start_next(self._clock())
        self.publish()

    # --- the step -------------------------------------------------------------------

    def step(self, now: float | None = None) -> float:
        """Take ended jobs, decide for every profile, start what is due; when to look again."""
        now = self._clock() if now is None else now
        mono = self._mono()
        while self.ended:
            job, result = self.ended.popleft()
            self.recorder.ended(job, result, now)
        self.senses.note_clock(now, mono)
        self._profiles.discover()
        idle = self.senses.read_idle()
        wakes = [now + MAX_SLEEP]
        ready: list[tuple[ProfileRuntime, bool]] = []
        for profile in self.profiles.values():
            if profile.hold is not None:
                held = follow_hold(profile.hold, self.idle_source, idle, mono, profile.name)
                profile.set_hold(held, now, mono)
            decision = self.decide(profile, now, idle)
            if decision.wake_at is not None:
                wakes.append(decision.wake_at + 0.01)
            if profile.config is None:
                wakes.append(now + CONFIG_ERROR_RECHECK)
            # An engine without automatic backups (a foreground `backup`) does not nag.
            if decision.notify_warning and profile.config is not None and self.automatic:
                self.recorder.warn(profile, now)
            if decision.start:
                ready.append((profile, decision.overdue))
        if self.automatic and not self.shutting_down:
            # The longest without a backup goes first.
            ready.sort(key=lambda pair: pair[0].last_success or 0.0)
            for profile, overdue in ready:
                trigger = OVERDUE if overdue else IDLE
                log.info(
                    "profile %s: %s; queueing a backup",
                    profile.name,
                    "overdue, backing up although you are active"
                    if overdue
                    else f"idle for {idle or 0:.0f} s",
                )
                self.queue.add(Job("backup", profile.name, trigger))
        for profile in self.profiles.values():  # after the backups: they go first
            if profile.facts_seen is not None:
                wakes.extend(plan_maintenance(self, profile, profile.facts_seen))
        self._start_next(now)
        stall = self.recorder.watch_stall(now)
        if stall is not None:
            wakes.append(stall)
        refresh = self.idle_source.refresh
        if refresh is not None:
            wakes.append(now + refresh)
        self.publish()
        return min(wakes)

    def decide(self, profile: ProfileRuntime, now: float, idle: float | None) -> Any:
        """The profile's decision, kept for status; a queued automatic job no longer due goes."""
        current = self.queue.current
        running = (
            current is not None and current.profile == profile.name and current.kind == "backup"
        )
        queued = self.queue.find("backup", profile.name)
        settings = profile.settings
        free = profile.facts(
            now=now,
            mono=self._mono(),
            idle=idle,
            running=False,
            queued=False,
            idle_grows=self.idle_source.grows_on_its_own,
            idle_reports_activity=self.idle_source.reports_activity,
            on_battery=settings is not None
            and settings.skip_on_battery
            and self.senses.on_battery(),
            needs_elevation=settings is not None and platform_power.needs_elevation(settings.args),
            metered=settings is not None and settings.skip_on_metered and self.senses.metered(),
        )
        decision = decide(settings or FALLBACK_SETTINGS, free)
        if queued is not None and queued.trigger in (IDLE, OVERDUE):
            if not decision.start:
                log.info("profile %s: the queued backup is no longer due; dropped", profile.name)
                self.queue.drop(lambda j: j is queued)
                queued = None
            else:  # due now for the reason that holds now (an overdue one runs at low priority)
                queued.trigger = OVERDUE if decision.overdue else IDLE
        profile.facts_seen = replace(free, running=running, queued=queued is not None)
        if running or queued is not None:
            decision = decide(
                settings or FALLBACK_SETTINGS, replace(free, running=running, queued=not running)
            )
        profile.decision = decision
        return decision

    def _start_next(self, now: float) -> None:
        self._dispatcher.start_next(now)

    # --- commands -------------------------------------------------------------------

    def profile(self, name: str | None) -> ProfileRuntime:
        name = name or DEFAULT_PROFILE
        profile = self.profiles.get(name)
        if profile is None:
            raise UnknownProfile(self.unknown_profile_message(name))
        return profile

    def unknown_profile_message(self, name: str) -> str:
        known = ", ".join(self.profiles) or "none"
        return f"unknown profile {name!r}; the profiles of {self.home.root} are: {known}"

    def targets(self, name: str | None) -> list[ProfileRuntime]:
        return list(self.profiles.values()) if name is None else [self.profile(name)]

    def backup(self, name: str | None = None) -> tuple[Job, bool]:
        """Back up one profile now (or join its backup); (the job, whether it already was)."""
        return self.request("backup", name)

    def request(
        self, kind: str, name: str | None = None, details: dict[str, Any] | None = None
    ) -> tuple[Job, bool]:
        """Run a job of ``kind`` for one profile now (or join the one queued or running).

        A job with ``details`` (a restore's items) is a job of its own: never joined.
        """
        profile = self.profile(name)
        current = self.queue.current
        if (
            current is not None
            and current.kind == kind
            and current.profile == profile.name
            and not details
            and not current.request
        ):
            return current, True
        if profile.config is None:
            raise ConfigInvalid(
                f"the configuration of profile {profile.name} is invalid, no {kind} started:\n"
                + "\n".join(profile.problems)
            )
        refusal = KINDS[kind].refusal(profile.paths, profile.config.settings)
        if refusal is not None:
            raise (NothingToDo if refusal.nothing_to_do else EngineError)(refusal.message)
        if kind == "backup":
            profile.set_hold(None, self._clock(), self._mono())
        queued = None if details else self.queue.find(kind, profile.name)
        if queued is not None:
            queued.trigger = MANUAL  # no longer subject to idle time
            return queued, True
        job = self.queue.add(Job(kind, profile.name, MANUAL, request=details))
        self._start_next(self._clock())
        self.publish()
        return job, False

    def stop(
        self,
        name: str | None = None,
        *,
        hold: bool = True,
        queued_only: bool = False,
        kind: str | None = None,
    ) -> bool:
        """Stop the profile's running job gracefully and drop its queued ones (``kind``:
        only jobs of that kind, as the restore window's Stop does).

        ``hold``: the user stopped it, so no automatic backup of the profile starts again
        until they have come back and left (or, where that cannot be seen, for an hour).
        """
        targets = {p.name for p in self.targets(name)}
        dropped = self.queue.drop(lambda j: j.profile in targets and kind in (None, j.kind))
        for job in dropped:
            log.info("dropped the queued %s", job.describe())
            job.fail(Cancelled(f"the {job.kind} was stopped before it started"))
        stopped_backups = {j.profile for j in dropped if j.kind == "backup"}
        current = None if queued_only else self.queue.current
        stopped = False
        if current is not None and kind not in (None, current.kind):
            current = None
        if current is not None and current.profile in targets and not current.stop_requested:
            log.info("stopping the %s: stopped by the user", current.describe())
            self.stop_job(current)
            stopped = True
            if current.kind == "backup":
                stopped_backups.add(current.profile)
        for profile_name in stopped_backups if hold else ():
            mono = self._mono()
            self.profiles[profile_name].set_hold(
                start_hold(self.idle_source, self.senses.read_idle(), mono), self._clock(), mono
            )
        self.publish()
        return stopped or bool(dropped)

    def stop_job(self, job: Job) -> None:
        job.stop_requested = True
        if job.handle is not None:
            job.handle.stop()

    def pause(self, seconds: float | None, name: str | None = None) -> float:
        """Pause one profile or all (see :func:`restic_monitor.engine.pausing.pause`)."""
        return pausing.pause(self, seconds, name)

    def resume(self, name: str | None = None) -> None:
        pausing.resume(self, name)

    def reload(self, name: str | None = None) -> list[str]:
        from restic_monitor.state import files as state_files

        just_loaded = self._profiles.discover()
        problems: list[str] = []
        for profile in self.targets(name):
            if profile.name in just_loaded:
                problems.extend(profile.problems)
            else:
                problems.extend(self._profiles.load_config(profile))
            profile.paused_until = state_files.read_pause(profile.paths)
        self.publish()
        return problems

    def shutdown(self) -> None:
        """Stop the running job gracefully; queued jobs are dropped."""
        self.shutting_down = True
        for job in self.queue.drop(lambda j: True):
            job.fail(EngineError("restic-monitor is shutting down"))
        current = self.queue.current
        if current is not None and not current.stop_requested:
            log.info("stopping the %s: monitor shutting down", current.describe())
            self.stop_job(current)

    @property
    def has_ended_jobs(self) -> bool:
        return bool(self.ended)

    @property
    def busy(self) -> bool:
        return self.queue.current is not None or len(self.queue) > 0 or bool(self.ended)

    # --- helpers --------------------------------------------------------------------

    @property
    def last_idle(self) -> float | None:
        return self.senses.last_idle

    def wall(self) -> float:
        return self._clock()

    def mono(self) -> float:
        return self._mono()

    def emit(self, event: str, **data: Any) -> None:
        if self._emit_to is not None:
            self._emit_to(event, **data)

    def notify(self, profile: ProfileRuntime, notice: Notice) -> None:
        notices.send(self.notifier, self.emit, profile.name, notice, self.labelled)

    def withdraw(self, profile: ProfileRuntime, *topics: str) -> None:
        notices.withdraw_topics(self.notifier, profile.name, topics)

    @property
    def labelled(self) -> bool:
        """Whether notices name their profile (a home with more than one)."""
        return len(self.profiles) > 1

    def restic_version(self, exe: str) -> str | None:
        if exe not in self._versions:
            self._versions[exe] = self._probe_version(exe)
        return self._versions[exe]

    # --- the published view -----------------------------------------------------------

    def publish(self) -> None:
        """A copy of what status shows, for any thread to read without locks.

        The decisions are taken again first, so that what a command or a step just
        changed (a job queued, started, stopped) is already in the reasons shown.
        """
        now = self._clock()
        for profile in self.profiles.values():
            self.decide(profile, now, self.last_idle)
        self.view = engine_view(self, now, self._mono())

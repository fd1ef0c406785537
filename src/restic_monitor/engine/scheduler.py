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

from restic_monitor.engine.profile import Hold, ProfileRuntime
from restic_monitor.engine.queue import Cancelled, Job, JobQueue
from restic_monitor.engine.recording import Recorder
from restic_monitor.engine.runner import JobRunner
from restic_monitor.isotime import to_iso
from restic_monitor.jobs.backup import IDLE, MANUAL, OVERDUE
from restic_monitor.jobs.base import CannotRun, JobContext
from restic_monitor.jobs.kinds import KINDS
from restic_monitor.jobs.unlock import UNLOCK
from restic_monitor.notify import Notice, Notifier
from restic_monitor.paths import DEFAULT_PROFILE, Home
from restic_monitor.platform import power as platform_power
from restic_monitor.platform.idle import IdleSource
from restic_monitor.policy.backup import STOP_HOLD_SECONDS, decide
from restic_monitor.policy.memory import activity_seen
from restic_monitor.restic.command import version as restic_version
from restic_monitor.restic.runner import RunResult
from restic_monitor.state.history import History, RunRecord
from restic_monitor.status.build import FALLBACK_SETTINGS, EngineView, JobView, ProfileView
from restic_monitor.status.files import ignored_profile_warnings
from restic_monitor.status.model import QueuedJob

log = logging.getLogger(__name__)

#: Longest single sleep: a safety net for clocks that stop during system sleep.
MAX_SLEEP = 300.0
#: How often to look at the configuration files while they are invalid.
CONFIG_ERROR_RECHECK = 2.0
#: A wall-clock step bigger than this between two looks is a jump or a resume.
CLOCK_JUMP_TOLERANCE = 30.0

Emit = Callable[..., None]


class EngineError(Exception):
    """A command that cannot be carried out; the text is for the user."""


class ConfigInvalid(EngineError):
    """A command that needs a valid configuration met an invalid one."""


class UnknownProfile(EngineError):
    pass


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
        self._power = power
        self._emit_to = emit
        self._wake = wake or (lambda: None)
        self.history = History(home.history_db)
        self.profiles: dict[str, ProfileRuntime] = {}
        self.queue = JobQueue()
        self.shutting_down = False
        #: Jobs that ended, with their result: filled from runner threads, emptied by step().
        self._ended: collections.deque[tuple[Job, RunResult]] = collections.deque()
        self.last_idle: float | None = None
        self._last_look: tuple[float, float] | None = None
        self._versions: dict[str, str | None] = {}
        self._probe_version = restic_version
        self._recorder = Recorder(self)
        self.look_error: str | None = None
        self._ignored: list[str] = []
        self.view = EngineView(profiles=[])

    # --- start-up -------------------------------------------------------------------

    def load(self) -> None:
        """Read every profile's configuration and state; take up what a crash left."""
        self._discover(initial=True)
        self._read_idle()
        unfinished = self.history.unfinished()
        now = self._clock()
        for record in unfinished:
            profile = self.profiles.get(record.profile)
            log.warning(
                "the %s of profile %s started %s never finished (the monitor was stopped "
                "or crashed)",
                record.kind,
                record.profile,
                to_iso(record.started),
            )
            self.history.update(
                record.id,
                ended=now,
                outcome="interrupted",
                reason="monitor_stopped",
                message="The monitor stopped during this job (crash, kill or power loss).",
            )
            if profile is not None:
                profile.set_unlock_needed(True)
        for name, profile in self.profiles.items():
            profile.refresh_records()
            orphans = [r for r in unfinished if r.profile == name]
            if (orphans or profile.state.unlock_needed) and profile.config is not None:
                self.queue.add(
                    Job(
                        UNLOCK.name,
                        name,
                        "recovery",
                        orphans=tuple((r.pid, r.pid_started) for r in orphans if r.pid),
                        keep_unlock_pending=any(not r.pid for r in orphans),
                    )
                )
        why = getattr(self.idle_source, "why", None)
        if why:
            log.warning("idle time unknown: %s; automatic backups need a working idle source", why)
        else:
            log.info("idle source: %s", self.idle_source.name)
        self._start_next(now)
        self.publish()

    def _discover(self, initial: bool = False) -> None:
        """Follow profiles added and removed; reload configurations that changed."""
        names = self.home.profile_names()
        self._ignored = ignored_profile_warnings(self.home)
        for name in names:
            profile = self.profiles.get(name)
            if profile is None:
                profile = ProfileRuntime(name, self.home.profile(name), self.history)
                profile.load_state()
                self.profiles[name] = profile
                self._load_config(profile, initial=True)
                if not initial:
                    log.info("new profile %s", name)
            elif profile.config_changed():
                log.info("configuration files of profile %s changed; reloading", name)
                self._load_config(profile)
        for name in [n for n in self.profiles if n not in names]:
            current = self.queue.current
            if current is not None and current.profile == name:
                continue  # forgotten once its job has ended
            log.info("profile %s is gone", name)
            for job in self.queue.drop(lambda j, gone=name: j.profile == gone):  # type: ignore[misc]
                job.fail(EngineError(f"profile {name} was removed"))
            del self.profiles[name]
        order = {name: i for i, name in enumerate(names)}
        self.profiles = dict(sorted(self.profiles.items(), key=lambda kv: order.get(kv[0], 1e9)))

    def _load_config(self, profile: ProfileRuntime, initial: bool = False) -> list[str]:
        was_invalid = profile.config is None
        problems = profile.load_config()
        if problems:
            log.error(
                "configuration of profile %s invalid:\n  %s", profile.name, "\n  ".join(problems)
            )
            if tuple(problems) != profile.notified_problems:
                profile.notified_problems = tuple(problems)
                more = "" if len(problems) <= 5 else f"\n… and {len(problems) - 5} more"
                self.notify(
                    profile,
                    Notice(
                        "config",
                        "restic-monitor: configuration error",
                        "\n".join(problems[:5]) + more,
                    ),
                )
        else:
            assert profile.config is not None
            names = ", ".join(sorted(profile.config.env)) or "none"
            verb = "loaded" if initial or was_invalid else "reloaded"
            log.info(
                "configuration of profile %s %s from %s (env.json variables: %s)",
                profile.name,
                verb,
                profile.paths.root,
                names,
            )
        self.emit("config", profile=profile.name, problems=problems)
        return problems

    # --- the step -------------------------------------------------------------------

    def step(self, now: float | None = None) -> float:
        """Take ended jobs, decide for every profile, start what is due; when to look again."""
        now = self._clock() if now is None else now
        mono = self._mono()
        while self._ended:
            job, result = self._ended.popleft()
            self._recorder.job_ended(job, result, now)
        self._note_clock(now, mono)
        self._discover()
        idle = self._read_idle()
        wakes = [now + MAX_SLEEP]
        ready: list[tuple[ProfileRuntime, bool]] = []
        for profile in self.profiles.values():
            self._follow_hold(profile, idle, now, mono)
            decision = self.decide(profile, now, idle)
            if decision.wake_at is not None:
                wakes.append(decision.wake_at + 0.01)
            if profile.config is None:
                wakes.append(now + CONFIG_ERROR_RECHECK)
            # An engine without automatic backups (a foreground `backup`) does not nag.
            if decision.notify_warning and profile.config is not None and self.automatic:
                self._recorder.warn(profile, now)
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
        self._start_next(now)
        stall = self._recorder.watch_stall(now)
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
            on_battery=settings is not None and settings.skip_on_battery and self._on_battery(),
            needs_elevation=settings is not None and platform_power.needs_elevation(settings.args),
        )
        decision = decide(settings or FALLBACK_SETTINGS, free)
        if queued is not None and queued.trigger in (IDLE, OVERDUE) and not decision.start:
            log.info("profile %s: the queued backup is no longer due; dropped", profile.name)
            self.queue.drop(lambda j: j is queued)
            queued = None
        if running or queued is not None:
            decision = decide(
                settings or FALLBACK_SETTINGS, replace(free, running=running, queued=not running)
            )
        profile.decision = decision
        return decision

    def _start_next(self, now: float) -> None:
        """Start the first job of the queue, if nothing runs."""
        while self.queue.current is None:
            job = self.queue.pop()
            if job is None:
                return
            profile = self.profiles.get(job.profile)
            if profile is None:
                job.fail(EngineError(f"profile {job.profile} was removed"))
                continue
            if self.shutting_down and not (job.kind == UNLOCK.name and job.trigger != "recovery"):
                job.fail(EngineError("restic-monitor is shutting down"))
                continue
            if profile.config is None:  # became invalid meanwhile: say so, never hang
                job.fail(
                    ConfigInvalid(
                        f"the configuration of profile {profile.name} is invalid; see "
                        "`restic-monitor status`"
                    )
                )
                continue
            if KINDS[job.kind].is_backup and profile.state.unlock_needed and not job.unlock_tried:
                job.unlock_tried = True
                self.queue.add(job, first=True)
                job = Job(UNLOCK.name, profile.name, "before_backup")
            self._start(job, profile, now)

    def _start(self, job: Job, profile: ProfileRuntime, now: float) -> None:
        kind = KINDS[job.kind]
        assert profile.config is not None
        job.config = profile.config
        job.started = now
        job.run_id = profile.history_start(now, job.trigger, job.kind)
        if kind.is_backup:
            profile.refresh_records()
        context = JobContext(
            profile=profile.paths,
            config=profile.config,
            trigger=job.trigger,
            restic_version=self._restic_version,
            shutting_down=self.shutting_down,
            orphans=job.orphans,
        )
        try:
            job.plan = kind.plan(context)
        except CannotRun as exc:
            log.error("profile %s: %s", profile.name, exc.verdict.message)
            self._recorder.could_not_start(job, exc.verdict, now)
            return
        self.queue.current = job
        run_id = job.run_id

        def on_start(pid: int, started: float | None) -> None:
            profile.history_update(run_id, pid=pid, pid_started=started)

        def on_progress(progress: Any) -> None:
            self.emit("progress", profile=job.profile, kind=job.kind, progress=progress.to_json())

        def on_done(result: RunResult) -> None:
            self._ended.append((job, result))
            self._wake()

        log.info(
            "restic started (%s of profile %s, %s): %s",
            job.kind,
            job.profile,
            job.trigger,
            job.plan.command.shown(),
        )
        job.handle = self.runner.start(
            job.plan, on_start=on_start, on_progress=on_progress, on_done=on_done
        )
        if kind.is_backup:
            self.emit("started", profile=job.profile, trigger=job.trigger, run_id=job.run_id)
        else:
            self.emit("maintenance", profile=job.profile, kind=job.kind)

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
        profile = self.profile(name)
        current = self.queue.current
        if current is not None and current.kind == "backup" and current.profile == profile.name:
            return current, True
        if profile.config is None:
            raise ConfigInvalid(
                f"the configuration of profile {profile.name} is invalid, no backup started:\n"
                + "\n".join(profile.problems)
            )
        if platform_power.needs_elevation(profile.config.settings.args):
            from restic_monitor.policy.backup import Reason

            raise EngineError(Reason.NEEDS_ELEVATION.describe())
        profile.hold = None
        queued = self.queue.find("backup", profile.name)
        if queued is not None:
            queued.trigger = MANUAL  # no longer subject to idle time
            return queued, True
        job = self.queue.add(Job("backup", profile.name, MANUAL))
        self._start_next(self._clock())
        self.publish()
        return job, False

    def stop(self, name: str | None = None, *, hold: bool = True) -> bool:
        """Stop the profile's running job gracefully and drop its queued ones.

        ``hold``: the user stopped it, so no automatic backup of the profile starts again
        until they have come back and left (or, where that cannot be seen, for an hour).
        """
        targets = {p.name for p in self.targets(name)}
        dropped = self.queue.drop(lambda j: j.profile in targets)
        for job in dropped:
            log.info("dropped the queued %s", job.describe())
            job.fail(Cancelled(f"the {job.kind} was stopped before it started"))
        stopped_backups = {j.profile for j in dropped if j.kind == "backup"}
        current = self.queue.current
        stopped = False
        if current is not None and current.profile in targets and not current.stop_requested:
            log.info("stopping the %s: stopped by the user", current.describe())
            self.stop_job(current)
            stopped = True
            if current.kind == "backup":
                stopped_backups.add(current.profile)
        for profile_name in stopped_backups if hold else ():
            self._start_hold(self.profiles[profile_name])
        self.publish()
        return stopped or bool(dropped)

    def stop_job(self, job: Job) -> None:
        job.stop_requested = True
        if job.handle is not None:
            job.handle.stop()

    def pause(self, seconds: float, name: str | None = None) -> float:
        until = self._clock() + seconds
        from restic_monitor.state import files as state_files

        for profile in self.targets(name):
            state_files.write_pause(profile.paths, until)
            profile.paused_until = until
            log.info("profile %s paused until %s", profile.name, to_iso(until))
        self.stop(name, hold=False)  # the pause itself says until when
        self.emit("paused", profile=name, until=until)
        return until

    def resume(self, name: str | None = None) -> None:
        from restic_monitor.state import files as state_files

        for profile in self.targets(name):
            state_files.clear_pause(profile.paths)
            if profile.paused_until is not None:
                log.info("profile %s resumed", profile.name)
            profile.paused_until = None
            profile.hold = None
        self.publish()
        self.emit("resumed", profile=name)

    def reload(self, name: str | None = None) -> list[str]:
        from restic_monitor.state import files as state_files

        self._discover()
        problems: list[str] = []
        for profile in self.targets(name):
            problems.extend(self._load_config(profile))
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
        return bool(self._ended)

    @property
    def busy(self) -> bool:
        return self.queue.current is not None or len(self.queue) > 0 or bool(self._ended)

    # --- helpers --------------------------------------------------------------------

    def emit(self, event: str, **data: Any) -> None:
        if self._emit_to is not None:
            self._emit_to(event, **data)

    def notify(self, profile: ProfileRuntime, notice: Notice) -> None:
        if self.labelled or profile.name != DEFAULT_PROFILE:
            notice = Notice(notice.kind, f"{notice.title} ({profile.name})", notice.body)
        try:
            self.notifier.notify(notice)
        except Exception:
            log.exception("notification failed")
        self.emit(
            "notice", profile=profile.name, kind=notice.kind, title=notice.title, body=notice.body
        )

    @property
    def labelled(self) -> bool:
        """Whether notices name their profile (a home with more than one)."""
        return len(self.profiles) > 1

    def _restic_version(self, exe: str) -> str | None:
        if exe not in self._versions:
            self._versions[exe] = self._probe_version(exe)
        return self._versions[exe]

    def _read_idle(self) -> float | None:
        try:
            value = self.idle_source.seconds()
        except Exception as exc:
            log.warning("idle source %s failed: %s", self.idle_source.name, exc)
            value = None
        self.last_idle = value
        return value

    def _on_battery(self) -> bool:
        try:
            return self._power() is True
        except Exception:
            log.exception("reading the power state failed")
            return False

    def _note_clock(self, now: float, mono: float) -> None:
        if self._last_look is not None:
            wall_step = now - self._last_look[0]
            mono_step = mono - self._last_look[1]
            if abs(wall_step - mono_step) > CLOCK_JUMP_TOLERANCE:
                log.info(
                    "the clock moved %+.0f s more than elapsed time (sleep, resume or clock "
                    "change); re-planning",
                    wall_step - mono_step,
                )
        self._last_look = (now, mono)

    def _start_hold(self, profile: ProfileRuntime) -> None:
        """After a user stop: no automatic restart until the user came back, or an hour."""
        mono = self._mono()
        profile.hold = Hold(
            stopped_at=mono,
            for_activity=self.idle_source.reports_activity,
            ref_idle=self._read_idle(),
            ref_mono=mono,
        )

    def _follow_hold(
        self, profile: ProfileRuntime, idle: float | None, now: float, mono: float
    ) -> None:
        hold = profile.hold
        if hold is None:
            return
        if hold.for_activity:
            if hold.ref_idle is None:
                hold.ref_idle, hold.ref_mono = idle, mono
            elif activity_seen(
                idle, hold.ref_idle, mono - hold.ref_mono, self.idle_source.grows_on_its_own
            ):
                log.info(
                    "profile %s: user activity seen since the stop; automatic backups may resume",
                    profile.name,
                )
                hold.for_activity = False
        if not hold.for_activity and mono - hold.stopped_at >= STOP_HOLD_SECONDS:
            profile.hold = None

    # --- the published view -----------------------------------------------------------

    def publish(self) -> None:
        """A copy of what status shows, for any thread to read without locks.

        The decisions are taken again first, so that what a command or a step just
        changed (a job queued, started, stopped) is already in the reasons shown.
        """
        mono = self._mono()
        now = self._clock()
        profiles = []
        for profile in self.profiles.values():
            self.decide(profile, now, self.last_idle)
            hold = profile.hold
            hold_kind: str | None = None
            hold_until: float | None = None
            if hold is not None:
                if hold.for_activity:
                    hold_kind = "activity"
                elif not self.idle_source.reports_activity:
                    hold_kind = "time"
                    hold_until = now + STOP_HOLD_SECONDS - (mono - hold.stopped_at)
            warnings = list(profile.env_warnings)
            if profile.log_problem:
                warnings.append(profile.log_problem)
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
                )
            )
        current = self.queue.current
        job_view = None
        if current is not None and current.started is not None:
            settings = current.config.settings if current.config is not None else None
            job_view = JobView(
                kind=current.kind,
                profile=current.profile,
                trigger=current.trigger,
                started=current.started,
                stopping=current.stop_requested,
                handle=current.handle,
                stall_seconds=(settings or FALLBACK_SETTINGS).stall_seconds,
            )
        self.view = EngineView(
            profiles=profiles,
            current=job_view,
            queue=[QueuedJob(j.kind, j.profile, j.trigger) for j in self.queue],
            warnings=self._warnings(),
            idle=self.last_idle,
            idle_source=self.idle_source.name,
        )

    def _warnings(self) -> list[str]:
        """Problems that do not stop backups but that the user should fix."""
        from restic_monitor import logs

        out = list(self._ignored)
        if self.look_error is not None:
            out.append(f"internal error while planning backups ({self.look_error}); see the log")
        if logs.problem():
            out.append(str(logs.problem()))
        if self.history.problem:
            out.append(self.history.problem)
        return out

    def record_of(self, job: Job) -> RunRecord | None:
        profile = self.profiles.get(job.profile)
        if profile is None or job.run_id is None:
            return None
        return profile.record(job.run_id)

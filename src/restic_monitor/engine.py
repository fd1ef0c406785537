"""The engine: owns the state and the one restic job, decides, acts, sleeps.

One engine thread does every state change, in order: commands from any
thread (CLI, tray, signals) are queued and handled there, so no timing of
commands can start a second restic. Running restic happens in a job thread
(which also reads restic's output); its end comes back to the engine as a
queued event. The engine thread sleeps until the earliest moment the
decision can change (see :mod:`restic_monitor.policy`) or a command arrives.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from restic_monitor import __version__, policy, restic, state
from restic_monitor.config import Config, ConfigError, Settings, config_signature, load_config
from restic_monitor.durations import MAX_DURATION
from restic_monitor.notify import LogNotifier, Notice, Notifier
from restic_monitor.paths import Home
from restic_monitor.platform import power as platform_power
from restic_monitor.platform import process as osproc
from restic_monitor.platform.idle import IdleSource, UnknownIdle
from restic_monitor.platform.sleep import inhibit_sleep
from restic_monitor.restic import Classification, Outcome, Progress, Redactor
from restic_monitor.runner import DEFAULT_KILL_AFTER, ResticRun, RunResult
from restic_monitor.state import EngineState, History, HistoryUnavailable, RunRecord, to_iso

log = logging.getLogger(__name__)

#: Longest single sleep: a safety net for clocks that stop during system sleep.
MAX_SLEEP = 300.0
#: How often to look at the configuration files while they are invalid.
CONFIG_ERROR_RECHECK = 2.0
#: A wall-clock step bigger than this between two looks is a jump or a resume.
CLOCK_JUMP_TOLERANCE = 30.0
#: After an unexpected error while planning, look again after this long.
LOOK_RETRY = 60.0
#: How long ``restic unlock`` may take when the monitor is quitting.
SHUTDOWN_UNLOCK_TIMEOUT = 10.0
UNLOCK_TIMEOUT = 300.0


class EngineError(Exception):
    """A command that cannot be carried out; the text is for the user."""


class ConfigInvalid(EngineError):
    """A command that needs a valid configuration met an invalid one."""


@dataclass
class Ticket:
    """A handle on one backup run, to wait for its outcome."""

    already_running: bool
    future: concurrent.futures.Future[RunRecord] = field(default_factory=concurrent.futures.Future)

    def wait(self, timeout: float | None = None) -> RunRecord:
        return self.future.result(timeout)


@dataclass
class _Job:
    """What the job thread does: stop an orphan, clear stale locks, back up."""

    backup: bool
    config: Config
    trigger: str = "idle"
    unlock_first: bool = False
    orphans: list[RunRecord] = field(default_factory=list)
    run_id: int | None = None
    run: ResticRun | None = None
    #: The ``restic unlock`` under way for this job, so that Stop reaches it too.
    maintenance: ResticRun | None = None
    started: float | None = None
    waiters: list[concurrent.futures.Future[RunRecord]] = field(default_factory=list)
    stop_requested: bool = False
    stall_noticed: bool = False
    thread: threading.Thread | None = None
    result: RunResult | None = None
    #: None: no unlock tried; True/False: whether the last ``restic unlock`` worked.
    unlocked: bool | None = None
    keep_unlock_pending: bool = False


class Engine:
    def __init__(
        self,
        home: Home,
        idle_source: IdleSource | None = None,
        *,
        notifier: Notifier | None = None,
        automatic: bool = True,
        kill_after: float = DEFAULT_KILL_AFTER,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        power: Callable[[], bool | None] = platform_power.on_battery,
    ) -> None:
        self.home = home
        self.idle_source: IdleSource = idle_source or UnknownIdle("no idle source given")
        self.notifier: Notifier = notifier or LogNotifier()
        self.automatic = automatic
        self.kill_after = kill_after
        self._clock = clock
        self._mono = monotonic
        self._power = power
        self.history = History(home.history_db)

        self._cond = threading.Condition()
        self._queue: list[tuple[str, Any, concurrent.futures.Future[Any] | None]] = []
        self._thread: threading.Thread | None = None
        self._shutdown = False
        self._listeners: list[Callable[[str, dict[str, Any]], None]] = []

        # Everything below is touched by the engine thread only, except where
        # _view_lock guards what status() reads from other threads.
        self._view_lock = threading.Lock()
        self._config: Config | None = None
        self._problems: list[str] = []
        self._config_sig: tuple[Any, ...] = ()
        self._paused_until: float | None = None
        self._engine_state = EngineState()
        self._last_success: float | None = None
        self._job: _Job | None = None
        self._pending: _Job | None = None
        self._hold = False
        self._hold_ref: tuple[float | None, float] | None = None
        self._last_idle: float | None = None
        self._look_error: str | None = None
        self._decision: policy.Decision | None = None
        self._records: list[RunRecord] = []
        self._last_look: tuple[float, float] | None = None
        self._notified_config: tuple[str, ...] = ()
        self._restic_versions: dict[str, str | None] = {}
        self._anchor = policy.FutureAnchor()
        self._session_runs: dict[int, RunRecord] = {}
        self._log_problem: str | None = None
        self._env_warnings: list[str] = []

    # --- lifecycle -------------------------------------------------------------

    def start(self) -> None:
        """Load configuration and state (quick file reads), then run the engine thread.

        Loading happens here rather than in the thread so that ``status()`` is
        truthful from the moment ``start`` returns.
        """
        self._startup()
        self._thread = threading.Thread(target=self._main, name="engine", daemon=True)
        self._thread.start()

    def shutdown(self, timeout: float | None = None) -> None:
        """Stop a running backup gracefully and end the engine thread."""
        with self._cond:
            self._shutdown = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def config(self) -> Config | None:
        """The configuration in force (None while it is invalid); any thread."""
        with self._view_lock:
            return self._config

    @property
    def shutting_down(self) -> bool:
        return self._shutdown

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def subscribe(self, listener: Callable[[str, dict[str, Any]], None]) -> None:
        """``listener(event, data)``; called from engine or job threads, keep it quick."""
        self._listeners.append(listener)

    def _emit(self, event: str, **data: Any) -> None:
        for listener in list(self._listeners):
            try:
                listener(event, data)
            except Exception:
                log.exception("event listener failed")

    # --- commands (any thread) -------------------------------------------------------

    def _call(self, name: str, arg: Any = None, timeout: float = 30.0) -> Any:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._cond:
            if self._shutdown:
                raise EngineError("restic-monitor is shutting down")
            if self._thread is not None and not self._thread.is_alive():
                raise EngineError("restic-monitor's engine has stopped; see the application log")
            self._queue.append((name, arg, future))
            self._cond.notify_all()
        return future.result(timeout)

    def backup(self) -> Ticket:
        """Start a backup now (or join the running one)."""
        ticket: Ticket = self._call("backup")
        return ticket

    def stop(self) -> bool:
        """Stop the running backup gracefully. False when none was running."""
        stopped: bool = self._call("stop")
        return stopped

    def pause(self, seconds: float | None = None) -> float:
        """Pause automatic backups; returns the epoch the pause lasts until."""
        until: float = self._call("pause", seconds)
        return until

    def resume(self) -> None:
        self._call("resume")

    def reload(self) -> list[str]:
        """Re-read the configuration; returns the problems (empty when valid)."""
        problems: list[str] = self._call("reload")
        return problems

    def _post(self, name: str, arg: Any = None) -> None:
        with self._cond:
            self._queue.append((name, arg, None))
            self._cond.notify_all()

    # --- engine thread ---------------------------------------------------------------

    def _main(self) -> None:
        try:
            while True:
                with self._cond:
                    queue, self._queue = self._queue, []
                    shutting_down = self._shutdown
                for name, arg, future in queue:
                    self._handle(name, arg, future)
                if shutting_down:
                    if self._job is None:
                        break
                    if not self._job.stop_requested:
                        self._stop_job("monitor shutting down")
                timeout = self._guarded_look()
                with self._cond:
                    if not self._queue and not (self._shutdown and not shutting_down):
                        self._cond.wait(timeout)
        except Exception:
            log.exception("engine stopped by an unexpected error")
            raise
        finally:
            self._fail_waiters()
            self._emit("stopped")

    def _fail_waiters(self) -> None:
        with self._cond:
            queue, self._queue = self._queue, []
        for _name, _arg, future in queue:
            if future is not None and not future.done():
                future.set_exception(EngineError("restic-monitor stopped"))
        for job in (self._job, self._pending):
            if job is not None:
                for waiter in job.waiters:
                    if not waiter.done():
                        waiter.set_exception(EngineError("restic-monitor stopped"))

    def _startup(self) -> None:
        self._load_config(initial=True)
        self._paused_until = state.read_pause(self.home)
        self._engine_state = state.read_engine_state(self.home)
        self._last_success = state.read_last_success(self.home)
        self._refresh_records()
        orphans = self._recover_unfinished()
        source = self.idle_source
        why = getattr(source, "why", None)
        if why:
            log.warning("idle time unknown: %s; automatic backups need a working idle source", why)
        else:
            log.info("idle source: %s", source.name)
        if (orphans or self._engine_state.unlock_needed) and self._config is not None:
            self._start_job(
                _Job(backup=False, config=self._config, unlock_first=True, orphans=orphans)
            )

    def _recover_unfinished(self) -> list[RunRecord]:
        """Runs the history shows as started but never ended: the monitor died."""
        unfinished = self.history.unfinished()
        now = self._clock()
        for record in unfinished:
            log.warning(
                "the backup started %s never finished (the monitor was stopped or crashed)",
                to_iso(record.started),
            )
            self._history_update(
                record.id,
                ended=now,
                outcome=Outcome.INTERRUPTED.value,
                reason="monitor_stopped",
                message="The monitor stopped during this backup (crash, kill or power loss).",
            )
        if unfinished:
            self._set_unlock_needed(True)
            self._refresh_records()
        return unfinished

    def _refresh_records(self) -> None:
        stored = self.history.recent(25)
        known = {r.id for r in stored}
        # Runs the database could not take (busy, disk full) still count for
        # spacing, backoff and status: merge this session's copies back in.
        extra = [r for r in self._session_runs.values() if r.id not in known]
        records = sorted([*stored, *extra], key=lambda r: r.started, reverse=True)[:25]
        with self._view_lock:
            self._records = records

    def _history_start(self, started: float, trigger: str) -> int:
        try:
            run_id = self.history.start(started, trigger)
        except HistoryUnavailable:
            run_id = -(len(self._session_runs) + 1)
        self._session_runs[run_id] = RunRecord(
            id=run_id, started=started, ended=None, trigger=trigger
        )
        while len(self._session_runs) > 25:
            self._session_runs.pop(next(iter(self._session_runs)))
        return run_id

    def _history_update(self, run_id: int, **fields: Any) -> None:
        record = self._session_runs.get(run_id)
        if record is not None:
            for key, value in fields.items():
                setattr(record, key, value)
        if run_id > 0:
            with contextlib.suppress(HistoryUnavailable):  # logged by History
                self.history.update(run_id, **fields)

    def _set_unlock_needed(self, value: bool) -> None:
        if self._engine_state.unlock_needed != value:
            self._engine_state.unlock_needed = value
            self._save_engine_state()

    def _save_engine_state(self) -> None:
        try:
            state.write_engine_state(self.home, self._engine_state)
        except OSError as exc:
            log.error("cannot write %s: %s", self.home.state_json, exc.strerror)

    # --- configuration ----------------------------------------------------------

    def _load_config(self, initial: bool = False) -> list[str]:
        self._config_sig = config_signature(self.home)
        try:
            config = load_config(self.home)
        except ConfigError as exc:
            problems = [str(p) for p in exc.problems]
            with self._view_lock:
                self._config = None
                self._problems = problems
            log.error("configuration invalid:\n  %s", "\n  ".join(problems))
            if tuple(problems) != self._notified_config:
                self._notified_config = tuple(problems)
                self._notify(
                    Notice(
                        "config",
                        "restic-monitor: configuration error",
                        "\n".join(problems[:5])
                        + ("" if len(problems) <= 5 else f"\n… and {len(problems) - 5} more"),
                    )
                )
            self._emit("config", problems=problems)
            return problems
        with self._view_lock:
            was_invalid = bool(self._problems) or self._config is None
            self._config = config
            self._problems = []
        self._notified_config = ()
        from restic_monitor.status import env_permission_warnings

        self._env_warnings = env_permission_warnings(self.home)
        for warning in self._env_warnings:
            log.warning(warning)
        names = ", ".join(sorted(config.env)) or "none"
        if initial or was_invalid:
            log.info("configuration loaded from %s (env.json variables: %s)", self.home.root, names)
        else:
            log.info("configuration reloaded (env.json variables: %s)", names)
        self._emit("config", problems=[])
        return []

    def _settings(self) -> Settings | None:
        return self._config.settings if self._config is not None else None

    # --- command handling (engine thread) ---------------------------------------

    def _handle(self, name: str, arg: Any, future: concurrent.futures.Future[Any] | None) -> None:
        try:
            result = getattr(self, f"_cmd_{name}")(arg)
        except Exception as exc:
            if future is None:
                log.exception("internal event %s failed", name)
            else:
                future.set_exception(exc)
            return
        if future is not None:
            future.set_result(result)

    def _cmd_backup(self, _arg: Any) -> Ticket:
        job = self._job
        if job is not None and job.backup:
            ticket = Ticket(already_running=True)
            job.waiters.append(ticket.future)
            return ticket
        if self._config is None:
            raise EngineError(
                "the configuration is invalid, no backup started:\n" + "\n".join(self._problems)
            )
        if platform_power.needs_elevation(self._config.settings.args):
            raise EngineError(policy.Reason.NEEDS_ELEVATION.describe())
        ticket = Ticket(already_running=False)
        new = _Job(backup=True, config=self._config, trigger="manual", waiters=[ticket.future])
        if job is not None:  # an unlock is under way: back up right after it
            if self._pending is not None:
                self._pending.waiters.append(ticket.future)
                ticket.already_running = True
            else:
                self._pending = new
            return ticket
        self._hold = False
        self._start_job(new)
        return ticket

    def _cmd_stop(self, _arg: Any) -> bool:
        if self._pending is not None:
            for waiter in self._pending.waiters:
                waiter.set_exception(EngineError("the backup was stopped before it started"))
            self._pending = None
        job = self._job
        if job is None or not job.backup:
            return False
        self._stop_job("stopped by the user")
        self._start_hold()
        return True

    def _cmd_pause(self, seconds: float | None) -> float:
        settings = self._settings()
        duration = (
            seconds if seconds is not None else (settings.pause_seconds if settings else 28800.0)
        )
        if not 0 < duration <= MAX_DURATION:  # (NaN fails both)
            raise EngineError("the pause duration must be more than 0 seconds and at most 10 years")
        until = self._clock() + duration
        state.write_pause(self.home, until)
        self._paused_until = until
        log.info("paused until %s", to_iso(until))
        self._cmd_stop(None)
        self._emit("paused", until=until)
        return until

    def _cmd_resume(self, _arg: Any) -> None:
        state.clear_pause(self.home)
        if self._paused_until is not None:
            log.info("resumed")
        self._paused_until = None
        self._emit("resumed")

    def _cmd_reload(self, _arg: Any) -> list[str]:
        problems = self._load_config()
        self._paused_until = state.read_pause(self.home)
        return problems

    def _cmd_job_done(self, job: _Job) -> None:
        if self._job is job:
            self._job = None
        if job.unlocked is not None:
            self._set_unlock_needed(not job.unlocked or job.keep_unlock_pending)
        if job.backup:
            self._finish(job, job.result or self._lost_result(job))
        self._refresh_records()
        if self._pending is not None and not self._shutdown:
            pending, self._pending = self._pending, None
            if self._config is None:  # became invalid meanwhile: say so, never hang
                for waiter in pending.waiters:
                    if not waiter.done():
                        waiter.set_exception(
                            ConfigInvalid(
                                "the configuration is invalid; see `restic-monitor status`"
                            )
                        )
                return
            pending.config = self._config
            self._start_job(pending)

    def _start_hold(self) -> None:
        """After a user stop, wait for the user to come back and leave again."""
        if not self.idle_source.reports_activity:
            return
        self._hold = True
        self._hold_ref = (self._read_idle(), self._mono())

    # --- the look: decide and act ------------------------------------------------

    def _read_idle(self) -> float | None:
        try:
            value = self.idle_source.seconds()
        except Exception as exc:
            log.warning("idle source %s failed: %s", self.idle_source.name, exc)
            value = None
        self._last_idle = value
        return value

    def _look(self) -> float:
        now = self._clock()
        mono = self._mono()
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

        if config_signature(self.home) != self._config_sig:
            log.info("configuration files changed; reloading")
            self._load_config()

        idle = self._read_idle()
        if self._hold and self._hold_ref is not None:
            ref_idle, ref_mono = self._hold_ref
            if ref_idle is None:
                self._hold_ref = (idle, mono)
            elif policy.activity_seen(
                idle, ref_idle, mono - ref_mono, self.idle_source.grows_on_its_own
            ):
                log.info("user activity seen since the stop; automatic backups may resume")
                self._hold = False
                self._hold_ref = None

        settings = self._settings()
        decision = self._decide(now, idle, settings)
        with self._view_lock:
            self._decision = decision

        # An engine without automatic backups (a foreground `backup`) does not nag.
        if decision.notify_warning and settings is not None and self.automatic:
            self._warn(now, settings)
        config = self._config
        if decision.start and self.automatic and not self._shutdown and config is not None:
            log.info("idle for %.0f s: starting a backup", idle or 0)
            self._start_job(_Job(backup=True, config=config, trigger="idle"))
            return 0.0

        waits = []
        stall_wait = self._watch_stall()
        if stall_wait is not None:
            waits.append(stall_wait)
        if decision.wake_at is not None:
            waits.append(decision.wake_at - now + 0.01)
        if settings is None:
            waits.append(CONFIG_ERROR_RECHECK)
        refresh = self.idle_source.refresh
        if refresh is not None:
            waits.append(refresh)
        timeout = min([MAX_SLEEP, *waits])
        return max(timeout, 0.0)

    def _watch_stall(self) -> float | None:
        """Tell the user once when the running backup stops moving; when to look again."""
        job = self._job
        run = job.run if job is not None else None
        if job is None or run is None or job.stall_noticed or job.stop_requested:
            return None
        quiet = run.seconds_since_progress
        if quiet is None:
            return None
        limit = job.config.settings.stall_seconds
        if quiet < limit:
            return limit - quiet + 0.05
        job.stall_noticed = True
        minutes = restic.human_duration(quiet)
        log.warning("the backup has made no progress for %s", minutes)
        self._notify(
            Notice(
                "warning",
                "Backup stalled",
                f"No progress for {minutes} (a server that went away, a disk that hangs?). "
                "restic keeps retrying; you can stop the backup.",
            )
        )
        self._emit("stalled")
        return None

    def _facts(self, now: float, idle: float | None, settings: Settings | None) -> policy.Facts:
        records = self._records
        latest = records[0] if records else None
        last_finished = state.last_finished(records)
        facts = policy.Facts(
            now=now,
            idle=idle,
            running=self._job is not None,
            config_ok=settings is not None,
            paused_until=self._paused_until,
            last_started=latest.started if latest else None,
            last_ended=last_finished.ended if last_finished else None,
            last_success=self._last_success,
            failures=state.consecutive_failures(records),
            hold=self._hold,
            last_warning_notice=self._engine_state.last_warning_notice,
            idle_grows=self.idle_source.grows_on_its_own,
            on_battery=settings is not None and settings.skip_on_battery and self._on_battery(),
            needs_elevation=settings is not None and platform_power.needs_elevation(settings.args),
        )
        return self._anchor.facts(facts)

    def _on_battery(self) -> bool:
        try:
            return self._power() is True
        except Exception:
            log.exception("reading the power state failed")
            return False

    def _decide(self, now: float, idle: float | None, settings: Settings | None) -> policy.Decision:
        facts = self._facts(now, idle, settings)
        if settings is None:
            # Still report the warning truthfully with the default threshold.
            settings_for_warning = Settings(args=("backup",))
            return policy.decide(settings_for_warning, facts)
        return policy.decide(settings, facts)

    def _warn(self, now: float, settings: Settings) -> None:
        self._engine_state.last_warning_notice = now
        self._save_engine_state()
        if self._last_success is None:
            body = "No successful backup has been recorded yet."
        else:
            age = restic.human_duration(now - self._last_success)
            body = f"The last successful backup was {age} ago ({to_iso(self._last_success)})."
        last = self._records[0] if self._records else None
        if last is not None and last.outcome not in (None, "success"):
            body += f" Last run: {last.outcome}: {last.message or last.reason}"
        self._notify(Notice("warning", "No recent backup", body))

    def _notify(self, notice: Notice) -> None:
        try:
            self.notifier.notify(notice)
        except Exception:
            log.exception("notification failed")
        self._emit("notice", kind=notice.kind, title=notice.title, body=notice.body)

    # --- jobs -------------------------------------------------------------------------

    def _start_job(self, job: _Job) -> None:
        assert self._job is None, "a job is already running"
        config = job.config
        if job.backup:
            job.unlock_first = job.unlock_first or self._engine_state.unlock_needed
            job.started = self._clock()
            job.run_id = self._history_start(job.started, job.trigger)
            self._refresh_records()
        self._job = job
        job.thread = threading.Thread(
            target=self._job_main, args=(job, config), name="restic-job", daemon=True
        )
        job.thread.start()
        if job.backup:
            self._emit("started", trigger=job.trigger, run_id=job.run_id)

    def _stop_job(self, why: str) -> None:
        job = self._job
        if job is None:
            return
        log.info("stopping the backup: %s", why)
        job.stop_requested = True
        for run in (job.maintenance, job.run):
            if run is not None:
                run.stop()

    def _job_main(self, job: _Job, config: Config) -> None:
        try:
            self._job_body(job, config)
        except Exception:
            log.exception("the restic job failed unexpectedly")
        finally:
            self._post("job_done", job)

    def _lost_result(self, job: _Job) -> RunResult:
        message = "The backup job failed inside restic-monitor; see restic-monitor.log."
        now = self._clock()
        return RunResult(
            exit_code=None,
            classification=Classification(Outcome.ERROR, "internal_error", message),
            started=job.started or now,
            ended=now,
            duration=0.0,
            tail=[message],
        )

    def _restic_version(self, exe: str) -> str | None:
        if exe not in self._restic_versions:
            self._restic_versions[exe] = restic.version(exe)
        return self._restic_versions[exe]

    def _job_body(self, job: _Job, config: Config) -> None:
        settings = config.settings
        redactor = Redactor(config.env.secrets())
        for orphan in job.orphans:
            if not orphan.pid:
                # The monitor died before it could record restic's PID: that restic may
                # still hold a live lock now, so clear stale locks again before the next
                # backup as well.
                job.keep_unlock_pending = True
            elif osproc.stop_orphan(orphan.pid, orphan.pid_started, self.kill_after):
                log.warning(
                    "stopped restic (pid %s) left running by the previous monitor", orphan.pid
                )
        exe = settings.resolve_restic()
        if job.unlock_first and exe is not None and not job.stop_requested:
            job.unlocked = self._unlock(exe, config, redactor, job)
        if not job.backup:
            return
        assert job.run_id is not None and job.started is not None
        run_id = job.run_id
        if exe is None:
            message = (
                f"restic not found: {settings.restic_exe!r} (settings.json restic_exe). "
                "Install restic or set restic_exe to its full path."
            )
            log.error(message)
            job.result = RunResult(
                exit_code=None,
                classification=Classification(Outcome.ERROR, "restic_not_found", message),
                started=job.started,
                ended=self._clock(),
                duration=0.0,
                tail=[message],
            )
            return
        argv = restic.backup_command(exe, settings.args, settings.progress)
        run = ResticRun(
            argv,
            restic.child_env(config.env),
            log_path=self.home.last_log,
            redactor=redactor,
            json_progress=restic.speaks_json(settings.args, settings.progress),
            low_priority=settings.low_priority,
            restic_version=self._restic_version(exe),
            on_progress=lambda p: self._emit("progress", progress=p.to_json()),
            kill_after=self.kill_after,
            header=f"trigger: {job.trigger}",
            clock=self._clock,
            on_start=lambda pid, started: self._history_update(
                run_id, pid=pid, pid_started=started
            ),
        )
        job.run = run
        self.wake()  # the engine plans its stall check from the run
        if job.stop_requested:
            run.stop()  # restic is then not started at all
        else:
            log.info("restic started (%s): %s", job.trigger, redactor.text(" ".join(argv)))
        awake = inhibit_sleep("A backup is running") if settings.prevent_sleep else None
        try:
            result = run.run()
        finally:
            if awake is not None:
                awake.release()
        if result.outcome not in (Outcome.SUCCESS, Outcome.INCOMPLETE) and run.pid is not None:
            # restic may leave its lock behind (hard kill, crash, or 0.14 interrupted early).
            stalled = (run.seconds_since_progress or 0.0) >= settings.stall_seconds
            if result.classification.reason == "repository_unreachable" or stalled:
                # The repository does not answer now: unlocking would only wait on it.
                # Clear the lock before the next backup instead.
                log.info("the repository is unreachable; stale locks are cleared next time")
                job.unlocked = False
            else:
                job.unlocked = self._unlock(exe, config, redactor, job)
        job.result = result

    def _unlock(self, exe: str, config: Config, redactor: Redactor, job: _Job) -> bool:
        """Remove stale locks (``restic unlock`` never removes a live one)."""
        if job.stop_requested and not (job.backup and job.run is not None):
            return False  # stopped before it began (a stopped backup still gets its unlock)
        run = ResticRun(
            [exe, "unlock"],
            restic.child_env(config.env),
            log_path=None,
            redactor=redactor,
            low_priority=False,
            kill_after=self.kill_after,
            clock=self._clock,
        )
        # While quitting, the lock an interrupted restic may leave is still worth
        # clearing (0.14 can leave one), but not worth keeping the user waiting.
        timeout = SHUTDOWN_UNLOCK_TIMEOUT if self._shutdown else UNLOCK_TIMEOUT
        timer = threading.Timer(timeout, run.stop)
        timer.daemon = True
        job.maintenance = run
        if job.stop_requested and job.run is None:
            run.stop()  # a stop that came in meanwhile
        timer.start()
        try:
            result = run.run()
        finally:
            timer.cancel()
            job.maintenance = None
        tail = " | ".join(result.tail[-3:])
        if result.exit_code == 0:
            log.info("cleared stale repository locks (restic unlock): %s", tail or "ok")
            return True
        log.warning("restic unlock failed (%s): %s", result.classification.message, tail)
        return False

    def _finish(self, job: _Job, result: RunResult) -> None:
        """Record the run, move the marker, notify (engine thread)."""
        settings = job.config.settings
        assert job.run_id is not None
        cls = result.classification
        counted = cls.outcome is Outcome.SUCCESS or (
            cls.outcome is Outcome.INCOMPLETE and settings.ignore_exit_code_3
        )
        summary = result.summary
        fields: dict[str, Any] = {
            "ended": result.ended,
            "exit_code": result.exit_code,
            "outcome": cls.outcome.value,
            "reason": cls.reason,
            "message": cls.message,
            "counted_success": counted,
            "duration": result.duration,
        }
        if summary is not None:
            fields.update(
                snapshot_id=summary.snapshot_id,
                files_new=summary.files_new,
                files_changed=summary.files_changed,
                files_unmodified=summary.files_unmodified,
                data_added=summary.data_added,
                total_bytes=summary.total_bytes,
            )
        self._history_update(job.run_id, **fields)
        self._refresh_records()
        if counted:
            try:
                state.write_last_success(
                    self.home, result.ended, summary.snapshot_id if summary else None
                )
            except OSError as exc:
                log.error("cannot move %s: %s", self.home.marker, exc.strerror)
            self._last_success = result.ended
        summary_text = f"; {summary.describe()}" if summary else ""
        log.info(
            "backup finished: %s (exit code %s) in %s%s",
            cls.outcome.value,
            result.exit_code,
            restic.human_duration(result.duration),
            summary_text,
        )
        self._log_problem = result.log_problem
        if result.log_problem:
            log.error("restic log problem: %s", result.log_problem)
        if cls.outcome is Outcome.INCOMPLETE and not counted:
            log.warning(
                "exit code 3: some files could not be read; see %s. Set ignore_exit_code_3 to "
                "true to count such runs as successful.",
                self.home.last_log,
            )
        if counted:
            if settings.notify_success:
                self._notify(Notice("success", "Backup completed", cls.message + summary_text))
        elif cls.outcome is not Outcome.INTERRUPTED:
            if self._repeats_previous_failure(job, cls.reason):
                log.info("same failure as the previous automatic run; no new notice")
            else:
                last_lines = "\n".join(result.tail[-5:])
                body = cls.message + (f"\n{last_lines}" if last_lines else "")
                self._notify(Notice("failure", "Backup failed", body))
        # Decide again before anyone waiting hears of the outcome, so that the
        # status they read next (warning, next backup) already reflects it.
        now = self._clock()
        decision = self._decide(now, self._last_idle, self._settings())
        with self._view_lock:
            self._decision = decision
        record = next((r for r in self._records if r.id == job.run_id), None)
        if record is None:  # history unavailable: answer from what we know
            record = RunRecord(
                id=job.run_id,
                started=result.started,
                ended=result.ended,
                trigger=job.trigger,
                exit_code=result.exit_code,
                outcome=cls.outcome.value,
                reason=cls.reason,
                message=cls.message,
                counted_success=counted,
            )
        for waiter in job.waiters:
            if not waiter.done():
                waiter.set_result(record)
        self._emit("finished", record=record.to_json(), tail=result.tail[-10:])

    def _repeats_previous_failure(self, job: _Job, reason: str) -> bool:
        """An automatic run failing like the one before: the user already knows.

        The first failure of a streak, a new reason and every manual run still
        notify; the hourly no-backup warning keeps the streak visible.
        """
        if job.trigger != "idle":
            return False
        previous = next(
            (r for r in self._records if r.id != job.run_id and r.ended is not None), None
        )
        return (
            previous is not None
            and not previous.counted_success
            and previous.outcome in ("failed", "error", "incomplete")
            and previous.reason == reason
        )

    # --- status ----------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """A snapshot for ``status --json`` and the tray. Safe from any thread."""
        from restic_monitor.status import build_status

        with self._view_lock:
            records = list(self._records)
            problems = list(self._problems)
            decision = self._decision
            config = self._config
        job = self._job
        run = job.run if job is not None else None
        progress: Progress | None = run.progress if run is not None else None
        current: dict[str, Any] | None = None
        if job is not None and job.backup and job.started is not None:
            current = {
                "started": to_iso(job.started),
                "trigger": job.trigger,
                "pid": run.pid if run is not None else None,
                "stopping": job.stop_requested,
                "seconds_since_progress": run.seconds_since_progress if run else None,
                "stalled": bool(
                    run is not None
                    and (quiet := run.seconds_since_progress) is not None
                    and quiet >= job.config.settings.stall_seconds
                ),
            }
        return build_status(
            home=self.home,
            settings=config.settings if config else None,
            problems=problems,
            records=records,
            last_success=self._last_success,
            paused_until=self._paused_until,
            decision=decision,
            now=self._clock(),
            instance_running=True,
            running=job is not None and job.backup,
            progress=progress,
            current=current,
            idle=self._last_idle,
            idle_source=self.idle_source.name,
            maintenance="unlock" if job is not None and not job.backup else None,
            unlock_needed=self._engine_state.unlock_needed,
            warnings=self._warnings(),
            version=__version__,
        )

    def _guarded_look(self) -> float:
        """A bug met while planning is logged and retried, never the end of backups."""
        try:
            timeout = self._look()
        except Exception as exc:
            text = f"{exc.__class__.__name__}: {exc}"
            if text != self._look_error:
                log.exception("planning the next backup failed; trying again in a minute")
            self._look_error = text
            return LOOK_RETRY
        if self._look_error is not None:
            log.info("planning works again")
            self._look_error = None
        return timeout

    def _warnings(self) -> list[str]:
        """Problems that do not stop backups but that the user should fix."""
        from restic_monitor import logs

        out = list(self._env_warnings)
        if self._look_error is not None:
            out.append(f"internal error while planning backups ({self._look_error}); see the log")
        if logs.problem():
            out.append(str(logs.problem()))
        if self._log_problem:
            out.append(self._log_problem)
        if self.history.problem:
            out.append(self.history.problem)
        return out

    # --- helpers for tests and front ends -----------------------------------------

    def wake(self) -> None:
        """Look again now (e.g. after the idle source changed)."""
        with self._cond:
            self._cond.notify_all()

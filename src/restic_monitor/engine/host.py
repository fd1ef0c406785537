"""The engine in a thread of its own: what the daemon, the tray and the CLI drive.

One engine thread does every state change, in order: commands from any
thread (CLI, tray, signals) are queued and carried out there, so no timing of
commands can start a second restic. Between steps it sleeps until the moment
the scheduler named, or until a command or the end of a job wakes it.
``status()`` may be called from any thread: it reads the view the scheduler
published last, and the live progress of the job under way.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from restic_monitor import __version__
from restic_monitor.config.profile import Config
from restic_monitor.engine.errors import EngineError
from restic_monitor.engine.queue import Job
from restic_monitor.engine.runner import JobRunner, ThreadRunner
from restic_monitor.engine.scheduler import Scheduler
from restic_monitor.notify import LogNotifier, Notifier
from restic_monitor.paths import Home
from restic_monitor.platform import power as platform_power
from restic_monitor.platform.idle import IdleSource, UnknownIdle
from restic_monitor.restic.runner import DEFAULT_KILL_AFTER
from restic_monitor.state.history import RunRecord
from restic_monitor.status.build import build_status
from restic_monitor.status.model import Status

log = logging.getLogger(__name__)

#: After an unexpected error while planning, look again after this long.
LOOK_RETRY = 60.0

Listener = Callable[[str, dict[str, Any]], None]


@dataclass
class Ticket:
    """A handle on one profile's backup, to wait for its outcome."""

    profile: str
    already_running: bool
    future: concurrent.futures.Future[RunRecord]

    def wait(self, timeout: float | None = None) -> RunRecord:
        return self.future.result(timeout)


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
        runner: JobRunner | None = None,
    ) -> None:
        self.home = home
        self.idle_source: IdleSource = idle_source or UnknownIdle("no idle source given")
        self.kill_after = kill_after
        self._clock = clock
        self._cond = threading.Condition()
        self._commands: list[tuple[Callable[[], Any], concurrent.futures.Future[Any]]] = []
        self._thread: threading.Thread | None = None
        self._shutdown = False
        self._listeners: list[Listener] = []
        self.scheduler = Scheduler(
            home,
            self.idle_source,
            runner or ThreadRunner(kill_after, clock),
            notifier=notifier or LogNotifier(),
            automatic=automatic,
            clock=clock,
            monotonic=monotonic,
            power=power,
            emit=self._emit,
            wake=self.wake,
        )
        self.history = self.scheduler.history

    # --- lifecycle -------------------------------------------------------------

    def start(self) -> None:
        """Load configuration and state (quick file reads), then run the engine thread.

        Loading happens here rather than in the thread so that ``status()`` is
        truthful from the moment ``start`` returns.
        """
        self.scheduler.load()
        thread = threading.Thread(target=self._main, name="engine", daemon=True)
        thread.start()  # before it is seen: a shutdown from another thread joins a started one
        self._thread = thread

    def shutdown(self, timeout: float | None = None) -> None:
        """Stop the running job gracefully and end the engine thread."""
        with self._cond:
            self._shutdown = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def shutting_down(self) -> bool:
        return self._shutdown

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def subscribe(self, listener: Listener) -> None:
        """``listener(event, data)``; called from engine or job threads, keep it quick."""
        self._listeners.append(listener)

    def _emit(self, event: str, **data: Any) -> None:
        for listener in list(self._listeners):
            try:
                listener(event, data)
            except Exception:
                log.exception("event listener failed")

    def wake(self) -> None:
        """Look again now (the idle source changed, a job ended, the system resumed)."""
        with self._cond:
            self._cond.notify_all()

    # --- any thread ------------------------------------------------------------------

    def status(self, profile: str | None = None) -> Status:
        """The status document (about one profile, or all); memory only, any thread."""
        view = self.scheduler.view
        if profile is not None and profile not in (p.name for p in view.profiles):
            raise EngineError(self.scheduler.unknown_profile_message(profile))
        return build_status(str(self.home.root), view, self._clock(), __version__, only=profile)

    def config(self, profile: str = "default") -> Config | None:
        """A profile's configuration in force (None while it is invalid)."""
        runtime = dict(self.scheduler.profiles).get(profile)
        return runtime.config if runtime is not None else None

    def profiles(self) -> list[str]:
        return [p.name for p in self.scheduler.view.profiles]

    def _call(self, fn: Callable[[], Any], timeout: float = 30.0) -> Any:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._cond:
            if self._shutdown:
                raise EngineError("restic-monitor is shutting down")
            if self._thread is not None and not self._thread.is_alive():
                raise EngineError("restic-monitor's engine has stopped; see the application log")
            self._commands.append((fn, future))
            self._cond.notify_all()
        return future.result(timeout)

    def backup(self, profile: str | None = None) -> Ticket:
        """Back up one profile now (``default`` when not named), or join its backup."""
        return self.run("backup", profile)

    def backup_all(self) -> list[Ticket]:
        """Back up every profile in turn (one restic at a time); a ticket each."""
        return self.run_all("backup")

    def run(
        self, kind: str, profile: str | None = None, request: dict[str, Any] | None = None
    ) -> Ticket:
        """Run a job of ``kind`` (backup, forget, prune, check, restore) for one profile now;
        ``request``: the details of a kind that takes them (a restore's)."""
        ticket: Ticket = self._call(lambda: self._ticket(kind, profile, request))
        return ticket

    def run_all(self, kind: str) -> list[Ticket]:
        """A job of ``kind`` for every profile, in turn; a ticket each.

        A profile where it cannot run (an invalid configuration, no retention policy)
        gets a ticket that fails at once with the reason.
        """

        def queue_all() -> list[Ticket]:
            tickets = []
            for name in list(self.scheduler.profiles):
                try:
                    tickets.append(self._ticket(kind, name))
                except EngineError as exc:
                    failed: concurrent.futures.Future[RunRecord] = concurrent.futures.Future()
                    failed.set_exception(exc)
                    tickets.append(Ticket(name, False, failed))
            return tickets

        tickets: list[Ticket] = self._call(queue_all)
        return tickets

    def _ticket(
        self, kind: str, profile: str | None, request: dict[str, Any] | None = None
    ) -> Ticket:
        job, already = self.scheduler.request(kind, profile, request)
        return self._join(job, already)

    @staticmethod
    def _join(job: Job, already: bool) -> Ticket:
        future: concurrent.futures.Future[RunRecord] = concurrent.futures.Future()
        job.add_waiter(future)
        return Ticket(job.profile, already, future)

    def stop(
        self, profile: str | None = None, *, queued_only: bool = False, kind: str | None = None
    ) -> bool:
        """Stop the running job and drop the queued ones, of one profile or all (only the
        queued ones with ``queued_only``; only those of ``kind``). False: nothing to stop."""
        stopped: bool = self._call(
            lambda: self.scheduler.stop(profile, queued_only=queued_only, kind=kind)
        )
        return stopped

    def pause(self, seconds: float | None = None, profile: str | None = None) -> float:
        """Pause automatic backups of one profile or all; returns the epoch it lasts until."""

        until: float = self._call(lambda: self.scheduler.pause(seconds, profile))
        return until

    def resume(self, profile: str | None = None) -> None:
        self._call(lambda: self.scheduler.resume(profile))

    def reload(self, profile: str | None = None) -> list[str]:
        """Re-read the configuration; returns the problems (empty when valid)."""
        problems: list[str] = self._call(lambda: self.scheduler.reload(profile))
        return problems

    def settle(self, timeout: float) -> bool:
        """Wait until no job runs or waits (a clean-up after a failed backup included)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._call(lambda: self.scheduler.busy):
                return True
            time.sleep(0.05)
        return False

    # --- the engine thread -------------------------------------------------------------

    def _main(self) -> None:
        scheduler = self.scheduler
        try:
            while True:
                with self._cond:
                    commands, self._commands = self._commands, []
                    shutting_down = self._shutdown
                for fn, future in commands:
                    try:
                        future.set_result(fn())
                    except Exception as exc:
                        future.set_exception(exc)
                if shutting_down:
                    if not scheduler.shutting_down:
                        scheduler.shutdown()
                    if not scheduler.busy:
                        break
                wake_at = self._guarded_step()
                if shutting_down and not scheduler.busy:
                    break  # the last job has ended (and been recorded)
                timeout = max(0.0, wake_at - self._clock())
                with self._cond:
                    if not self._commands and not self._ended_or_shutdown(shutting_down):
                        self._cond.wait(timeout)
        except Exception:
            log.exception("engine stopped by an unexpected error")
            raise
        finally:
            self._fail_waiters()
            self._emit("stopped")

    def _ended_or_shutdown(self, shutting_down: bool) -> bool:
        return self.scheduler.has_ended_jobs or (self._shutdown and not shutting_down)

    def _guarded_step(self) -> float:
        """A bug met while planning is logged and retried, never the end of backups."""
        scheduler = self.scheduler
        try:
            wake_at = scheduler.step()
        except Exception as exc:
            text = f"{exc.__class__.__name__}: {exc}"
            if text != scheduler.look_error:
                log.exception("planning the next backup failed; trying again in a minute")
            scheduler.look_error = text
            scheduler.publish()
            return self._clock() + LOOK_RETRY
        if scheduler.look_error is not None:
            log.info("planning works again")
            scheduler.look_error = None
            scheduler.publish()
        return wake_at

    def _fail_waiters(self) -> None:
        with self._cond:
            commands, self._commands = self._commands, []
        for _fn, future in commands:
            if not future.done():
                future.set_exception(EngineError("restic-monitor stopped"))
        queue = self.scheduler.queue
        jobs = [*queue, *([queue.current] if queue.current is not None else [])]
        for job in jobs:
            job.fail(EngineError("restic-monitor stopped"))

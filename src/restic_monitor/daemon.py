"""The headless front end: engine + control channel + signals, no Qt anywhere.

Also hosts :func:`control_handler`, the mapping from control requests to
engine commands, which every front end that owns an engine reuses.
"""

from __future__ import annotations

import concurrent.futures
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from restic_monitor import __version__
from restic_monitor.control import ControlError, ControlServer
from restic_monitor.engine.errors import EngineError, NothingToDo
from restic_monitor.engine.host import Engine
from restic_monitor.engine.queue import Cancelled
from restic_monitor.exitcodes import EXIT_FAILED, EXIT_INSTANCE, EXIT_OK, EXIT_USAGE
from restic_monitor.instance import InstanceLock, already_running_message
from restic_monitor.notify import Notifier, headless_notifier, withdraw_all
from restic_monitor.paths import Home
from restic_monitor.platform.idle import IdleSource
from restic_monitor.platform.sleep import ResumeWatcher
from restic_monitor.platform.stop_request import StopRequest
from restic_monitor.prepare import prepare
from restic_monitor.restic.runner import DEFAULT_KILL_AFTER
from restic_monitor.status.model import RunInfo, to_json

log = logging.getLogger(__name__)


PROGRESS_EVENT_INTERVAL = 1.0


def control_handler(
    engine: Engine, request_shutdown: Callable[[], object]
) -> Callable[[str, dict[str, Any], Callable[[dict[str, Any]], None]], Any]:
    """Map control requests onto engine commands."""

    def handle(command: str, args: dict[str, Any], send: Callable[[dict[str, Any]], None]) -> Any:
        profile = args.get("profile")
        if profile is not None and not isinstance(profile, str):
            raise ControlError(f"{command}: profile must be a string")
        try:
            if command == "ping":
                return {"version": __version__}
            if command == "status":
                return engine.status(profile).to_json()
            if command == "backup":
                return _run(engine, "backup", profile, args, send)
            if command == "run":
                return _run(engine, str(args.get("kind")), profile, args, send)
            if command == "stop":
                return {"stopped": engine.stop(profile, queued_only=args.get("queued") is True)}
            if command == "pause":
                seconds = args.get("seconds")
                if seconds is not None and (
                    isinstance(seconds, bool) or not isinstance(seconds, (int, float))
                ):
                    raise ControlError("pause: seconds must be a number")
                until = engine.pause(float(seconds) if seconds is not None else None, profile)
                return {"paused_until": until}
            if command == "resume":
                engine.resume(profile)
                return {}
            if command == "reload":
                return {"problems": engine.reload(profile)}
            if command == "shutdown":
                request_shutdown()
                return {}
        except EngineError as exc:
            raise ControlError(str(exc)) from None
        raise ControlError(f"unknown command {command!r}")

    return handle


#: The kinds of job a client may ask for (unlock runs only when the engine sees fit).
REQUESTABLE = ("backup", "forget", "prune", "check", "restore")


def _run(
    engine: Engine,
    kind: str,
    profile: str | None,
    args: dict[str, Any],
    send: Callable[[dict[str, Any]], None],
) -> dict[str, Any]:
    """One profile's job, or every profile's in turn; progress while waiting."""
    if kind not in REQUESTABLE:
        raise ControlError(f"run: kind must be one of {', '.join(REQUESTABLE)}")
    details = None
    if kind == "restore":  # one profile's, with its items and target
        from restic_monitor.jobs.restore import RestoreRequest

        try:
            details = RestoreRequest.from_json(args.get("request")).to_json()
        except ValueError as exc:
            raise ControlError(str(exc)) from None
        if profile is None:
            raise ControlError("restore: name the profile")
    tickets = [engine.run(kind, profile, details)] if profile is not None else engine.run_all(kind)
    already = all(t.already_running for t in tickets)
    send(
        {
            "event": "accepted",
            "already_running": already,
            "profiles": [t.profile for t in tickets],
        }
    )
    if not args.get("wait", True):
        return {"already_running": already, "waited": False, "runs": []}
    runs: list[dict[str, Any]] = []
    last_sent = 0.0
    for ticket in tickets:
        while True:
            try:
                record = ticket.wait(timeout=PROGRESS_EVENT_INTERVAL)
                runs.append({"profile": ticket.profile, "run": to_json(RunInfo.of(record))})
                break
            except concurrent.futures.TimeoutError:
                pass
            except Cancelled as exc:
                runs.append({"profile": ticket.profile, "cancelled": True, "error": str(exc)})
                break
            except NothingToDo as exc:
                runs.append({"profile": ticket.profile, "skipped": True, "error": str(exc)})
                break
            except EngineError as exc:
                runs.append({"profile": ticket.profile, "error": str(exc)})
                break
            now = time.monotonic()
            if args.get("progress", True) and now - last_sent >= PROGRESS_EVENT_INTERVAL:
                last_sent = now
                current = engine.status().current_job
                if current is not None and current.kind == "backup":
                    progress = to_json(current.progress) if current.progress else None
                    send({"event": "progress", "profile": current.profile, "progress": progress})
    first = runs[0] if runs else {}
    return {
        "already_running": already,
        "waited": True,
        "run": first.get("run"),
        "runs": runs,
    }


class Daemon:
    """Owns the instance lock, the engine and the control server of one home."""

    def __init__(
        self,
        home: Home,
        idle_source: IdleSource,
        notifier: Notifier | None = None,
        kill_after: float | None = None,
        on_shutdown_request: Callable[[], object] | None = None,
        lock: InstanceLock | None = None,
    ) -> None:
        """``lock``: the instance lock when the caller holds it already (the tray,
        which shows its icon before it loads the engine)."""
        self.home = home
        self.lock = lock or InstanceLock(home.lock)
        self.stop = StopRequest()
        self.notifier = notifier or headless_notifier()
        self.engine = Engine(
            home,
            idle_source,
            notifier=self.notifier,
            kill_after=DEFAULT_KILL_AFTER if kill_after is None else kill_after,
        )
        self.server = ControlServer(
            home, control_handler(self.engine, on_shutdown_request or self.stop.set)
        )
        self.resume_watcher = ResumeWatcher(self.engine.wake)
        from restic_monitor.automation.publisher import MetricsPublisher

        self.metrics = MetricsPublisher(self.engine)
        from restic_monitor.automation.pings import Pings

        self.pings = Pings(self.engine)

    def start(self) -> None:
        self.engine.start()
        self.server.start()
        self.resume_watcher.start()
        self.metrics.start()
        self.pings.start()

    def close(self) -> None:
        self.resume_watcher.stop()
        self.server.close()
        # A graceful stop and the kill after kill_after, then a last unlock (limited to 10 s,
        # and killed kill_after later if it ignores its stop).
        self.engine.shutdown(timeout=2 * self.engine.kill_after + 15)
        # A failure shown on the desktop would outlive the app that could explain it.
        withdraw_all(self.notifier)
        self.metrics.close()
        self.pings.close()
        self.lock.release()


def run_headless(home: Home, idle_spec: str | None, *, debug: bool = False) -> int:
    idle = prepare(home, idle_spec, debug)
    if idle is None:
        return EXIT_USAGE
    daemon = Daemon(home, idle)
    if not daemon.lock.acquire(wait=1.0):
        print(f"restic-monitor: {already_running_message(home, daemon.lock)}", file=sys.stderr)
        return EXIT_INSTANCE
    log.info("restic-monitor %s starting (headless, home %s)", __version__, home.root)

    daemon.stop.install(
        on_hangup=lambda: threading.Thread(target=daemon.engine.reload, daemon=True).start()
    )
    try:
        daemon.start()
        print(
            f"restic-monitor running (headless) for {home.root}; idle source "
            f"{daemon.engine.idle_source.name}. Logs: {home.app_log}",
            file=sys.stderr,
        )
        daemon.engine.subscribe(
            lambda event, _data: daemon.stop.set() if event == "stopped" else None
        )
        from restic_monitor.platform.process import release_free_memory

        release_free_memory()  # what start-up freed need not stay resident all day
        if not daemon.engine.alive:
            daemon.stop.set()
        daemon.stop.wait()
        died = not daemon.engine.alive and not daemon.engine.shutting_down
    finally:
        log.info("restic-monitor stopping")
        daemon.close()
        log.info("restic-monitor stopped")
        daemon.stop.close()
    if died:
        # A service manager restarts us (the systemd unit says Restart=on-failure).
        print(
            f"restic-monitor: the engine stopped unexpectedly; see {home.app_log}", file=sys.stderr
        )
        return EXIT_FAILED
    return EXIT_OK

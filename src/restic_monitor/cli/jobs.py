"""``backup``, ``forget``, ``prune`` and ``check --full``: jobs run on request.

Through the running instance when there is one (queued with the rest, one
restic at a time), in this process otherwise. Without ``--profile`` every
profile gets the job in turn; the exit code is that of the worst outcome.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import signal
import sys
from typing import Any

from restic_monitor.cli.common import CliError, ProgressLine, chosen_profile, instance
from restic_monitor.control import ControlClient, ControlError
from restic_monitor.exitcodes import (
    EXIT_FAILED,
    EXIT_INCOMPLETE,
    EXIT_INSTANCE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
)
from restic_monitor.instance import InstanceLock, already_running_message
from restic_monitor.paths import Home
from restic_monitor.status.model import RunInfo, from_json
from restic_monitor.status.text import describe_run, exit_code_for

#: How long the command waits for the metrics of its job to be written and pushed.
TIMEOUT_AFTER_JOB = 5.0
#: Which exit code wins when several profiles were backed up (the worst first).
_SEVERITY = [EXIT_USAGE, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_INCOMPLETE, EXIT_OK]


def worst(codes: list[int]) -> int:
    return min(codes, key=lambda c: _SEVERITY.index(c) if c in _SEVERITY else 0, default=EXIT_OK)


def cmd_backup(args: argparse.Namespace, home: Home) -> int:
    return run_jobs(args, home, "backup")


def cmd_forget(args: argparse.Namespace, home: Home) -> int:
    return run_jobs(args, home, "forget")


def cmd_prune(args: argparse.Namespace, home: Home) -> int:
    return run_jobs(args, home, "prune")


def run_jobs(args: argparse.Namespace, home: Home, kind: str) -> int:
    profile = chosen_profile(args, home)
    client = instance(home)
    if client is not None:
        return _through(client, kind, profile, wait=not args.no_wait)
    return _in_process(args, home, kind, profile)


def _noun(kind: str) -> str:
    return {"backup": "Backup", "restore": "Restore"}.get(kind, f"restic {kind}")


def report(runs: list[dict[str, Any]], kind: str = "backup") -> int:
    """Print each profile's outcome; the exit code of the worst."""
    codes = []
    for entry in runs:
        if entry.get("run"):
            run = from_json(RunInfo, entry["run"])
            print(describe_run(run))
            codes.append(exit_code_for(run))
        elif entry.get("cancelled"):
            print(f"{_noun(kind)} of profile {entry['profile']} stopped before it started.")
            codes.append(EXIT_INTERRUPTED)
        elif entry.get("skipped"):  # nothing to act on there (forget without a policy)
            print(f"Profile {entry['profile']}: {entry.get('error')}.")
            codes.append(EXIT_OK)
        else:  # could not be started at all: configuration, elevation, a removed profile
            print(
                f"restic-monitor: {_noun(kind).lower()} of profile {entry['profile']} not run: "
                f"{entry.get('error')}",
                file=sys.stderr,
            )
            codes.append(EXIT_USAGE)
    return worst(codes)


def _through(
    client: ControlClient,
    kind: str,
    profile: str | None,
    wait: bool,
    details: dict[str, Any] | None = None,
) -> int:
    line = ProgressLine()

    def on_event(event: dict[str, Any]) -> None:
        if event.get("event") == "accepted":
            if event.get("already_running"):
                print(
                    f"A {_noun(kind).lower()} is already running or waiting"
                    + ("; waiting for it to finish." if wait else "."),
                    file=sys.stderr,
                )
            else:
                print(f"{_noun(kind)} started by the running instance.", file=sys.stderr)
        elif event.get("event") == "progress":
            line.show(event.get("progress"), event.get("profile"))

    try:
        request: dict[str, Any] = {"wait": wait, "profile": profile, "kind": kind}
        if details is not None:
            request["request"] = details
        result = client.call("run", request, on_event=on_event, wait=wait)
    except ControlError as exc:
        raise CliError(
            str(exc), EXIT_USAGE if "configuration" in str(exc) else EXIT_FAILED
        ) from None
    finally:
        line.done()
    if not wait:
        return EXIT_OK
    return report(result["runs"], kind)


def _in_process(
    args: argparse.Namespace,
    home: Home,
    kind: str,
    profile: str | None,
    details: dict[str, Any] | None = None,
) -> int:
    from restic_monitor import logs
    from restic_monitor.daemon import control_handler
    from restic_monitor.engine.errors import EngineError
    from restic_monitor.engine.host import Engine
    from restic_monitor.notify import LogNotifier
    from restic_monitor.platform.idle import UnknownIdle

    home.ensure()
    lock = InstanceLock(home.lock)
    if not lock.acquire(wait=1.0):
        client = instance(home)
        if client is not None:
            return _through(client, kind, profile, not args.no_wait, details)
        raise CliError(already_running_message(home, lock), EXIT_INSTANCE)
    try:
        logs.setup(home, debug=args.debug, console=True)
        engine = Engine(
            home, UnknownIdle("foreground backup"), notifier=LogNotifier(), automatic=False
        )
        line = ProgressLine()
        engine.subscribe(
            lambda event, data: (
                line.show(data["progress"], data.get("profile")) if event == "progress" else None
            )
        )
        engine.start()
        from restic_monitor.automation.pings import Pings
        from restic_monitor.automation.publisher import MetricsPublisher

        metrics = MetricsPublisher(engine)  # after the job too, as a running instance would
        metrics.start()
        pings = Pings(engine)
        pings.start()
        # Other commands (status, stop, pause) reach this backup like a running instance.
        from restic_monitor.control import ControlServer

        server = ControlServer(home, control_handler(engine, engine.stop))
        try:
            server.start()
        except OSError as exc:
            print(f"restic-monitor: no control channel ({exc})", file=sys.stderr)
        try:
            tickets = (
                [engine.run(kind, profile, details)]
                if profile is not None
                else engine.run_all(kind)
            )
        except EngineError as exc:
            server.close()
            engine.shutdown(10)
            raise CliError(str(exc), EXIT_USAGE) from None
        doing = {"backup": "Backing up", "restore": "Restoring"}.get(kind, f"Running restic {kind}")
        print(f"{doing} (no instance running; press Ctrl-C to stop)…", file=sys.stderr)

        def on_signal(_signum: int, _frame: Any) -> None:
            print("\nStopping restic gracefully…", file=sys.stderr)
            engine.stop()

        # Ctrl-C, and also a terminal closed or a `kill`: restic runs in its own
        # session, so it would outlive this process if we simply died.
        stop_signals = [signal.SIGINT]
        stop_signals += [getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n)]
        previous = {sig: signal.signal(sig, on_signal) for sig in stop_signals}
        runs: list[dict[str, Any]] = []
        try:
            for ticket in tickets:
                while True:
                    try:
                        record = ticket.wait(timeout=0.5)
                    except concurrent.futures.TimeoutError:
                        continue
                    except Exception as exc:  # stopped before it started, or invalid
                        runs.append(_not_run(ticket.profile, exc))
                        break
                    from restic_monitor.status.model import to_json

                    runs.append({"profile": ticket.profile, "run": to_json(RunInfo.of(record))})
                    break
            engine.settle(engine.kill_after + 15)  # a clean-up (restic unlock) ends first
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            line.done()
            server.close()
            engine.shutdown(engine.kill_after + 25)
            metrics.close(TIMEOUT_AFTER_JOB)
            pings.close(TIMEOUT_AFTER_JOB)
        return report(runs, kind)
    finally:
        lock.release()


def _not_run(profile: str, exc: Exception) -> dict[str, Any]:
    from restic_monitor.engine.errors import NothingToDo
    from restic_monitor.engine.queue import Cancelled

    if isinstance(exc, Cancelled):
        return {"profile": profile, "cancelled": True, "error": str(exc)}
    if isinstance(exc, NothingToDo):
        return {"profile": profile, "skipped": True, "error": str(exc)}
    return {"profile": profile, "error": str(exc)}

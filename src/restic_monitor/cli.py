"""Command line: drives the running instance, or acts directly when none runs.

Errors meant for the user are raised as :class:`CliError` and printed at one
place, :func:`main`, with the exit code they carry.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from restic_monitor import __version__, restic, state
from restic_monitor.config import (
    ConfigError,
    example_env,
    example_settings,
    load_config,
)
from restic_monitor.control import (
    ControlClient,
    ControlError,
    ControlServer,
    NoAnswer,
    NoInstance,
    connect,
)
from restic_monitor.durations import parse_duration
from restic_monitor.exitcodes import (
    EXIT_FAILED,
    EXIT_INSTANCE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
)
from restic_monitor.instance import InstanceLock, already_running_message
from restic_monitor.paths import Home, resolve_home
from restic_monitor.status import (
    describe_run,
    exit_code_for,
    format_status,
    run_json,
    status_from_files,
)


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


# --- helpers -------------------------------------------------------------------


def _instance(home: Home) -> ControlClient | None:
    """The running instance's client, or None when no instance holds the home."""
    for attempt in range(50):
        try:
            return connect(home)
        except NoInstance:
            pass
        except NoAnswer as exc:
            lock = InstanceLock(home.lock)
            raise CliError(
                f"{already_running_message(home, lock)} {exc}; see {home.app_log}", EXIT_INSTANCE
            ) from None
        except ControlError as exc:
            raise CliError(
                f"the running instance refused the request: {exc}", EXIT_INSTANCE
            ) from None
        lock = InstanceLock(home.lock)
        if not lock.held_elsewhere():
            return None
        # Locked but not answering yet: an instance is starting (or stuck).
        if attempt == 49:
            raise CliError(
                already_running_message(home, lock) + " It does not answer on the control "
                "channel; see " + str(home.app_log),
                EXIT_INSTANCE,
            )
        time.sleep(0.1)
    return None


def _load_config_or_fail(home: Home) -> Any:
    try:
        return load_config(home)
    except ConfigError as exc:
        raise CliError(
            "the configuration is invalid:\n" + "\n".join(f"  {p}" for p in exc.problems),
            EXIT_USAGE,
        ) from None


class _ProgressLine:
    """A single updating progress line on a terminal; silent otherwise."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.shown = False

    def show(self, progress: dict[str, Any] | None) -> None:
        if not self.enabled or not progress:
            return
        sys.stderr.write("\r\x1b[2K" + restic.Progress.from_json(progress).describe())
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()


# --- commands ---------------------------------------------------------------------


def cmd_run(args: argparse.Namespace, home: Home) -> int:
    if not args.headless:
        why = _no_tray_reason()
        if why is None:
            from restic_monitor.tray import run_tray

            return run_tray(home, args.idle_source, debug=args.debug)
        from restic_monitor.platform.display import NO_DISPLAY

        if why != NO_DISPLAY:  # someone expected a tray here: say why there is none
            print(f"restic-monitor: no tray ({why}); running headless", file=sys.stderr)
    from restic_monitor.daemon import run_headless

    return run_headless(home, args.idle_source, debug=args.debug)


def _no_tray_reason() -> str | None:
    """Why the tray cannot run here (then ``run`` backs up headless), or None.

    Qt missing or broken, or a display that cannot be opened: Qt would end the
    process in that case, and with it the backups.
    """
    from restic_monitor.platform.display import unreachable_reason

    why = unreachable_reason()
    if why is not None:
        return why
    try:
        import restic_monitor.tray.app  # noqa: F401 - loads Qt: the part that can fail
    except ImportError as exc:
        return f"Qt cannot be loaded: {exc}"
    return None


def cmd_status(args: argparse.Namespace, home: Home) -> int:
    client = _instance(home)
    status = client.call("status") if client is not None else status_from_files(home)
    if args.json:
        print(json.dumps(status, indent=2))
    else:
        print(format_status(status))
    return EXIT_USAGE if status.get("config_error") else EXIT_OK


def cmd_backup(args: argparse.Namespace, home: Home) -> int:
    client = _instance(home)
    if client is not None:
        return _backup_through(client, wait=not args.no_wait)
    return _backup_in_process(args, home)


def _backup_through(client: ControlClient, wait: bool) -> int:
    line = _ProgressLine()

    def on_event(event: dict[str, Any]) -> None:
        if event.get("event") == "accepted":
            if event.get("already_running"):
                print(
                    "A backup is already running"
                    + ("; waiting for it to finish." if wait else "."),
                    file=sys.stderr,
                )
            else:
                print("Backup started by the running instance.", file=sys.stderr)
        elif event.get("event") == "progress":
            line.show(event.get("progress"))

    try:
        result = client.call("backup", {"wait": wait}, on_event=on_event, wait=wait)
    except ControlError as exc:
        raise CliError(
            str(exc), EXIT_USAGE if "configuration" in str(exc) else EXIT_FAILED
        ) from None
    finally:
        line.done()
    if not wait:
        return EXIT_OK
    run = result["run"]
    print(describe_run(run))
    return exit_code_for(run)


def _backup_in_process(args: argparse.Namespace, home: Home) -> int:
    import concurrent.futures

    from restic_monitor import logs
    from restic_monitor.daemon import control_handler
    from restic_monitor.engine import ConfigInvalid, Engine, EngineError
    from restic_monitor.notify import LogNotifier
    from restic_monitor.platform.idle import UnknownIdle

    _load_config_or_fail(home)
    home.ensure()
    lock = InstanceLock(home.lock)
    if not lock.acquire(wait=1.0):
        client = _instance(home)
        if client is not None:
            return _backup_through(client, wait=not args.no_wait)
        raise CliError(already_running_message(home, lock), EXIT_INSTANCE)
    try:
        logs.setup(home, debug=args.debug, console=True)
        engine = Engine(
            home, UnknownIdle("foreground backup"), notifier=LogNotifier(), automatic=False
        )
        line = _ProgressLine()
        engine.subscribe(
            lambda event, data: line.show(data["progress"]) if event == "progress" else None
        )
        engine.start()
        # Other commands (status, stop, pause) reach this backup like a running instance.
        server = ControlServer(home, control_handler(engine, engine.stop))
        try:
            server.start()
        except OSError as exc:
            print(f"restic-monitor: no control channel ({exc})", file=sys.stderr)
        try:
            ticket = engine.backup()
        except EngineError as exc:
            server.close()
            engine.shutdown(10)
            raise CliError(str(exc), EXIT_USAGE) from None
        print("Backing up (no instance running; press Ctrl-C to stop)…", file=sys.stderr)

        def on_signal(_signum: int, _frame: Any) -> None:
            print("\nStopping restic gracefully…", file=sys.stderr)
            engine.stop()

        # Ctrl-C, and also a terminal closed or a `kill`: restic runs in its own
        # session, so it would outlive this process if we simply died.
        stop_signals = [signal.SIGINT]
        stop_signals += [getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n)]
        previous = {sig: signal.signal(sig, on_signal) for sig in stop_signals}
        try:
            record = None
            while record is None:
                try:
                    record = ticket.wait(timeout=0.5)
                except concurrent.futures.TimeoutError:
                    continue
                except EngineError as exc:  # stopped (or made impossible) before restic started
                    print(f"restic-monitor: {exc}", file=sys.stderr)
                    return EXIT_USAGE if isinstance(exc, ConfigInvalid) else EXIT_INTERRUPTED
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            line.done()
            server.close()
            engine.shutdown(engine.kill_after + 25)
        run = record.to_json()
        print(describe_run(run))
        return exit_code_for(run)
    finally:
        lock.release()


def _simple(
    command: str, args_for: Callable[[argparse.Namespace], dict[str, Any]] | None = None
) -> Callable[[argparse.Namespace, Home], Any]:
    def run(args: argparse.Namespace, home: Home) -> Any:
        client = _instance(home)
        if client is None:
            return None
        try:
            return client.call(command, args_for(args) if args_for else {})
        except ControlError as exc:
            raise CliError(str(exc)) from None

    return run


def cmd_stop(args: argparse.Namespace, home: Home) -> int:
    result = _simple("stop")(args, home)
    if result is None or not result.get("stopped"):
        print("No backup is running.")
        return EXIT_OK
    print("Asked restic to stop; it is finishing cleanly.")
    return EXIT_OK


def _pause_seconds(args: argparse.Namespace) -> float | None:
    if args.duration is None:
        return None
    try:
        return parse_duration(args.duration)
    except ValueError as exc:
        raise CliError(f"pause --for: {exc}", EXIT_USAGE) from None


def cmd_pause(args: argparse.Namespace, home: Home) -> int:
    seconds = _pause_seconds(args)
    client = _instance(home)
    if client is not None:
        try:
            until = client.call("pause", {"seconds": seconds})["paused_until"]
        except ControlError as exc:
            raise CliError(str(exc)) from None
    else:
        if seconds is None:
            try:
                seconds = load_config(home, keyring=False).settings.pause_seconds
            except ConfigError:
                seconds = 28800.0
        home.ensure()
        until = time.time() + seconds
        state.write_pause(home, until)
    print(f"Backups paused until {state.to_iso(until)}.")
    return EXIT_OK


def cmd_resume(args: argparse.Namespace, home: Home) -> int:
    client = _instance(home)
    if client is not None:
        try:
            client.call("resume")
        except ControlError as exc:
            raise CliError(str(exc)) from None
    else:
        state.clear_pause(home)
    print("Backups resumed.")
    return EXIT_OK


def cmd_reload(args: argparse.Namespace, home: Home) -> int:
    client = _instance(home)
    if client is not None:
        try:
            problems = client.call("reload")["problems"]
        except ControlError as exc:
            raise CliError(str(exc)) from None
    else:
        try:
            load_config(home)
            problems = []
        except ConfigError as exc:
            problems = [str(p) for p in exc.problems]
    if problems:
        print("The configuration is invalid:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USAGE
    print("Configuration reloaded." if client else "Configuration is valid (no instance running).")
    return EXIT_OK


#: How long `check` waits for restic to open the repository.
CHECK_TIMEOUT = 60.0


def cmd_check(args: argparse.Namespace, home: Home) -> int:
    ok = True
    print(f"Home: {home.root}")
    try:
        config = load_config(home)
    except ConfigError as exc:
        print("Configuration: INVALID")
        for problem in exc.problems:
            print(f"  {problem}")
        return EXIT_USAGE
    settings = config.settings
    print(f"Configuration: ok (env.json variables: {', '.join(sorted(config.env)) or 'none'})")
    _check_env_permissions(home)
    exe = settings.resolve_restic()
    if exe is None:
        print(f"restic: NOT FOUND ({settings.restic_exe!r}; install restic or set restic_exe)")
        return EXIT_FAILED
    version = restic.version(exe)
    print(f"restic: {exe} (version {version or 'unknown'})")
    print(f"Backup command: {restic.mask_credentials(' '.join([exe, *settings.args]))}")
    redactor = restic.Redactor(config.env.secrets())

    def masked_lines(output: str | bytes | None) -> list[str]:
        """restic's lines, masked before anything reads them (a timeout gives bytes)."""
        if isinstance(output, bytes):
            output = output.decode("utf-8", "replace")
        lines = (output or "").splitlines()
        return [redactor.text(restic.clean_line(x)) for x in lines if x.strip()]

    try:
        proc = subprocess.run(
            [exe, "cat", "config"],
            env=restic.child_env(config.env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=CHECK_TIMEOUT,
            creationflags=restic.no_window_flags(),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        # restic 0.17+ retries an unreachable repository for up to 15 minutes.
        print(
            f"Repository: PROBLEM: no answer within {CHECK_TIMEOUT:.0f} s; the repository "
            "may be unreachable (restic keeps retrying). What restic said so far:"
        )
        for line in masked_lines(exc.stderr)[-3:] or ["(nothing)"]:
            print(f"  {line}")
        return EXIT_FAILED
    except OSError as exc:
        print(f"Repository: cannot check ({exc.strerror or exc})")
        return EXIT_FAILED
    if proc.returncode == 0:
        print("Repository: reachable, password accepted")
    else:
        ok = False
        lines = masked_lines(proc.stderr)
        cls = restic.classify(proc.returncode, lines)
        print(f"Repository: PROBLEM: {cls.message}")
        for line in lines[-3:]:
            print(f"  {line}")
    from restic_monitor.platform.idle import make_idle_source

    try:
        source = make_idle_source(args.idle_source)
        value = source.seconds()
        why = getattr(source, "why", None)
        shown = "unknown" if value is None else f"{value:.0f} s"
        print(f"Idle time: {shown} (source: {source.name}{'; ' + why if why else ''})")
    except (ValueError, OSError) as exc:
        print(f"Idle time: {exc}")
    return EXIT_OK if ok else EXIT_FAILED


def _check_env_permissions(home: Home) -> None:
    if sys.platform == "win32":
        return
    try:
        mode = home.env_json.stat().st_mode
    except OSError:
        return
    if mode & 0o077:
        print(
            f"Warning: {home.env_json} can be read by other users (mode {mode & 0o777:o}); "
            f"fix with: chmod 600 {home.env_json}"
        )


def cmd_init(args: argparse.Namespace, home: Home) -> int:
    home.ensure()
    written = []
    for path, data, mode in (
        (home.settings_json, example_settings(), 0o644),
        (home.env_json, example_env(), 0o600),
    ):
        if path.exists() and not args.force:
            print(f"Kept existing {path}")
            continue
        state.atomic_write(path, (json.dumps(data, indent=4) + "\n").encode(), mode=mode)
        written.append(path)
        print(f"Wrote {path}")
    if written:
        print(
            "\nEdit them: env.json holds RESTIC_REPOSITORY and RESTIC_PASSWORD (or any restic "
            "variable), settings.json the backup command and timings.\n"
            "Then run `restic-monitor check`, and `restic-monitor restic init` to create a new "
            "repository if you do not have one."
        )
    return EXIT_OK


def _home_argument(home: Home) -> Path | None:
    """The --home to bake into the autostart command (None for the default home)."""
    from restic_monitor.paths import default_home

    return None if home.root == default_home() else home.root


def cmd_install(args: argparse.Namespace, home: Home) -> int:
    from restic_monitor.platform import autostart

    plan = autostart.install_plan(home.root, _home_argument(home), home.logs, args.headless)
    if args.dry_run:
        print(plan.describe())
        return EXIT_OK
    if not home.settings_json.exists() or not home.env_json.exists():
        cmd_init(argparse.Namespace(force=False), home)
    try:
        lines = autostart.carry_out(plan)
    except (autostart.AutostartError, OSError) as exc:
        raise CliError(f"install failed: {exc}") from None
    for line in lines:
        print(line)
    if sys.platform == "win32":  # pragma: no cover - the earlier tool's users expect this
        os.startfile(home.root)  # type: ignore[attr-defined]  # noqa: S606
    unfinished = [line for line in lines if line.startswith(("could not run", "skipped"))]
    if unfinished:
        print("Installed, but the steps above that could not run are left for you to run.")
        return EXIT_FAILED
    print("restic-monitor will start at login.")
    return EXIT_OK


def cmd_uninstall(args: argparse.Namespace, home: Home) -> int:
    from restic_monitor.platform import autostart

    plan = autostart.uninstall_plan(home.root)
    if args.dry_run:
        print(plan.describe())
        return EXIT_OK
    try:
        lines = autostart.carry_out(plan)
    except (autostart.AutostartError, OSError) as exc:
        raise CliError(f"uninstall failed: {exc}") from None
    for line in lines or ["nothing was installed"]:
        print(line)
    print(f"Your configuration and data in {home.root} are untouched.")
    return EXIT_OK


def cmd_secret(args: argparse.Namespace, home: Home) -> int:
    import getpass

    from restic_monitor.secrets_store import SecretStoreError, delete_secret, set_secret

    try:
        if args.action == "delete":
            if delete_secret(args.name):
                print(f"Deleted keyring entry {args.name!r}.")
                return EXIT_OK
            print(f"No keyring entry {args.name!r}.")
            return EXIT_FAILED
        if sys.stdin.isatty():
            value = getpass.getpass(f"Value for {args.name}: ")
            if getpass.getpass("Again: ") != value:
                raise CliError("the two values differ; nothing stored", EXIT_USAGE)
        else:
            value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise CliError("an empty value is not stored", EXIT_USAGE)
        backend = set_secret(args.name, value)
    except SecretStoreError as exc:
        raise CliError(str(exc)) from None
    print(f"Stored {args.name!r} in the system keyring ({backend}).")
    print(f'Use it in env.json as, for example: "RESTIC_PASSWORD": {{"keyring": "{args.name}"}}')
    return EXIT_OK


def cmd_shell(args: argparse.Namespace, home: Home) -> int:
    config = _load_config_or_fail(home)
    env = restic.shell_env(config.env, config.settings.resolve_restic())
    welcome = restic.shell_welcome(config.env)
    if sys.platform == "win32":
        from restic_monitor.platform.terminal import windows_shell

        return _run_child(windows_shell(env, welcome), env)
    print(welcome)
    return _run_child([os.environ.get("SHELL") or shutil.which("bash") or "/bin/sh"], env)


def cmd_restic(args: argparse.Namespace, home: Home) -> int:
    config = _load_config_or_fail(home)
    exe = config.settings.resolve_restic()
    if exe is None:
        raise CliError(
            f"restic not found: {config.settings.restic_exe!r} (settings.json restic_exe)"
        )
    return _run_child([exe, *args.restic_args], restic.child_env(config.env))


def _run_child(argv: Sequence[str], env: dict[str, str]) -> int:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the child handles Ctrl-C
    try:
        return subprocess.call(list(argv), env=env)
    except OSError as exc:
        raise CliError(f"cannot start {argv[0]}: {exc.strerror}") from None
    finally:
        signal.signal(signal.SIGINT, previous)


def cmd_history(args: argparse.Namespace, home: Home) -> int:
    records = state.History(home.history_db).recent(args.limit) if home.history_db.exists() else []
    if args.json:
        print(json.dumps([run_json(r) for r in records], indent=2))
        return EXIT_OK
    if not records:
        print("No backups recorded yet.")
        return EXIT_OK
    print(
        f"{'started':<25} {'duration':>9}  {'outcome':<11} {'new':>6} {'changed':>7} "
        f"{'added':>10}  snapshot"
    )
    for r in records:
        duration = restic.human_duration(r.duration) if r.duration is not None else "-"
        added = restic.human_bytes(r.data_added) if r.data_added is not None else "-"
        outcome = r.outcome or "running"
        print(
            f"{state.to_iso(r.started):<25} {duration:>9}  {outcome:<11} "
            f"{_num(r.files_new):>6} {_num(r.files_changed):>7} {added:>10}  {r.snapshot_id or '-'}"
        )
    return EXIT_OK


def _num(value: int | None) -> str:
    return "-" if value is None else str(value)


def cmd_idle(args: argparse.Namespace, home: Home) -> int:
    from restic_monitor.platform.idle import make_idle_source

    try:
        source = make_idle_source(args.idle_source)
    except (ValueError, OSError) as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    value = source.seconds()
    if args.json:
        print(json.dumps({"seconds": value, "source": source.name}))
    else:
        why = getattr(source, "why", None)
        shown = "unknown" if value is None else f"{value:.1f} s"
        print(f"{shown} (source: {source.name}{'; ' + why if why else ''})")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, home: Home) -> int:
    from restic_monitor.demo import run_demo

    return run_demo(once=args.once, keep=args.keep, debug=args.debug)


# --- parser ---------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="restic-monitor",
        description="Backs up with restic when you are away, and warns when backups stop.",
    )
    parser.add_argument(
        "--home",
        help="app home folder (default: the platform's user data dir; or RESTIC_MONITOR_HOME)",
    )
    parser.add_argument("--debug", action="store_true", help="verbose logs, also on the console")
    parser.add_argument("--version", action="version", version=f"restic-monitor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    from restic_monitor.platform.idle import SPECS as idle_specs

    def idle_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--idle-source",
            metavar="SPEC",
            help=f"{idle_specs} (or RESTIC_MONITOR_IDLE_SOURCE; default auto)",
        )

    p = sub.add_parser("run", help="run the monitor (default command)")
    p.add_argument("--headless", action="store_true", help="no tray icon")
    idle_option(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("status", help="show the backup status")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("backup", help="back up now and wait for the outcome")
    p.add_argument("--no-wait", action="store_true", help="return once the backup has started")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("stop", help="stop the running backup gracefully")
    p.set_defaults(func=cmd_stop)

    p = sub.add_parser("pause", help="pause automatic backups")
    p.add_argument(
        "--for",
        dest="duration",
        metavar="DURATION",
        help="e.g. 30m, 8h, 2d (default: pause_seconds)",
    )
    p.set_defaults(func=cmd_pause)

    p = sub.add_parser("resume", help="end a pause")
    p.set_defaults(func=cmd_resume)

    p = sub.add_parser("reload", help="re-read settings.json and env.json")
    p.set_defaults(func=cmd_reload)

    p = sub.add_parser("check", help="check configuration, restic and the repository")
    idle_option(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("init", help="write example settings.json and env.json")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("install", help="start restic-monitor at login")
    p.add_argument(
        "--headless", action="store_true", help="as a background service without a tray (Linux)"
    )
    p.add_argument("--dry-run", action="store_true", help="print what would be written and run")
    p.set_defaults(func=cmd_install)

    p = sub.add_parser("uninstall", help="stop starting at login (keeps configuration and data)")
    p.add_argument("--dry-run", action="store_true", help="print what would be removed and run")
    p.set_defaults(func=cmd_uninstall)

    p = sub.add_parser("secret", help="store a secret in the system keyring for env.json")
    p.add_argument("action", choices=["set", "delete"])
    p.add_argument("name", help='the entry\'s name, used in env.json as {"keyring": "NAME"}')
    p.set_defaults(func=cmd_secret)

    p = sub.add_parser("shell", help="a shell with the restic environment, for restores")
    p.set_defaults(func=cmd_shell)

    p = sub.add_parser("restic", help="run restic with the configured environment", add_help=False)
    p.add_argument("restic_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_restic)

    p = sub.add_parser("history", help="recent backup runs")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=_positive_int, default=20, metavar="N")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("idle", help="print the current idle time and its source")
    p.add_argument("--json", action="store_true")
    idle_option(p)
    p.set_defaults(func=cmd_idle)

    p = sub.add_parser("demo", help="a self-contained demonstration with a real repository")
    p.add_argument("--once", action="store_true", help="exit after the first backup")
    p.add_argument("--headless", action="store_true", help="no tray icon")
    p.add_argument("--keep", action="store_true", help="keep the temporary home afterwards")
    p.set_defaults(func=cmd_demo)
    return parser


def _split_restic_args(argv: list[str]) -> tuple[list[str], list[str] | None]:
    """Everything after the ``restic`` command goes to restic untouched (``--help`` too)."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--home":
            i += 2
        elif arg.startswith("--home=") or arg == "--debug":
            i += 1
        else:
            break
    if i < len(argv) and argv[i] == "restic":
        return argv[: i + 1], argv[i + 1 :]
    return argv, None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, not {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    own, passthrough = _split_restic_args(list(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(own)
    if args.command is None:
        args = parser.parse_args([*own, "run"])
    if passthrough is not None:
        args.restic_args = passthrough
    home = resolve_home(args.home)
    try:
        code: int = args.func(args, home)
        return code
    except CliError as exc:
        print(f"restic-monitor: {exc}", file=sys.stderr)
        return exc.code
    except NoAnswer as exc:
        print(f"restic-monitor: {exc}; see {home.app_log}", file=sys.stderr)
        return EXIT_INSTANCE
    except ControlError as exc:
        print(f"restic-monitor: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

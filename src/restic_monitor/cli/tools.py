"""Running things: the monitor itself, a restic shell, restic, the idle time, the demo."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence

from restic_monitor.cli.common import CliError, load_config_or_fail, one_profile, profile_restic
from restic_monitor.exitcodes import EXIT_OK, EXIT_USAGE
from restic_monitor.paths import Home

#: Not typing.TYPE_CHECKING: `run` should not pay for what only annotations use.
TYPE_CHECKING = False
if TYPE_CHECKING:
    pass


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
        # Qt, the part that can fail; the rest of the tray loads after its icon shows.
        import restic_monitor.tray.launch  # noqa: F401
    except ImportError as exc:
        return f"Qt cannot be loaded: {exc}"
    return None


def cmd_shell(args: argparse.Namespace, home: Home) -> int:
    from restic_monitor.restic.command import Restic, shell_welcome

    paths = one_profile(args, home, "the shell")
    config = load_config_or_fail(paths)
    restic = Restic(config.settings.resolve_restic() or config.settings.restic_exe, config.env)
    env = restic.shell_env()
    if paths.name != "default":
        env["RESTIC_MONITOR_PROFILE"] = paths.name
    welcome = shell_welcome(config.env)
    if sys.platform == "win32":
        from restic_monitor.platform.terminal import windows_shell

        return _run_child(windows_shell(env, welcome), env)
    print(welcome)
    return _run_child([os.environ.get("SHELL") or shutil.which("bash") or "/bin/sh"], env)


def cmd_restic(args: argparse.Namespace, home: Home) -> int:
    command = profile_restic(args, home, "restic")[0].command(*args.restic_args)
    return _run_child(list(command.argv), command.env)


def _run_child(argv: Sequence[str], env: dict[str, str]) -> int:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the child handles Ctrl-C
    try:
        return subprocess.call(list(argv), env=env)
    except OSError as exc:
        raise CliError(f"cannot start {argv[0]}: {exc.strerror}") from None
    finally:
        signal.signal(signal.SIGINT, previous)


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

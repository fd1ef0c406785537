"""The command line's parser and its one place that prints errors for the user."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from restic_monitor import __version__
from restic_monitor.cli.common import CliError
from restic_monitor.control_client import ControlError, NoAnswer, Untrusted
from restic_monitor.exitcodes import EXIT_FAILED, EXIT_INSTANCE, EXIT_INTERRUPTED, EXIT_OK
from restic_monitor.jobs.names import JOB_KINDS
from restic_monitor.paths import Home, resolve_home

#: Not typing.TYPE_CHECKING: importing typing costs every `status` 2 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Each command's module is imported when it runs: `status` asking a running instance
#: must not pay for the engine, the configuration loader or sqlite.
CommandFunc = Callable[[argparse.Namespace, Home], int]


def _command(spec: str) -> CommandFunc:
    import importlib

    module, name = spec.split(":")
    func: CommandFunc = getattr(importlib.import_module(f"restic_monitor.cli.{module}"), name)
    return func


#: Every command, in the order of the help (a test holds it equal to the parser's).
COMMANDS = (
    "run", "status", "backup", "stop", "pause", "resume", "reload", "check", "forget",
    "prune", "setup", "snapshots", "ls", "find", "versions", "missing", "restore", "mount",
    "unmount", "init", "install", "uninstall", "secret", "shell", "restic", "history", "metrics",
    "idle", "demo",
)  # fmt: skip


#: The commands restore_parser adds (the same list: a test holds them equal).
_RESTORE_COMMANDS = COMMANDS[COMMANDS.index("snapshots") : COMMANDS.index("unmount") + 1]


class HelpFormatter(argparse.HelpFormatter):
    """argparse's, measuring the terminal without importing shutil (and bz2, lzma, zlib).

    argparse makes a formatter for every option it adds, and each asks for the
    terminal's width through shutil; this is the same answer (``COLUMNS``, else
    the terminal, else 80) for the price of one system call.
    """

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        super().__init__(prog, indent_increment, max_help_position, width or _columns() - 2)


def _columns() -> int:
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


def _command_index(argv: Sequence[str]) -> int:
    """Where the command is in ``argv``: the first word that is no global option's
    (``len(argv)`` when there is none)."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("--home", "--profile"):
            i += 2
        elif arg.startswith(("--home=", "--profile=")) or arg == "--debug":
            i += 1
        else:
            return i
    return len(argv)


def _command_word(argv: Sequence[str]) -> str | None:
    """The command named in ``argv``, if any."""
    i = _command_index(argv)
    return argv[i] if i < len(argv) else None


def _profile_option(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--profile", metavar="NAME", help=what)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or (``only``) the top level and that one command's.

    Every subcommand's parser costs a few hundred microseconds to build (and
    a help-text lookup); a command that a script runs every few seconds
    should not build twenty of them to use one.
    """

    def wanted(name: str) -> bool:
        return only is None or only == name

    def add(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        return sub.add_parser(name, formatter_class=HelpFormatter, **kwargs)

    parser = argparse.ArgumentParser(
        formatter_class=HelpFormatter,
        prog="restic-monitor",
        description="Backs up with restic when you are away, and warns when backups stop.",
    )
    parser.add_argument(
        "--home",
        help="app home folder (default: the platform's user data dir; or RESTIC_MONITOR_HOME)",
    )
    parser.add_argument("--debug", action="store_true", help="verbose logs, also on the console")
    parser.add_argument(
        "--profile",
        dest="global_profile",
        metavar="NAME",
        help="the profile a command acts on (also accepted after the command)",
    )
    parser.add_argument("--version", action="version", version=f"restic-monitor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    from restic_monitor.platform.idle_specs import SPECS as idle_specs

    def idle_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--idle-source",
            metavar="SPEC",
            help=f"{idle_specs} (or RESTIC_MONITOR_IDLE_SOURCE; default auto)",
        )

    if wanted("run"):
        p = add("run", help="run the monitor (default command)")
        p.add_argument("--headless", action="store_true", help="no tray icon")
        idle_option(p)
        p.set_defaults(func="tools:cmd_run")

    if wanted("status"):
        p = add("status", help="show the backup status")
        p.add_argument("--json", action="store_true")
        _profile_option(p, "only this profile (default: all)")
        p.set_defaults(func="status:cmd_status")

    if wanted("backup"):
        p = add("backup", help="back up now and wait for the outcome")
        p.add_argument("--no-wait", action="store_true", help="return once the backup has started")
        _profile_option(p, "back up this profile (default: every profile in turn)")
        p.set_defaults(func="jobs:cmd_backup")

    if wanted("stop"):
        p = add("stop", help="stop the running backup gracefully")
        p.add_argument(
            "--queued", action="store_true", help="only drop the jobs waiting in the queue"
        )
        _profile_option(p, "only this profile's jobs (default: all)")
        p.set_defaults(func="commands:cmd_stop")

    if wanted("pause"):
        p = add("pause", help="pause automatic backups")
        p.add_argument(
            "--for",
            dest="duration",
            metavar="DURATION",
            help="e.g. 30m, 8h, 2d (default: pause_seconds)",
        )
        _profile_option(p, "pause this profile (default: all)")
        p.set_defaults(func="commands:cmd_pause")

    if wanted("resume"):
        p = add("resume", help="end a pause")
        _profile_option(p, "resume this profile (default: all)")
        p.set_defaults(func="commands:cmd_resume")

    if wanted("reload"):
        p = add("reload", help="re-read settings.json and env.json")
        _profile_option(p, "only this profile (default: all)")
        p.set_defaults(func="commands:cmd_reload")

    if wanted("check"):
        p = add("check", help="check configuration, restic and the repository")
        idle_option(p)
        _profile_option(p, "check this profile (default: every profile)")
        p.add_argument(
            "--full",
            action="store_true",
            help="run restic check with check_args as a job, and wait for its outcome",
        )
        p.add_argument("--no-wait", action="store_true", help="with --full: return once queued")
        p.set_defaults(func="setup:cmd_check")

    if wanted("forget"):
        p = add("forget", help="apply the retention policy (forget_args) now")
        p.add_argument("--no-wait", action="store_true", help="return once the job is queued")
        _profile_option(p, "this profile only (default: every profile with a policy)")
        p.set_defaults(func="jobs:cmd_forget")

    if wanted("prune"):
        p = add("prune", help="free unused space in the repository now")
        p.add_argument("--no-wait", action="store_true", help="return once the job is queued")
        _profile_option(p, "this profile only (default: every profile in turn)")
        p.set_defaults(func="jobs:cmd_prune")

    if wanted("setup"):
        from restic_monitor.cli.setup_command import add_setup_parser

        add_setup_parser(add)

    if only is None or only in _RESTORE_COMMANDS:  # (not kept in memory by the tray's `run`)
        from restic_monitor.cli.restore_parser import add_restore_commands

        add_restore_commands(add, wanted)

    if wanted("init"):
        p = add("init", help="write example settings.json and env.json")
        p.add_argument("--force", action="store_true", help="overwrite existing files")
        _profile_option(p, "write them for a new profile, in profiles/NAME/ (default: default)")
        p.set_defaults(func="setup:cmd_init")

    if wanted("install"):
        p = add("install", help="start restic-monitor at login")
        p.add_argument(
            "--headless", action="store_true", help="as a background service without a tray (Linux)"
        )
        p.add_argument(
            "--service", action="store_true", help="the same: a systemd user service (Linux)"
        )
        p.add_argument(
            "--system",
            action="store_true",
            help="with --service: a system service, started at boot as you (servers; root)",
        )
        p.add_argument("--dry-run", action="store_true", help="print what would be written and run")
        p.add_argument(
            "--use-this-environment",
            action="store_true",
            help="start this very environment at login even if it is a development checkout or "
            "a temporary one (it stops working when that folder goes)",
        )
        p.set_defaults(func="setup:cmd_install")

    if wanted("uninstall"):
        p = add("uninstall", help="stop starting at login (keeps configuration and data)")
        p.add_argument("--dry-run", action="store_true", help="print what would be removed and run")
        p.set_defaults(func="setup:cmd_uninstall")

    if wanted("secret"):
        p = add("secret", help="store a secret in the system keyring for env.json")
        p.add_argument("action", choices=["set", "delete"])
        p.add_argument("name", help='the entry\'s name, used in env.json as {"keyring": "NAME"}')
        p.set_defaults(func="setup:cmd_secret")

    if wanted("shell"):
        p = add("shell", help="a shell with the restic environment, for restores")
        _profile_option(p, "this profile's environment (default: default)")
        p.set_defaults(func="tools:cmd_shell")

    if wanted("restic"):
        p = add("restic", help="run restic with the configured environment", add_help=False)
        p.add_argument("restic_args", nargs=argparse.REMAINDER)
        p.set_defaults(func="tools:cmd_restic")

    if wanted("history"):
        p = add("history", help="recent runs (backups and maintenance)")
        p.add_argument("--json", action="store_true")
        p.add_argument("--limit", type=_positive_int, default=20, metavar="N")
        p.add_argument("--kind", choices=JOB_KINDS, help="only jobs of this kind")
        _profile_option(p, "only this profile's runs")
        p.set_defaults(func="commands:cmd_history")

    if wanted("metrics"):
        p = add("metrics", help="print the metrics (Prometheus text format)")
        _profile_option(p, "only this profile (default: all)")
        p.set_defaults(func="commands:cmd_metrics")

    if wanted("idle"):
        p = add("idle", help="print the current idle time and its source")
        p.add_argument("--json", action="store_true")
        idle_option(p)
        p.set_defaults(func="tools:cmd_idle")

    if wanted("demo"):
        p = add("demo", help="a self-contained demonstration with a real repository")
        p.add_argument("--once", action="store_true", help="exit after the first backup")
        p.add_argument("--headless", action="store_true", help="no tray icon")
        p.add_argument("--keep", action="store_true", help="keep the temporary home afterwards")
        p.set_defaults(func="tools:cmd_demo")
    return parser


def _split_restic_args(argv: list[str]) -> tuple[list[str], list[str] | None]:
    """Everything after the ``restic`` command goes to restic untouched (``--help`` too).

    A ``--profile NAME`` right after ``restic`` is ours (restic has no such option).
    """
    i = _command_index(argv)
    if i < len(argv) and argv[i] == "restic":
        own, rest = argv[: i + 1], argv[i + 1 :]
        if rest[:1] == ["--profile"] and len(rest) >= 2:
            own, rest = [*own[:-1], "--profile", rest[1], "restic"], rest[2:]
        elif rest and rest[0].startswith("--profile="):
            own, rest = [*own[:-1], rest[0], "restic"], rest[1:]
        return own, rest
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
    own, passthrough = _split_restic_args(list(sys.argv[1:] if argv is None else argv))
    word = _command_word(own)
    # One command's parser when the command is known (or none is given: ``run``); the
    # whole one for the help, the version and mistakes, whose messages list them all.
    parser = build_parser(only=word if word in COMMANDS else "run" if word is None else None)
    args = parser.parse_args(own)
    if args.command is None:
        args = parser.parse_args([*own, "run"])
    if passthrough is not None:
        args.restic_args = passthrough
    home = resolve_home(args.home)
    try:
        code: int = _command(args.func)(args, home)
        return code
    except CliError as exc:
        print(f"restic-monitor: {exc}", file=sys.stderr)
        return exc.code
    except NoAnswer as exc:
        print(f"restic-monitor: {exc}; see {home.app_log}", file=sys.stderr)
        return EXIT_INSTANCE
    except Untrusted as exc:
        print(f"restic-monitor: {exc}", file=sys.stderr)
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

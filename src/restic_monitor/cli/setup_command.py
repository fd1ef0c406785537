"""``restic-monitor setup``: from nothing to a working profile, without editing JSON.

Non-interactive (for scripts and fleets): the repository, the password's
source, the folders and excludes come as options. The connection is tested
first (``restic cat config``) and told apart in words: no repository there
yet (``--init`` creates it), wrong password, cannot reach the server,
permission denied, locked. Nothing is written until the test passes; then
env.json (owner-only) and settings.json (with every default) are written
atomically, existing ones kept unless ``--force``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from restic_monitor.cli.common import CliError
from restic_monitor.exitcodes import EXIT_USAGE
from restic_monitor.paths import DEFAULT_PROFILE, Home, valid_profile_name


def _env(args: argparse.Namespace) -> dict[str, Any]:
    env: dict[str, Any] = {"RESTIC_REPOSITORY": args.repository}
    sources = [bool(args.password_stdin), bool(args.password_command), bool(args.password_file)]
    if sum(sources) != 1:
        raise CliError(
            "give the password one way: --password-stdin, --password-command CMD or "
            "--password-file FILE",
            EXIT_USAGE,
        )
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CliError("no password on standard input", EXIT_USAGE)
        env["RESTIC_PASSWORD"] = password
    elif args.password_command:
        env["RESTIC_PASSWORD_COMMAND"] = args.password_command
    else:
        env["RESTIC_PASSWORD_FILE"] = str(Path(args.password_file).expanduser().absolute())
    for item in args.env or ():
        name, eq, value = item.partition("=")
        if not eq or not name or name.startswith("RESTIC_MONITOR_"):
            raise CliError(f"--env {item.split('=')[0]}=…: expected NAME=VALUE", EXIT_USAGE)
        env[name] = value
    return env


def cmd_setup(args: argparse.Namespace, home: Home) -> int:
    name = getattr(args, "profile", None) or getattr(args, "global_profile", None)
    name = name or DEFAULT_PROFILE
    if name != DEFAULT_PROFILE and not valid_profile_name(name):
        raise CliError(f"{name!r} cannot be a profile's name", EXIT_USAGE)
    if args.repository is None:
        from restic_monitor.cli.setup_prompts import interactive_setup

        return interactive_setup(args, home, name)
    from restic_monitor.cli.setup_finish import refuse_existing
    from restic_monitor.setup.presets import (
        backup_args,
        chosen_patterns,
        default_folders,
        exclude_groups,
    )

    refuse_existing(home, name, args.force)
    env = _env(args)
    folders = [str(Path(f).expanduser().absolute()) for f in args.folder or ()]
    groups = exclude_groups()
    presets = [] if args.no_presets else chosen_patterns(groups, {g.key for g in groups
                                                                  if g.default_on})  # fmt: skip
    args_ = backup_args(folders or default_folders(), [*presets, *(args.exclude or ())])
    from restic_monitor.cli.setup_finish import finish_setup

    return finish_setup(home, name, env, args_, args.restic_exe, init=args.init,
                        keyring=args.keyring, force=args.force)  # fmt: skip


def add_setup_parser(add: Any) -> None:
    p = add("setup", help="set up a profile: test the repository, write env.json and settings.json")
    where = "restic's repository: a folder, sftp:, rest:, s3:, b2:, azure:, gs:, rclone:…"
    p.add_argument("--repository", metavar="URL",
                   help=where + " (without it: the questions, in a window or here)")  # fmt: skip
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.add_argument("--password-command", metavar="CMD", help="a command that prints it")
    p.add_argument("--password-file", metavar="FILE", help="a file that holds it")
    p.add_argument("--env", action="append", metavar="NAME=VALUE",
                   help="another variable for restic (keys, region…); repeatable")  # fmt: skip
    p.add_argument("--folder", action="append", metavar="PATH", help="back this up; repeatable")
    p.add_argument("--exclude", action="append", metavar="PATTERN", help="leave this out")
    p.add_argument("--no-presets", action="store_true",
                   help="no presets (caches, trash, temp): only --exclude's patterns")  # fmt: skip
    p.add_argument("--init", action="store_true", help="create the repository if none is there")
    p.add_argument("--keyring", action="store_true",
                   help="keep the password in the system keyring, not in env.json")  # fmt: skip
    p.add_argument("--restic-exe", default="restic", metavar="PATH", help="restic to use")
    p.add_argument("--profile", metavar="NAME", help="set up this profile (default: default)")
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.add_argument("--no-gui", action="store_true",
                   help="ask in this terminal even when a display is there")  # fmt: skip
    p.set_defaults(func="setup_command:cmd_setup")

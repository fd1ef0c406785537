"""``restic-monitor setup`` with no options: the wizard's questions, in a window or here.

With a display (and without ``--no-gui``) the tray's wizard window opens;
otherwise (a server, an ssh session) the same questions are asked in the
terminal, the password read without echo. The answers go through the same
functions as the options (:mod:`restic_monitor.setup`), so the result is
the same files the non-interactive command writes.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path

from restic_monitor.cli.common import CliError
from restic_monitor.exitcodes import EXIT_USAGE
from restic_monitor.humanize import human_bytes
from restic_monitor.paths import Home


def interactive_setup(args: argparse.Namespace, home: Home, name: str) -> int:
    if not args.no_gui:
        from restic_monitor.platform.display import unreachable_reason

        if unreachable_reason() is None:
            from restic_monitor.tray.setup_wizard import run_wizard

            return run_wizard(home, name, args.restic_exe)
    if not sys.stdin.isatty() and not args.no_gui:
        raise CliError("no terminal to ask in: give --repository and a password option "
                       "(see `setup --help`), or --no-gui to answer from standard input",
                       EXIT_USAGE)  # fmt: skip
    return Prompts().run(args, home, name)


class Prompts:
    """The questions, one per line; Ctrl-D or Ctrl-C ends without writing anything."""

    def ask(self, question: str, default: str = "") -> str:
        shown = f"{question} [{default}]: " if default else f"{question}: "
        print(shown, end="", file=sys.stderr, flush=True)
        line = sys.stdin.readline()
        if not line:
            raise CliError("setup ended before every answer was given; nothing was written",
                           EXIT_USAGE)  # fmt: skip
        return line.strip() or default

    def secret(self, question: str) -> str:
        if sys.stdin.isatty():
            return getpass.getpass(f"{question}: ", stream=sys.stderr)
        return self.ask(question)

    def yes(self, question: str, default: bool = True) -> bool:
        while True:
            answer = self.ask(f"{question} ({'Y/n' if default else 'y/N'})").lower()
            if not answer:
                return default
            if answer in ("y", "yes", "n", "no"):
                return answer.startswith("y")
            print("Please answer y or n.", file=sys.stderr)

    def choose(self, question: str, options: list[str]) -> int:
        for i, text in enumerate(options, 1):
            print(f"  {i}. {text}", file=sys.stderr)
        while True:
            answer = self.ask(question, "1")
            if answer.isdigit() and 1 <= int(answer) <= len(options):
                return int(answer) - 1
            print(f"Please give a number from 1 to {len(options)}.", file=sys.stderr)

    def run(self, args: argparse.Namespace, home: Home, name: str) -> int:
        from restic_monitor.cli.setup_finish import finish_setup, refuse_existing
        from restic_monitor.setup.kinds import KINDS, SetupInputError, build

        refuse_existing(home, name, args.force)
        print(f"Setting up the backup profile {name!r}.", file=sys.stderr)
        kind = KINDS[self.choose("Where should the backups go?", [k.label for k in KINDS])]
        if kind.about:
            print(kind.about, file=sys.stderr)
        while True:
            values = {}
            for f in kind.fields:
                label = f.label + ("" if f.required else " (optional)")
                if f.hint:
                    label += f" — {f.hint}"
                values[f.key] = self.secret(label) if f.secret else self.ask(label, f.default)
            try:
                repository, env = build(kind.key, values)
                break
            except SetupInputError as exc:
                print(f"{exc}; once more.", file=sys.stderr)
        password = ""
        while not password:
            password = self.secret("The repository's password (restic encrypts with it)")
        env = {"RESTIC_REPOSITORY": repository, "RESTIC_PASSWORD": password, **env}
        keyring = self.yes("Keep the password in the system keyring rather than in env.json?",
                           default=False)  # fmt: skip
        backup_args = self._selection()
        ask_init = self._ask_init(password)
        code = finish_setup(home, name, env, backup_args, args.restic_exe, init=args.init,
                            keyring=keyring, force=args.force, ask_init=ask_init)  # fmt: skip
        if code != 0 or not self.yes("Start the first backup now?"):
            return code
        from restic_monitor.cli.jobs import run_jobs

        first = argparse.Namespace(**{**vars(args), "profile": name, "no_wait": False})
        return run_jobs(first, home, "backup")

    def _ask_init(self, password: str) -> Callable[[str], bool]:
        def ask(where: str) -> bool:
            if not self.yes(f"There is no repository at {where} yet. Create one?"):
                return False
            while self.secret("The password once more, to be sure") != password:
                print("That is not the same password.", file=sys.stderr)
            return True

        return ask

    def _selection(self) -> list[str]:
        from restic_monitor.setup.estimate import estimate
        from restic_monitor.setup.presets import (
            backup_args,
            chosen_patterns,
            default_folders,
            exclude_groups,
        )

        folders: list[str] = []
        default = default_folders()[0]
        print("Folders to back up, one per line; an empty line ends.", file=sys.stderr)
        while True:
            answer = self.ask("Folder", "" if folders else default)
            if not answer:
                break
            path = Path(answer).expanduser().absolute()
            if not path.exists():
                print(f"{path} does not exist; leave it out or check the name.", file=sys.stderr)
                continue
            folders.append(str(path))
        groups = exclude_groups()
        chosen = {g.key for g in groups if self.yes(f"Leave out: {g.label}?", g.default_on)}
        extra = self.ask("Other patterns to leave out (comma-separated, e.g. *.iso)", "")
        excludes = [*chosen_patterns(groups, chosen), *(p.strip() for p in extra.split(",")
                                                        if p.strip())]  # fmt: skip
        print("Estimating the size (at most 20 s)…", file=sys.stderr)
        found = estimate(folders, excludes, deadline_seconds=20)
        more = "" if found.complete else "at least "
        print(f"The first backup reads {more}{found.files:,} files, "
              f"{more}{human_bytes(found.bytes)}.", file=sys.stderr)  # fmt: skip
        return backup_args(folders, excludes)

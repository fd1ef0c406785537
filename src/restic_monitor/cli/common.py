"""What every command shares: errors for the user, the running instance, profiles.

Errors meant for the user are raised as :class:`CliError` and printed at one
place, :func:`restic_monitor.cli.main.main`, with the exit code they carry.
"""

from __future__ import annotations

import argparse
import sys
import time

from restic_monitor.control_client import (
    ControlClient,
    ControlError,
    NoAnswer,
    NoInstance,
    Untrusted,
    connect,
)
from restic_monitor.exitcodes import EXIT_FAILED, EXIT_INSTANCE, EXIT_USAGE
from restic_monitor.paths import DEFAULT_PROFILE, Home, ProfileFiles

#: Not typing.TYPE_CHECKING: importing typing costs every `status` 2 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from restic_monitor.config.profile import Config
    from restic_monitor.restic.command import Restic


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def instance(home: Home) -> ControlClient | None:
    """The running instance's client, or None when no instance holds the home."""
    for attempt in range(50):
        try:
            return connect(home)
        except NoInstance:
            pass
        except Untrusted as exc:  # nothing was sent: say why, whatever holds the lock
            raise CliError(str(exc), EXIT_INSTANCE) from None
        except NoAnswer as exc:
            from restic_monitor.instance import InstanceLock, already_running_message

            lock = InstanceLock(home.lock)
            raise CliError(
                f"{already_running_message(home, lock)} {exc}; see {home.app_log}", EXIT_INSTANCE
            ) from None
        except ControlError as exc:
            raise CliError(
                f"the running instance refused the request: {exc}", EXIT_INSTANCE
            ) from None
        from restic_monitor.instance import InstanceLock, already_running_message

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


def call(client: ControlClient, command: str, args: dict[str, Any] | None = None) -> Any:
    try:
        return client.call(command, args or {})
    except Untrusted as exc:
        raise CliError(str(exc), EXIT_INSTANCE) from None
    except ControlError as exc:
        raise CliError(str(exc)) from None


def chosen_profile(args: argparse.Namespace, home: Home) -> str | None:
    """The profile named on the command line (checked), or None for "all of them"."""
    name: str | None = getattr(args, "profile", None) or getattr(args, "global_profile", None)
    if name is None:
        return None
    known = home.profile_names()
    if name not in known:
        raise CliError(
            f"unknown profile {name!r}; the profiles of {home.root} are: {', '.join(known)}",
            EXIT_USAGE,
        )
    return name


def one_profile(args: argparse.Namespace, home: Home, what: str) -> ProfileFiles:
    """The profile a command for one profile uses: the named one, else ``default``."""
    name = chosen_profile(args, home)
    if name is None:
        known = home.profile_names()
        name = DEFAULT_PROFILE if DEFAULT_PROFILE in known else known[0]
        if len(known) > 1:
            print(
                f"restic-monitor: {what} uses profile {name} (profiles: {', '.join(known)}; "
                "choose one with --profile NAME)",
                file=sys.stderr,
            )
    return home.profile(name)


def load_config_or_fail(paths: ProfileFiles) -> Config:
    from restic_monitor.config.files import ConfigError
    from restic_monitor.config.profile import load_config

    try:
        return load_config(paths)
    except ConfigError as exc:
        raise CliError(
            "the configuration is invalid:\n" + "\n".join(f"  {p}" for p in exc.problems),
            EXIT_USAGE,
        ) from None


def profile_restic(
    args: argparse.Namespace, home: Home, what: str, code: int = EXIT_FAILED
) -> tuple[Restic, ProfileFiles]:
    """The restic of the profile a command acts on (its executable and env.json), and the
    profile's files; :class:`CliError` with ``code`` when restic cannot be run."""
    from restic_monitor.restic.command import Restic, ResticUnavailable, find_restic

    paths = one_profile(args, home, what)
    config = load_config_or_fail(paths)
    try:
        exe = find_restic(config.settings.restic_exe)
    except ResticUnavailable as exc:
        raise CliError(exc.message, code) from None
    return Restic(exe, config.env), paths


class ProgressLine:
    """A single updating progress line on a terminal; silent otherwise."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.shown = False

    def show(self, progress: dict[str, Any] | None, profile: str | None = None) -> None:
        if not self.enabled or not progress:
            return
        from restic_monitor.status.model import ProgressInfo, from_json

        text = from_json(ProgressInfo, progress).progress().describe()
        prefix = f"{profile}: " if profile and profile != DEFAULT_PROFILE else ""
        sys.stderr.write("\r\x1b[2K" + prefix + text)
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()

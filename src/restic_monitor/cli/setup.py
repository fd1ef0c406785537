"""Setting up: check, init, install, uninstall, secret."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from restic_monitor.cli.common import CliError, chosen_profile
from restic_monitor.config.files import ConfigError
from restic_monitor.config.profile import (
    env_permission_warnings,
    example_env,
    example_settings,
    load_config,
    setup_warnings,
)
from restic_monitor.exitcodes import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from restic_monitor.paths import DEFAULT_PROFILE, Home, ProfileFiles, valid_profile_name
from restic_monitor.restic.command import Restic, ResticUnavailable, find_restic, version
from restic_monitor.restic.masking import mask_credentials
from restic_monitor.restic.outcomes import classify
from restic_monitor.state.files import atomic_write

#: How long `check` waits for restic to open the repository.
CHECK_TIMEOUT = 60.0


def cmd_check(args: argparse.Namespace, home: Home) -> int:
    if getattr(args, "full", False):
        from restic_monitor.cli.jobs import run_jobs

        return run_jobs(args, home, "check")
    print(f"Home: {home.root}")
    profile = chosen_profile(args, home)
    names = [profile] if profile is not None else home.profile_names()
    codes = []
    for name in names:
        if len(names) > 1:
            print(f"\nProfile {name}:")
        codes.append(_check_profile(home.profile(name)))
    _check_idle(args)
    if EXIT_USAGE in codes:
        return EXIT_USAGE
    return EXIT_FAILED if EXIT_FAILED in codes else EXIT_OK


def _check_profile(paths: ProfileFiles) -> int:
    try:
        config = load_config(paths)
    except ConfigError as exc:
        print("Configuration: INVALID")
        for problem in exc.problems:
            print(f"  {problem}")
        return EXIT_USAGE
    settings = config.settings
    print(f"Configuration: ok (env.json variables: {', '.join(sorted(config.env)) or 'none'})")
    for warning in [*env_permission_warnings(paths), *setup_warnings(config)]:
        print(f"Warning: {warning}")
    try:
        exe = find_restic(settings.restic_exe)
    except ResticUnavailable as exc:
        status = "NOT FOUND" if exc.reason == "restic_not_found" else "CANNOT RUN"
        print(f"restic: {status}: {exc.message}")
        return EXIT_FAILED
    print(f"restic: {exe} (version {version(exe) or 'unknown'})")
    print(f"Backup command: {mask_credentials(' '.join([exe, *settings.args]))}")
    command = Restic(exe, config.env).command("cat", "config")
    try:
        proc = command.run(timeout=CHECK_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        # restic 0.17+ retries an unreachable repository for up to 15 minutes.
        print(
            f"Repository: PROBLEM: no answer within {CHECK_TIMEOUT:.0f} s; the repository "
            "may be unreachable (restic keeps retrying). What restic said so far:"
        )
        for line in command.masked_lines(exc.stderr)[-3:] or ["(nothing)"]:
            print(f"  {line}")
        return EXIT_FAILED
    except OSError as exc:
        print(f"Repository: cannot check ({exc.strerror or exc})")
        return EXIT_FAILED
    if proc.returncode == 0:
        print("Repository: reachable, password accepted")
        return EXIT_OK
    lines = command.masked_lines(proc.stderr)
    cls = classify(proc.returncode, lines)
    print(f"Repository: PROBLEM: {cls.message}")
    for line in lines[-3:]:
        print(f"  {line}")
    return EXIT_FAILED


def _check_idle(args: argparse.Namespace) -> None:
    from restic_monitor.platform.idle import make_idle_source

    try:
        source = make_idle_source(args.idle_source)
        value = source.seconds()
        why = getattr(source, "why", None)
        shown = "unknown" if value is None else f"{value:.0f} s"
        print(f"Idle time: {shown} (source: {source.name}{'; ' + why if why else ''})")
    except (ValueError, OSError) as exc:
        print(f"Idle time: {exc}")


def cmd_init(args: argparse.Namespace, home: Home) -> int:
    name = getattr(args, "profile", None) or getattr(args, "global_profile", None)
    name = name or DEFAULT_PROFILE
    if name != DEFAULT_PROFILE and not valid_profile_name(name):
        raise CliError(
            f"{name!r} cannot be a profile's name: use 1 to 32 of a-z, 0-9, _ and -, "
            "starting with a letter or digit",
            EXIT_USAGE,
        )
    home.ensure()
    paths = home.profile(name)
    paths.ensure()
    written = []
    for path, data, mode in (
        (paths.settings_json, example_settings(), 0o644),
        (paths.env_json, example_env(), 0o600),
    ):
        if path.exists() and not args.force:
            print(f"Kept existing {path}")
            continue
        atomic_write(path, (json.dumps(data, indent=4) + "\n").encode(), mode=mode)
        written.append(path)
        print(f"Wrote {path}")
    if written:
        which = "" if name == DEFAULT_PROFILE else f" --profile {name}"
        print(
            "\nEdit them: env.json holds RESTIC_REPOSITORY and RESTIC_PASSWORD (or any restic "
            "variable), settings.json the backup command and timings.\n"
            f"Then run `{home.command('check' + which)}`, and "
            f"`{home.command('restic' + which + ' init')}` "
            "to create a new repository if you do not have one."
        )
        if name != DEFAULT_PROFILE:
            print("A running instance picks the new profile up on its own.")
    return EXIT_OK


def _home_argument(home: Home) -> Path | None:
    """The --home to bake into the autostart command (None for the default home)."""
    from restic_monitor.paths import default_home

    return None if home.root == default_home() else home.root


def cmd_install(args: argparse.Namespace, home: Home) -> int:
    from restic_monitor.platform import autostart
    from restic_monitor.platform.launcher import Environment, LauncherError, launcher

    try:
        program, note = launcher(
            Environment.current(), use_this_environment=args.use_this_environment
        )
    except LauncherError as exc:
        raise CliError(f"install refused: {exc}") from None
    service = args.headless or args.service
    user = _installing_user() if args.system else None
    if args.system and not args.service:
        raise CliError("--system goes with --service: install --service --system", EXIT_USAGE)
    try:
        plan = autostart.install_plan(
            home.root, _home_argument(home), home.logs, service, program, user
        )
    except autostart.AutostartError as exc:
        raise CliError(f"install refused: {exc}", EXIT_USAGE) from None
    if note:
        plan.notes.append(note)
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


def _installing_user() -> str:
    """Whom a system service runs as: the user behind sudo, or the one running this."""
    import getpass

    return os.environ.get("SUDO_USER") or getpass.getuser()


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

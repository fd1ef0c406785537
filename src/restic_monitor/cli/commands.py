"""The commands that act on backups: stop, pause, resume, reload, history.

Each talks to the running instance when there is one, and otherwise acts on
the files of the home directly.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Iterable
from typing import Any

from restic_monitor.cli.common import CliError, call, chosen_profile, instance
from restic_monitor.config.files import ConfigError
from restic_monitor.config.profile import load_config
from restic_monitor.durations import parse_duration
from restic_monitor.exitcodes import EXIT_OK, EXIT_USAGE
from restic_monitor.humanize import human_bytes, human_duration
from restic_monitor.isotime import to_iso
from restic_monitor.paths import Home
from restic_monitor.state import files as state_files
from restic_monitor.state.history import History
from restic_monitor.status.model import RunInfo, to_json

DEFAULT_PAUSE = 28800.0


def cmd_stop(args: argparse.Namespace, home: Home) -> int:
    profile = chosen_profile(args, home)
    client = instance(home)
    request = {"profile": profile, "queued": args.queued}
    result = call(client, "stop", request) if client is not None else None
    stopped = result is not None and result.get("stopped")
    if args.queued:
        print("Dropped the waiting jobs." if stopped else "No job is waiting.")
    elif stopped:
        print("Asked restic to stop; it is finishing cleanly.")
    else:
        print("No backup is running.")
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
    profile = chosen_profile(args, home)
    client = instance(home)
    names = [profile] if profile is not None else home.profile_names()
    if client is not None:
        until = call(client, "pause", {"seconds": seconds, "profile": profile})["paused_until"]
    else:
        now = time.time()
        ends = []
        for name in names:  # without --for: each profile for its own pause_seconds
            paths = home.profile(name)
            own = seconds
            if own is None:
                try:
                    own = load_config(paths, keyring=False).settings.pause_seconds
                except ConfigError:
                    own = DEFAULT_PAUSE
            paths.ensure()
            state_files.write_pause(paths, now + own)
            ends.append(now + own)
        until = max(ends)
    which = f"of profile {profile} " if profile is not None else ""
    print(f"Backups {which}paused until {to_iso(until)}.")
    return EXIT_OK


def cmd_resume(args: argparse.Namespace, home: Home) -> int:
    profile = chosen_profile(args, home)
    client = instance(home)
    if client is not None:
        call(client, "resume", {"profile": profile})
    else:
        for name in [profile] if profile is not None else home.profile_names():
            state_files.clear_pause(home.profile(name))
    print("Backups resumed." if profile is None else f"Backups of profile {profile} resumed.")
    return EXIT_OK


def cmd_reload(args: argparse.Namespace, home: Home) -> int:
    profile = chosen_profile(args, home)
    client = instance(home)
    if client is not None:
        problems = call(client, "reload", {"profile": profile})["problems"]
    else:
        problems = []
        for name in [profile] if profile is not None else home.profile_names():
            try:
                load_config(home.profile(name))
            except ConfigError as exc:
                problems.extend(str(p) for p in exc.problems)
    if problems:
        import sys

        print("The configuration is invalid:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USAGE
    print("Configuration reloaded." if client else "Configuration is valid (no instance running).")
    return EXIT_OK


def cmd_history(args: argparse.Namespace, home: Home) -> int:
    profile = chosen_profile(args, home)
    history = History(home.history_db) if home.history_db.exists() else None
    records = history.stream(args.limit, kind=args.kind, profile=profile) if history else iter(())
    if args.json:
        _json_array(to_json(RunInfo.of(r)) for r in records)
        return EXIT_OK
    first = next(records, None)
    if first is None:
        print("No backups recorded yet.")
        return EXIT_OK
    assert history is not None
    several = history.mixed(kind=args.kind, profile=profile)
    records = itertools.chain([first], records)
    extra = f"{'profile':<12} {'kind':<7} " if several else ""
    print(
        f"{'started':<25} {extra}{'duration':>9}  {'outcome':<11} {'new':>6} {'changed':>7} "
        f"{'added':>10}  snapshot"
    )
    for r in records:
        duration = human_duration(r.duration) if r.duration is not None else "-"
        added = human_bytes(r.data_added) if r.data_added is not None else "-"
        outcome = r.outcome or "running"
        columns = f"{r.profile:<12} {r.kind:<7} " if several else ""
        print(
            f"{to_iso(r.started):<25} {columns}{duration:>9}  {outcome:<11} "
            f"{_num(r.files_new):>6} {_num(r.files_changed):>7} {added:>10}  {r.snapshot_id or '-'}"
        )
    return EXIT_OK


def _json_array(items: Iterable[dict[str, Any]]) -> None:
    """What ``json.dumps(list(items), indent=2)`` prints, written an item at a time."""
    out = sys.stdout
    count = 0
    for count, item in enumerate(items, 1):
        out.write("[\n  " if count == 1 else ",\n  ")
        out.write(json.dumps(item, indent=2).replace("\n", "\n  "))
    out.write("\n]\n" if count else "[]\n")
    out.flush()


def _num(value: int | None) -> str:
    return "-" if value is None else str(value)


def cmd_metrics(args: argparse.Namespace, home: Home) -> int:
    """The metrics as the textfile and the Pushgateway get them, for cron and scrapers."""
    from restic_monitor.automation import metrics
    from restic_monitor.cli.status import _ask
    from restic_monitor.status.model import Status

    profile = chosen_profile(args, home)
    answer = _ask(home, profile)
    if answer is not None:
        status = Status.from_json(answer)
    else:
        from restic_monitor.status.files import status_from_files

        status = status_from_files(home, only=profile)
    history = History(home.history_db)
    sys.stdout.write(metrics.render(metrics.gather(status, history)))
    return EXIT_OK

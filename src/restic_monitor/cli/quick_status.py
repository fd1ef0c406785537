"""``status --json`` answered by a running instance, before the command line's parser is built.

Scripts and status bars run this every few seconds, so its cost is mostly
the interpreter's start plus whatever the command imports and builds on the
way. argparse alone (its module, gettext's help-text lookups for every
option, the locale) is about a fifth of the whole round trip. For exactly
``[--home H] [--profile P] status --json [--profile P]`` with an instance
answering, the answer is printed here; anything else, and any trouble (no
instance, an unknown profile, an untrusted peer), is left to the full
command line, which then says what is wrong the way every command does.
"""

from __future__ import annotations

import json
import sys

from restic_monitor.exitcodes import EXIT_OK, EXIT_USAGE

#: Not typing.TYPE_CHECKING: importing typing costs every `status` 2 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def any_config_error(status: dict[str, Any]) -> bool:
    """Whether a profile of this status JSON has a configuration error (exit code 2)."""
    return any(p.get("config_error") for p in status.get("profiles") or ())


def _parse(argv: list[str]) -> tuple[str | None, str | None] | None:
    """(home, profile) when ``argv`` is exactly such a ``status --json``; else None."""
    home = profile = None
    command = json_seen = False
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if name in ("--home", "--profile") and (command is False or name == "--profile"):
            if not eq:
                if i + 1 >= len(argv):
                    return None
                value = argv[i + 1]
                i += 1
            if not value or value.startswith("-"):
                return None
            if name == "--home":
                home = value
            elif profile is None:
                profile = value
            else:
                return None  # said twice: the parser decides which counts
        elif arg == "status" and not command:
            command = True
        elif arg == "--json" and command and not json_seen:
            json_seen = True
        else:
            return None
        i += 1
    return (home, profile) if command and json_seen else None


def quick_status(argv: list[str]) -> int | None:
    """The exit code when answered here; None: the full command line's turn."""
    parsed = _parse(argv)
    if parsed is None:
        return None
    from restic_monitor.control_client import ControlClient
    from restic_monitor.paths import resolve_home

    try:
        home = resolve_home(parsed[0])
        if parsed[1] is not None and parsed[1] not in home.profile_names():
            return None
        answer = ControlClient(home).call("status", {"profile": parsed[1]})
    except Exception:  # no instance, starting, untrusted: the full path says which
        return None
    if not isinstance(answer, dict):
        return None
    try:
        print(json.dumps(answer, indent=2))
        sys.stdout.flush()
    except BrokenPipeError:
        return EXIT_OK
    return EXIT_USAGE if any_config_error(answer) else EXIT_OK

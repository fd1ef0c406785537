"""``restic-monitor status``: the running instance's status, or what the files tell.

Kept light: asking a running instance is what scripts and panels do every few
seconds, so this imports neither the configuration loader, the engine nor sqlite
unless no instance runs; and ``--json`` from an instance prints the instance's
answer as it came, without building the typed status it was made from (the
instance built it from those same types, so reading them back would change
nothing: a test holds the two equal).
"""

from __future__ import annotations

import argparse
import json

from restic_monitor.cli.common import call, chosen_profile, instance
from restic_monitor.cli.quick_status import any_config_error
from restic_monitor.control_client import ControlClient, ControlError, NoInstance
from restic_monitor.exitcodes import EXIT_OK, EXIT_USAGE
from restic_monitor.paths import Home

#: Not typing.TYPE_CHECKING: importing typing costs every `status` 2 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _ask(home: Home, profile: str | None) -> Any:
    """The running instance's status, or None when none runs.

    The question goes straight to the published address, without the ping
    that other commands send first (one round trip less for the command that
    scripts repeat); only when that address does not answer is the instance
    looked for as the other commands do (it may be starting, or gone).
    """
    try:
        return ControlClient(home).call("status", {"profile": profile})
    except (NoInstance, ControlError):  # gone, starting, refusing: the usual path says which
        pass
    client = instance(home)
    return None if client is None else call(client, "status", {"profile": profile})


def cmd_status(args: argparse.Namespace, home: Home) -> int:
    profile = chosen_profile(args, home)
    answer = _ask(home, profile)
    if answer is not None:
        if args.json and isinstance(answer, dict):
            print(json.dumps(answer, indent=2))
            return EXIT_USAGE if any_config_error(answer) else EXIT_OK
        from restic_monitor.status.model import Status

        status = Status.from_json(answer)
    else:
        from restic_monitor.status.files import status_from_files

        status = status_from_files(home, only=profile)
    if args.json:
        print(json.dumps(status.to_json(), indent=2))
    else:
        from restic_monitor.status.text import format_status

        print(format_status(status))
    return EXIT_USAGE if status.any_config_error else EXIT_OK

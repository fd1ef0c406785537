"""``restic-monitor status``: the running instance's status, or what the files tell.

Kept light: asking a running instance is what scripts and panels do every few
seconds, so this imports neither the configuration loader, the engine nor sqlite
unless no instance runs.
"""

from __future__ import annotations

import argparse
import json

from restic_monitor.cli.common import call, chosen_profile, instance
from restic_monitor.exitcodes import EXIT_OK, EXIT_USAGE
from restic_monitor.paths import Home
from restic_monitor.status.model import Status
from restic_monitor.status.text import format_status


def cmd_status(args: argparse.Namespace, home: Home) -> int:
    profile = chosen_profile(args, home)
    client = instance(home)
    if client is not None:
        status = Status.from_json(call(client, "status", {"profile": profile}))
    else:
        from restic_monitor.status.files import status_from_files

        status = status_from_files(home, only=profile)
    if args.json:
        print(json.dumps(status.to_json(), indent=2))
    else:
        print(format_status(status))
    return EXIT_USAGE if status.any_config_error else EXIT_OK

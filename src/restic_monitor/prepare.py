"""What every front end that runs an instance does first: the home, the logs, the idle source.

Apart from the daemon so that the tray can do it, and show its icon, before
it imports the engine: the icon is what the user waits for at login.
"""

from __future__ import annotations

import sys

from restic_monitor import logs
from restic_monitor.paths import Home
from restic_monitor.platform.idle import IdleSource, make_idle_source


def prepare(home: Home, idle_spec: str | None, debug: bool) -> IdleSource | None:
    """What every front end that runs an instance does first: home, logs, idle source.

    Prints the reason and returns None when the instance cannot start.
    """
    try:
        home.ensure()
    except OSError as exc:
        print(f"restic-monitor: cannot create {home.root}: {exc.strerror}", file=sys.stderr)
        return None
    logs.setup(home, debug=debug, console=True)
    try:
        return make_idle_source(idle_spec)
    except (ValueError, OSError) as exc:
        print(f"restic-monitor: {exc}", file=sys.stderr)
        return None

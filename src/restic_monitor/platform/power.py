"""Power and privileges: is the machine on battery, is the process elevated.

Both answers may be unknown (None for the battery: a desktop without one, or
an OS that does not say); unknown never blocks a backup.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def on_battery() -> bool | None:
    """True on battery, False on mains power, None when the OS does not say."""
    try:
        import psutil

        battery = psutil.sensors_battery()
    except (ImportError, AttributeError, OSError, RuntimeError):
        return None
    if battery is None or battery.power_plugged is None:
        return None
    return not battery.power_plugged


def is_elevated() -> bool:
    """Whether this process runs with administrator rights (Windows); True elsewhere."""
    if sys.platform != "win32":
        return True
    import ctypes

    try:
        return bool(ctypes.windll.shell32.IsUserAnAdmin())
    except (AttributeError, OSError):
        return False


def needs_elevation(args: Sequence[str]) -> bool:
    """restic's --use-fs-snapshot (VSS) fails without administrator rights on Windows."""
    if sys.platform != "win32":
        return False
    uses_vss = any(a == "--use-fs-snapshot" or a.startswith("--use-fs-snapshot=") for a in args)
    return uses_vss and not is_elevated()

"""Is the active network connection metered (a phone's hotspot, a capped plan)?

Linux: NetworkManager's ``Metered`` property on the system bus (yes, no,
guessed yes, guessed no, unknown). Windows: the connection profile's cost
(``NetworkCostType`` Fixed or Variable, or roaming, or over its data limit)
as PowerShell reads it from the Windows Runtime. macOS: the Network
framework's path is expensive (cellular, a hotspot) or constrained (Low Data
Mode), asked in a child process (:mod:`.network_macos`). Anything that does
not answer: unknown (None), which the engine treats as not metered, so that
a missing service never stops backups.
"""

from __future__ import annotations

import logging
import subprocess
import sys

log = logging.getLogger(__name__)

NM_BUS_NAME = "org.freedesktop.NetworkManager"
NM_PATH = "/org/freedesktop/NetworkManager"
#: NetworkManager's NMMetered: 0 unknown, 1 yes, 2 no, 3 guessed yes, 4 guessed no.
_NM_METERED = {1: True, 2: False, 3: True, 4: False}
TIMEOUT = 2.0


def nm_metered(value: object) -> bool | None:
    """NetworkManager's ``Metered`` value as yes (True), no (False) or unknown (None)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return _NM_METERED.get(value)


def networkmanager_metered(bus: str = "SYSTEM") -> bool | None:
    """Ask NetworkManager over D-Bus; None when it is not there or does not know."""
    try:
        from jeepney import DBusAddress, Properties
        from jeepney.io.blocking import open_dbus_connection
    except ImportError:
        return None
    try:
        with open_dbus_connection(bus=bus) as conn:
            address = DBusAddress(NM_PATH, bus_name=NM_BUS_NAME, interface=NM_BUS_NAME)
            reply = conn.send_and_get_reply(Properties(address).get("Metered"), timeout=TIMEOUT)
    except Exception as exc:  # no system bus, no NetworkManager, a timeout
        log.debug("NetworkManager cannot say whether the network is metered: %s", exc)
        return None
    body = reply.body
    if not body or not isinstance(body[0], tuple) or len(body[0]) != 2:
        return None  # an error reply (no such property) or something unexpected
    return nm_metered(body[0][1])


#: PowerShell: the Internet connection profile's cost, as "<type> <roaming> <over limit>".
WINDOWS_COST_SCRIPT = (
    "$p = [Windows.Networking.Connectivity.NetworkInformation,Windows.Networking.Connectivity,"
    "ContentType=WindowsRuntime]::GetInternetConnectionProfile(); "
    "if ($p) { $c = $p.GetConnectionCost(); "
    '"$($c.NetworkCostType) $($c.Roaming) $($c.OverDataLimit)" }'
)


def windows_cost_metered(text: str) -> bool | None:
    """PowerShell's answer (``Fixed False False``) as metered, not metered or unknown."""
    words = text.split()
    if len(words) != 3:
        return None
    cost, roaming, over = words[0].lower(), words[1].lower(), words[2].lower()
    if roaming == "true" or over == "true" or cost in ("fixed", "variable"):
        return True
    if cost == "unrestricted":
        return False
    return None


def windows_metered() -> bool | None:  # pragma: no cover - Windows only
    try:
        out = subprocess.run(
            ["powershell", "-NoProfile", "-NonInteractive", "-Command", WINDOWS_COST_SCRIPT],
            capture_output=True, text=True, timeout=10, check=False,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("the network's cost cannot be read: %s", exc)
        return None
    return windows_cost_metered(out.stdout.strip())


def metered() -> bool | None:
    """Whether the active connection is metered: True, False, or None (unknown)."""
    if sys.platform == "win32":
        return windows_metered()
    if sys.platform.startswith("linux"):
        return networkmanager_metered()
    if sys.platform == "darwin":
        from restic_monitor.platform.network_macos import macos_metered

        return macos_metered()
    return None

"""Idle time over the session D-Bus, for Wayland sessions (and X11 without libXss).

A Wayland compositor knows the idle time; XScreenSaver would only see X
clients. GNOME (Mutter) and Cinnamon (Muffin) publish an IdleMonitor with
``GetIdletime`` in milliseconds; several desktops answer
``org.freedesktop.ScreenSaver.GetSessionIdleTime`` in seconds (KDE on
Wayland refuses it, which simply makes that source unavailable).

Pure-Python D-Bus (jeepney) on one connection, reopened when the bus goes away.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

CALL_TIMEOUT = 2.0


@dataclass(frozen=True)
class DBusIdleSpec:
    name: str
    bus_name: str
    path: str
    interface: str
    method: str
    #: Multiply the answer by this to get seconds.
    scale: float


GNOME = DBusIdleSpec(
    "gnome",
    "org.gnome.Mutter.IdleMonitor",
    "/org/gnome/Mutter/IdleMonitor/Core",
    "org.gnome.Mutter.IdleMonitor",
    "GetIdletime",
    0.001,
)
CINNAMON = DBusIdleSpec(
    "cinnamon",
    "org.cinnamon.Muffin.IdleMonitor",
    "/org/cinnamon/Muffin/IdleMonitor/Core",
    "org.cinnamon.Muffin.IdleMonitor",
    "GetIdletime",
    0.001,
)
SCREENSAVER = DBusIdleSpec(
    "screensaver",
    "org.freedesktop.ScreenSaver",
    "/org/freedesktop/ScreenSaver",
    "org.freedesktop.ScreenSaver",
    "GetSessionIdleTime",
    1.0,
)
#: The order ``auto`` tries them in.
ALL = (GNOME, CINNAMON, SCREENSAVER)
BY_NAME = {spec.name: spec for spec in ALL}


class DBusIdle:
    grows_on_its_own = True
    reports_activity = True
    refresh: float | None = None

    def __init__(self, spec: DBusIdleSpec) -> None:
        self.spec = spec
        self.name = spec.name
        self._lock = threading.Lock()
        self._conn: Any = None
        self._error: str | None = None
        if self.seconds() is None:
            raise OSError(f"{spec.bus_name}.{spec.method} does not answer: {self._error}")

    def _call(self) -> float:
        from jeepney import DBusAddress, MessageType, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        if self._conn is None:
            self._conn = open_dbus_connection(bus="SESSION")
        address = DBusAddress(
            self.spec.path, bus_name=self.spec.bus_name, interface=self.spec.interface
        )
        reply = self._conn.send_and_get_reply(
            new_method_call(address, self.spec.method), timeout=CALL_TIMEOUT
        )
        if reply.header.message_type == MessageType.error:
            raise LookupError(str(reply.body[0] if reply.body else "error reply"))
        value = reply.body[0]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"unexpected answer {value!r}")
        return value * self.spec.scale

    def seconds(self) -> float | None:
        with self._lock:
            for _attempt in range(2):
                try:
                    value = self._call()
                except LookupError as exc:  # the service refuses: no reconnect will help
                    self._error = str(exc)
                    return None
                except Exception as exc:  # the bus went away: reconnect once
                    self._error = f"{exc.__class__.__name__}: {exc}"
                    self._drop()
                    continue
                self._error = None
                return value
            return None

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                log.debug("closing the D-Bus connection failed", exc_info=True)

    def close(self) -> None:
        with self._lock:
            self._drop()


def first_working(specs: tuple[DBusIdleSpec, ...] = ALL) -> tuple[DBusIdle | None, list[str]]:
    """The first source that answers, and why each one before it did not."""
    reasons: list[str] = []
    for spec in specs:
        try:
            return DBusIdle(spec), reasons
        except (OSError, ImportError) as exc:
            reasons.append(f"{spec.name}: {exc}")
    return None, reasons

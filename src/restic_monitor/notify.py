"""Notices for the user: the no-backup warning, failed backups, optional success.

Headless, a notice goes to the log and, when a desktop notification service
answers on the session bus, to the desktop as well. The tray supplies its
own notifier. Notices are built from classified reasons and redacted output,
so they never carry a value from env.json.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    kind: str  # "warning" | "failure" | "success" | "config"
    title: str
    body: str


class Notifier(Protocol):
    def notify(self, notice: Notice) -> None: ...


class LogNotifier:
    def notify(self, notice: Notice) -> None:
        level = logging.INFO if notice.kind == "success" else logging.WARNING
        log.log(level, "notice: %s: %s", notice.title, notice.body.replace("\n", " | "))


class DesktopNotifier:
    """org.freedesktop.Notifications over the session bus (pure-Python D-Bus).

    Connects lazily and gives up quietly (logged once) when no bus or no
    notification service is there: servers have neither, and that is fine.
    """

    def __init__(self, app_name: str = "restic-monitor") -> None:
        self.app_name = app_name
        self._lock = threading.Lock()
        self._failed_once = False

    def notify(self, notice: Notice, fallback: Callable[[Notice], None] | None = None) -> None:
        """Send in a thread; ``fallback(notice)`` runs (in that thread) when nobody answers."""
        if sys.platform != "linux" or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            if fallback is not None:
                fallback(notice)
            return
        threading.Thread(target=self._send, args=(notice, fallback), daemon=True).start()

    def _send(self, notice: Notice, fallback: Callable[[Notice], None] | None = None) -> None:
        if not self._try_send(notice) and fallback is not None:
            fallback(notice)

    def _try_send(self, notice: Notice) -> bool:
        with self._lock:
            try:
                from jeepney import DBusAddress, new_method_call
                from jeepney.io.blocking import open_dbus_connection

                addr = DBusAddress(
                    "/org/freedesktop/Notifications",
                    bus_name="org.freedesktop.Notifications",
                    interface="org.freedesktop.Notifications",
                )
                urgency = 2 if notice.kind in ("failure", "config") else 1
                msg = new_method_call(
                    addr,
                    "Notify",
                    "susssasa{sv}i",
                    (
                        self.app_name,
                        0,
                        "",
                        notice.title,
                        notice.body,
                        [],
                        {"urgency": ("y", urgency)},
                        -1,
                    ),
                )
                with open_dbus_connection(bus="SESSION") as conn:
                    reply = conn.send_and_get_reply(msg, timeout=5)
                if reply.header.message_type.name == "error":
                    raise RuntimeError(f"notification service error: {reply.body}")
                return True
            except Exception as exc:
                if not self._failed_once:
                    log.info("desktop notifications unavailable (%s)", exc.__class__.__name__)
                    self._failed_once = True
                return False


class MultiNotifier:
    def __init__(self, notifiers: Iterable[Notifier]) -> None:
        self.notifiers = list(notifiers)

    def notify(self, notice: Notice) -> None:
        for notifier in self.notifiers:
            try:
                notifier.notify(notice)
            except Exception:
                log.exception("notifier %r failed", notifier)


def headless_notifier() -> Notifier:
    return MultiNotifier([LogNotifier(), DesktopNotifier()])

"""org.freedesktop.Notifications over the session bus (pure-Python D-Bus, jeepney).

One connection is kept open for the life of the app, because the service
sends its answers (a click, a chosen action, a notification closed) to the
connection that showed the notification. That makes three things possible
that a fire-and-forget call cannot do:

- a critical notification (a failed backup, a configuration error) is
  withdrawn when the problem is gone and when the app quits: GNOME and KDE
  keep critical ones on screen until dismissed, and a stale "Backup failed"
  after the next backup succeeded tells the user something untrue;
- a new notice about the same thing (``Notice.key``) replaces the old one
  instead of stacking up;
- clicking one, or its "Back up now" / "Show log" button where the service
  offers buttons, reaches ``on_action(notice, action)``.

The bus is used lazily and given up quietly (logged once) when no bus or no
service is there: servers have neither, and that is fine.
"""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

_PATH = "/org/freedesktop/Notifications"
_NAME = "org.freedesktop.Notifications"
#: The spec's reason code for "closed by a call to CloseNotification".
_CLOSED_BY_CALL = 3

#: The buttons offered for each kind of notice (action key, label). "default"
#: is what a click on the notification itself does.
ACTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "failure": (("default", "Show details"), ("log", "Show log"), ("backup", "Back up now")),
    "config": (("default", "Show problems"),),
    "warning": (("default", "Show details"), ("backup", "Back up now")),
    "success": (("default", "Show log"),),
}


class Notice(Protocol):
    """What is shown: the app's notice (``restic_monitor.notify.Notice``)."""

    @property
    def kind(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def key(self) -> str | None: ...


OnAction = Callable[[Any, str], None]


def session_bus_present() -> bool:
    return sys.platform == "linux" and bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS"))


class DesktopNotifier:
    def __init__(self, app_name: str = "restic-monitor", on_action: OnAction | None = None):
        self.app_name = app_name
        self.on_action = on_action
        self._lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._router: Any = None
        self._failed_once = False
        #: What is on screen: the id of each keyed notice, and each id's notice.
        self._ids: dict[str, int] = {}
        self._shown: dict[int, Notice] = {}
        #: Showing and withdrawing happen in one worker, in the order asked for.
        self._queue: queue.Queue[Callable[[], None]] = queue.Queue()
        #: The listener's queue of the service's signals; None in it ends the listener.
        self._events: queue.Queue[Any] | None = None
        self._worker: threading.Thread | None = None

    # --- the interface -----------------------------------------------------------

    def notify(self, notice: Notice, fallback: Callable[[Notice], None] | None = None) -> None:
        """Show ``notice`` (from a worker); ``fallback(notice)`` runs there when nobody answers."""
        if not session_bus_present():
            if fallback is not None:
                fallback(notice)
            return
        self._submit(lambda: self._send(notice, fallback))

    def withdraw(self, key: str) -> None:
        """Take the notice about ``key`` off the screen, if one is there.

        Done by the same worker as the showing, in order: a withdrawal asked
        for before a newer notice about the same thing cannot close that one.
        """
        if session_bus_present():
            self._submit(lambda: self._close(key))

    def withdraw_all(self, timeout: float = 3.0) -> None:
        """Take every notice of a problem (failure, configuration, warning) off the screen and
        wait for it: the app is quitting, and could no longer explain them."""
        done = threading.Event()

        def close_all() -> None:
            for key, nid in list(self._ids.items()):
                notice = self._shown.get(nid)
                if notice is not None and notice.kind in ("failure", "config", "warning"):
                    self._close(key)
            done.set()

        if self._ids:
            self._submit(close_all)
            done.wait(timeout)

    def _submit(self, work: Callable[[], None]) -> None:
        with self._start_lock:  # (not _lock: a slow bus must not block the caller)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(
                    target=self._work, name="notifications-send", daemon=True
                )
                self._worker.start()
        self._queue.put(work)

    def _work(self) -> None:
        while True:
            work = self._queue.get()
            try:
                work()
            except Exception:
                log.exception("a desktop notification failed")

    def close(self) -> None:
        with self._lock:
            self._drop_connection()

    def shown(self) -> dict[str, int]:
        """The ids of the keyed notices on screen (for tests and the log)."""
        return dict(self._ids)

    # --- sending -------------------------------------------------------------------

    def _send(self, notice: Notice, fallback: Callable[[Notice], None] | None) -> None:
        if not self._try_send(notice) and fallback is not None:
            fallback(notice)

    def _try_send(self, notice: Notice) -> bool:
        from jeepney import DBusAddress, new_method_call

        with self._lock:
            try:
                router = self._connect()
                urgency = 2 if notice.kind in ("failure", "config") else 1
                replaces = self._ids.get(notice.key, 0) if notice.key else 0
                actions: list[str] = []
                if self.on_action is not None:
                    for action, label in ACTIONS.get(notice.kind, ()):
                        actions += [action, label]
                address = DBusAddress(_PATH, bus_name=_NAME, interface=_NAME)
                message = new_method_call(
                    address,
                    "Notify",
                    "susssasa{sv}i",
                    (
                        self.app_name,
                        replaces,
                        "",
                        notice.title,
                        notice.body,
                        actions,
                        {"urgency": ("y", urgency), "desktop-entry": ("s", "restic-monitor")},
                        -1,
                    ),
                )
                reply = router.send_and_get_reply(message, timeout=5)
                if reply.header.message_type.name == "error":
                    raise RuntimeError(f"notification service error: {reply.body}")
                nid = int(reply.body[0])
            except Exception as exc:
                self._give_up(exc)
                return False
            if notice.key:
                old = self._ids.get(notice.key)
                if old is not None and old != nid:
                    self._shown.pop(old, None)
                self._ids[notice.key] = nid
            self._shown[nid] = notice
            return True

    def _close(self, key: str) -> None:
        from jeepney import DBusAddress, new_method_call

        with self._lock:
            nid = self._ids.pop(key, None)
            if nid is None or self._router is None:
                return
            self._shown.pop(nid, None)
            address = DBusAddress(_PATH, bus_name=_NAME, interface=_NAME)
            try:
                self._router.send_and_get_reply(
                    new_method_call(address, "CloseNotification", "u", (nid,)), timeout=5
                )
            except Exception as exc:
                log.debug("withdrawing notification %s failed: %s", nid, exc)

    def _give_up(self, exc: Exception) -> None:
        if not self._failed_once:
            log.info("desktop notifications unavailable (%s)", exc.__class__.__name__)
            self._failed_once = True
        self._drop_connection()

    def _drop_connection(self) -> None:
        """Close the connection and end its listener; the caller holds the lock."""
        router, self._router = self._router, None
        events, self._events = self._events, None
        if events is not None:
            events.put(None)
        if router is not None:
            try:
                router.close()
                router.conn.close()
            except Exception:
                log.debug("closing the notification connection failed", exc_info=True)

    # --- the connection and what the service sends back ---------------------------

    def _connect(self) -> Any:
        """The open connection (made on first use); the caller holds the lock."""
        if self._router is not None:
            return self._router
        from jeepney import MatchRule, message_bus
        from jeepney.io.threading import DBusRouter, open_dbus_connection

        router = DBusRouter(open_dbus_connection(bus="SESSION"))
        try:
            events: queue.Queue[Any] = queue.Queue()
            for member in ("ActionInvoked", "NotificationClosed"):
                rule = MatchRule(type="signal", interface=_NAME, member=member, path=_PATH)
                router.send_and_get_reply(message_bus.AddMatch(rule), timeout=5)
                router.filter(rule, queue=events, bufsize=1000)
        except Exception:
            router.close()
            router.conn.close()
            raise
        threading.Thread(
            target=self._listen, args=(router, events), name="notifications", daemon=True
        ).start()
        self._router = router
        self._events = events
        return router

    def _listen(self, router: Any, events: queue.Queue[Any]) -> None:
        from jeepney import HeaderFields

        while True:
            message = events.get()  # (blocks: a waiting app must not wake once a second)
            if message is None:
                return  # the connection was closed
            member = message.header.fields.get(HeaderFields.member)
            try:
                self._on_signal(member, tuple(message.body))
            except Exception:
                log.exception("handling a notification's %s failed", member)

    def _on_signal(self, member: str, body: tuple[Any, ...]) -> None:
        nid = int(body[0])
        with self._lock:
            notice = self._shown.get(nid)
        if notice is None:
            return  # another app's notification, or one we withdrew
        if member == "ActionInvoked":
            if self.on_action is not None:
                self.on_action(notice, str(body[1]))
            return
        with self._lock:  # NotificationClosed: dismissed, expired or withdrawn
            self._shown.pop(nid, None)
            if notice.key and self._ids.get(notice.key) == nid:
                del self._ids[notice.key]

"""How other threads and the OS reach the tray's UI thread.

Qt widgets may only be touched from the UI thread, and Qt's event loop runs
no Python code by itself: engine events, notices and command results cross
over as Qt signals, and SIGTERM/SIGHUP arrive through a wakeup descriptor.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import sys
from collections.abc import Callable

from PySide6.QtCore import QObject, QSocketNotifier, Signal

from restic_monitor.notify import Notice
from restic_monitor.platform.desktop_notifications import DesktopNotifier


class Bridge(QObject):
    """Carries events from engine and worker threads to the UI thread."""

    engine_event = Signal(str, object)
    notice = Signal(object)
    command_done = Signal(str, object, object)  # name, result, error text
    ready = Signal()
    failed = Signal(str)
    shutdown_requested = Signal()
    qt_notice = Signal(object)
    #: A notification was clicked or one of its buttons chosen: (notice, action key).
    notice_action = Signal(object, str)


class QtNotifier:
    """Engine notices as desktop notifications, shown from the UI thread.

    Withdrawing needs no UI thread: the desktop notifier does it in order
    with its showing, from its own worker.
    """

    def __init__(self, bridge: Bridge, desktop: DesktopNotifier) -> None:
        self._bridge = bridge
        self._desktop = desktop

    def notify(self, notice: Notice) -> None:
        self._bridge.notice.emit(notice)

    def withdraw(self, key: str) -> None:
        self._desktop.withdraw(key)

    def withdraw_all(self) -> None:
        self._desktop.withdraw_all()


def install_signal_handlers(
    owner: QObject, reload: Callable[[], object], quit_now: Callable[[], object]
) -> None:
    """SIGTERM/SIGINT quit cleanly (``quit_now``), SIGHUP reloads, without a polling timer.

    Qt's event loop does not run Python code by itself; a wakeup file
    descriptor watched by a QSocketNotifier lets a signal wake it.
    """
    if sys.platform == "win32":  # pragma: no cover
        return
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, owner)
    requested: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        requested.append(signum)

    def on_wakeup() -> None:
        with contextlib.suppress(OSError):
            reader.recv(64)
        while requested:
            signum = requested.pop()
            if signum == getattr(signal, "SIGHUP", None):
                reload()
            else:
                quit_now()

    notifier.activated.connect(on_wakeup)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    owner._signal_parts = (reader, writer, notifier)  # type: ignore[attr-defined]

"""A stop that reaches the headless main thread whichever thread it lands on.

A signal sent to the process is delivered to any of its threads. Python runs
its handler in the main thread, but only once that thread runs Python code
again: a main thread blocked on a lock is not woken when the signal landed on
the engine's thread, and SIGTERM was then answered only when something else
happened (seen under load: 30 s late). Python's C-level handler also writes
to a wakeup socket from whatever thread it runs in, so the main thread waits
on that socket instead; a stop asked for by another thread (the control
channel's ``shutdown``, the engine's end) writes to it too.
"""

from __future__ import annotations

import contextlib
import select
import signal
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any


class StopRequest:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._sockets: tuple[socket.socket, socket.socket] | None = None
        self._previous_wakeup: int | None = None

    def install(self, on_hangup: Callable[[], object]) -> None:
        """SIGTERM and SIGINT stop, SIGHUP calls ``on_hangup`` (main thread only)."""

        def on_signal(signum: int, _frame: Any) -> None:
            if signum == getattr(signal, "SIGHUP", None):
                on_hangup()
            else:
                self.set()

        reader, writer = self._sockets = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        self._previous_wakeup = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, on_signal)

    def set(self) -> None:
        """Ask for the stop (any thread)."""
        self._event.set()
        if self._sockets is not None:
            with contextlib.suppress(OSError):  # (full: a wakeup is already waiting)
                self._sockets[1].send(b"\0")

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self) -> None:
        """Block until the stop is asked for: by a signal on any thread, or ``set``
        (after ``install``)."""
        assert self._sockets is not None, "install() first"
        reader = self._sockets[0]
        # Windows delivers Ctrl-C through its own thread; a bounded wait is a backstop.
        step = 1.0 if sys.platform == "win32" else None
        while not self._event.is_set():
            readable, _, _ = select.select([reader], [], [], step)
            if readable:
                with contextlib.suppress(OSError):
                    reader.recv(4096)
            # (a signal's Python handler has run by now, in this thread)

    def close(self) -> None:
        if self._previous_wakeup is not None:
            with contextlib.suppress(ValueError):
                signal.set_wakeup_fd(self._previous_wakeup)
        if self._sockets is not None:
            for end in self._sockets:
                end.close()
            self._sockets = None

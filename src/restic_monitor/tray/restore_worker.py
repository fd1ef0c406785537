"""The restore window's one worker thread: every restic query off the UI thread.

Queries run one at a time, in the order asked; a query whose answer nobody
wants any more (another snapshot was chosen) is dropped before it starts, and
the one running is interrupted. Answers come back as a Qt signal, so the
window only ever touches its widgets from the UI thread.
"""

from __future__ import annotations

import collections
import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from restic_monitor.restic.browse import BrowseError, Browser
from restic_monitor.restic.command import Restic, ResticUnavailable, find_restic

log = logging.getLogger(__name__)

Query = Callable[[Browser], Any]


def profile_restic(engine: Any, profile: str) -> Restic:
    """The running engine's restic for a profile (:class:`BrowseError` saying why not)."""
    config = engine.config(profile)
    if config is None:
        raise BrowseError(f"the configuration of profile {profile} is invalid; see the tray menu")
    try:
        exe = find_restic(config.settings.restic_exe)
    except ResticUnavailable as exc:
        raise BrowseError(exc.message) from None
    return Restic(exe, config.env)


class BrowseWorker(QObject):
    #: (ticket, topic, result, error text or None)
    answered = Signal(int, str, object, object)

    def __init__(self, make_browser: Callable[[], Browser]) -> None:
        super().__init__()
        self._make_browser = make_browser
        self._browser: Browser | None = None
        self._tickets = itertools.count(1)
        self._queue: collections.deque[tuple[int, str, Query]] = collections.deque()
        self._cond = threading.Condition()
        self._closed = False
        self._running: tuple[int, str] | None = None
        self._thread = threading.Thread(target=self._main, name="restore-browse", daemon=True)
        self._thread.start()

    def ask(self, topic: str, query: Query) -> int:
        """Queue a query; its answer arrives through ``answered`` with the ticket returned."""
        with self._cond:
            ticket = next(self._tickets)
            self._queue.append((ticket, topic, query))
            self._cond.notify()
        return ticket

    def drop(self, which: Callable[[str], bool]) -> None:
        """Forget the queued queries of these topics, and interrupt the running one if so."""
        with self._cond:
            self._queue = collections.deque(q for q in self._queue if not which(q[1]))
            running = self._running
        if running is not None and which(running[1]) and self._browser is not None:
            self._browser.interrupt()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._cond.notify()
        if self._browser is not None:
            self._browser.cancel()

    def _main(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                ticket, topic, query = self._queue.popleft()
                self._running = (ticket, topic)
            try:
                if self._browser is None:
                    self._browser = self._make_browser()
                result, error = query(self._browser), None
            except BrowseError as exc:
                result, error = None, str(exc)
            except Exception as exc:  # a bug: said in the window, logged in full
                log.exception("restore window query %s failed", topic)
                result, error = None, f"{exc.__class__.__name__}: {exc}"
            with self._cond:
                self._running = None
                if self._closed:
                    return
            try:
                self.answered.emit(ticket, topic, result, error)
            except RuntimeError:  # the window (and this object's C++ side) is gone
                return

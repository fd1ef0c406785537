"""Work a window must not wait for (restic, the keyring, a synced write), off the UI thread.

Each call runs in its own short-lived thread and its outcome comes back as
a Qt signal, delivered in the UI thread, so a window only ever touches its
widgets from there. A window closed meanwhile simply never hears the answer.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class Background(QObject):
    #: (topic, result, error or None)
    done = Signal(str, object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        #: The topics asked and not answered yet.
        self.running: set[str] = set()
        self.done.connect(self._finished)

    def _finished(self, topic: str, _result: object, _error: object) -> None:
        self.running.discard(topic)

    def run(self, topic: str, work: Callable[[], Any]) -> None:
        """Run ``work()``; ``done`` says (topic, its result, None) or (topic, None, the
        exception it raised)."""
        self.running.add(topic)
        threading.Thread(target=self._main, args=(topic, work), name=f"window-{topic}",
                         daemon=True).start()  # fmt: skip

    def _main(self, topic: str, work: Callable[[], Any]) -> None:
        result: Any = None
        error: BaseException | None = None
        try:
            result = work()
        except Exception as exc:
            error = exc
            if not isinstance(exc, (OSError, ValueError)):
                log.debug("%s failed", topic, exc_info=True)
        with contextlib.suppress(RuntimeError):  # the window is gone
            self.done.emit(topic, result, error)

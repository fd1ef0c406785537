"""Application logging: a size-bounded rotating file, secrets masked at the door.

The secret filter is a second line of defence: the code never logs env.json
values on purpose, and anything that would slip through (an exception text
quoting an environment, say) is masked before it reaches a handler.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys

from restic_monitor.logfilter import SECRETS
from restic_monitor.paths import Home

LOG_MAX_BYTES = 1024 * 1024
LOG_BACKUPS = 4  # at most 5 MiB of application log in all
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


_state: dict[str, str | None] = {"problem": None}


class _LogFile(logging.handlers.RotatingFileHandler):
    """The rotating log, which reports a full or unwritable disk instead of spamming stderr."""

    _failed = False

    def handleError(self, record: logging.LogRecord) -> None:
        self._failed = True
        error = sys.exc_info()[1]
        reason = getattr(error, "strerror", None) or error.__class__.__name__
        problem = f"writing the application log {self.baseFilename} failed: {reason}"
        if _state["problem"] != problem:
            _state["problem"] = problem
            sys.stderr.write(f"restic-monitor: {problem}\n")

    def emit(self, record: logging.LogRecord) -> None:
        self._failed = False
        super().emit(record)
        problem = _state["problem"]
        if not self._failed and problem and problem.startswith("writing the application log"):
            _state["problem"] = None  # it works again


def problem() -> str | None:
    """Why the application log cannot be written, if it cannot."""
    return _state["problem"]


def setup(home: Home | None, *, debug: bool = False, console: bool = False) -> None:
    """Send the package's logs to the rotating file (and stderr with --debug)."""
    root = logging.getLogger("restic_monitor")
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    root.propagate = False
    formatter = logging.Formatter(FORMAT)
    _state["problem"] = None
    if home is not None:
        try:
            home.logs.mkdir(parents=True, exist_ok=True)
            file_handler = _LogFile(
                home.app_log, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
            )
            file_handler.setFormatter(formatter)
            file_handler.addFilter(SECRETS)
            root.addHandler(file_handler)
        except OSError as exc:
            _state["problem"] = f"cannot write {home.app_log}: {exc.strerror or exc}"
            console = True
    if console or debug:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(formatter)
        stream.setLevel(logging.DEBUG if debug else logging.WARNING)
        stream.addFilter(SECRETS)
        root.addHandler(stream)
    if _state["problem"]:
        root.error("%s; logging to the console only", _state["problem"])

"""A run's log file (restic-last.log): a failing disk stops the logging, never the backup."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)


class LogSink:
    """The run log. A failing disk stops the logging, never the backup."""

    def __init__(self, path: Path | None) -> None:
        self.problem: str | None = None
        self._fh: IO[bytes] | None = None
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # A new file rather than the old one truncated: a viewer following the
            # log sees the change of file even when the new run soon outgrows the old.
            # (A symbolic link put there on purpose is followed, not replaced.)
            with contextlib.suppress(OSError):
                if not path.is_symlink():
                    path.unlink()
            self._fh = path.open("wb")
        except OSError as exc:
            self.problem = f"cannot write {path}: {exc.strerror or exc}"
            log.error("%s; the backup runs without its log", self.problem)

    def write(self, data: bytes) -> None:
        if self._fh is None or not data:
            return
        try:
            self._fh.write(data)
            self._fh.flush()
        except OSError as exc:
            self.problem = f"writing the restic log failed: {exc.strerror or exc}"
            log.error("%s; the rest of this run's output is not logged", self.problem)
            with contextlib.suppress(OSError):
                self._fh.close()
            self._fh = None

    def close(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
            self._fh = None

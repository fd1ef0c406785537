"""The mask every log record passes: each profile's secrets, whoever logs them.

Apart from the log files themselves so that loading a configuration (which arms
the mask) costs a command like ``status`` no logging handlers it never uses.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from restic_monitor.restic.masking import Redactor


class SecretFilter(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._by_profile: dict[str, tuple[str, ...]] = {}
        self._redactor = Redactor(())

    def update(self, secrets: Iterable[str], profile: str = "default") -> None:
        """Mask ``secrets`` from now on: one profile's values, beside every other profile's."""
        with self._lock:
            self._by_profile[profile] = tuple(secrets)
            self._redactor = Redactor(v for values in self._by_profile.values() for v in values)

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            redactor = self._redactor
        message = record.getMessage()
        masked = redactor.text(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redactor.text(record.exc_text)
        if masked != message:
            record.msg = masked
            record.args = None
        return True


SECRETS = SecretFilter()

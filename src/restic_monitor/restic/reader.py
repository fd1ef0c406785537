"""Making sense of restic's output as it comes: log lines, progress, summary, last words.

restic prints plain text, or with ``--json`` one message per line; status
messages come ~10 a second and only the newest matters. The reader turns
raw lines into readable, masked log lines, keeps the newest progress (and
when it last *moved*, for stall detection), the summary, and a bounded tail
for failure notices. Its state is read from other threads while a run goes
on, hence the lock.
"""

from __future__ import annotations

import collections
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from restic_monitor.restic.masking import Redactor
from restic_monitor.restic.output import (
    Progress,
    Summary,
    clean_line,
    parse_status,
    parse_summary,
    readable,
)

log = logging.getLogger(__name__)

TAIL_LINES = 50
#: At most this many lines kept for the job's kind (a forget of thousands of groups).
MAX_COLLECTED = 5000
_STATUS_PREFIX = b'{"message_type":"status"'


class OutputReader:
    def __init__(
        self,
        redactor: Redactor,
        json_progress: bool,
        on_progress: Callable[[Progress], None] | None = None,
        collect: Sequence[str] = (),
    ) -> None:
        self._redactor = redactor
        self._collect = [re.compile(p) for p in collect]
        #: Every line matching ``collect`` (a job's kind reads its outcome from them).
        self.collected: list[str] = []
        self._json = json_progress
        self._on_progress = on_progress
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._progress_mono: float | None = None
        self._summary: Summary | None = None
        self._tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self.lines_seen = 0

    @property
    def progress(self) -> Progress | None:
        with self._lock:
            return self._progress

    @property
    def summary(self) -> Summary | None:
        with self._lock:
            return self._summary

    @property
    def seconds_since_progress(self) -> float | None:
        """How long restic's JSON progress has not moved; None without JSON progress.

        Plain output carries no progress to judge, so such a run is never "stalled".
        """
        with self._lock:
            if not self._json or self._progress_mono is None:
                return None
            return time.monotonic() - self._progress_mono

    def tail(self) -> list[str]:
        with self._lock:
            return list(self._tail)

    def start_stall_clock(self) -> None:
        with self._lock:
            self._progress_mono = time.monotonic()

    def note(self, line: str) -> None:
        """A line of our own for the tail (why restic could not start)."""
        with self._lock:
            self._tail.append(line)

    def feed(self, lines: list[bytes]) -> tuple[list[str], bytes | None]:
        """Turn raw lines into log lines; return the newest raw status line too."""
        out: list[str] = []
        tail: list[str] = []
        status: bytes | None = None
        json_mode = self._json
        self.lines_seen += len(lines)
        for raw in lines:
            if json_mode and raw.startswith(_STATUS_PREFIX):
                status = raw
                continue
            if json_mode and raw.startswith(b"{"):
                text = self._json_line(raw)
                if text is None:
                    continue
                if text.startswith(("error:", "Fatal:")):
                    tail.append(text)
            else:
                text = clean_line(raw.decode("utf-8", "replace")).rstrip()
                if not text:
                    continue
                tail.append(text)
                if self._wanted(text):
                    self.collected.append(self._redactor.text(text))
            out.append(text)
        if tail:
            redact = self._redactor.text
            with self._lock:
                self._tail.extend(redact(t) for t in tail[-TAIL_LINES:])
        return out, status

    def _wanted(self, text: str) -> bool:
        if not self._collect or len(self.collected) >= MAX_COLLECTED:
            return False
        return any(p.search(text) for p in self._collect)

    def _json_line(self, raw: bytes) -> str | None:
        try:
            msg: Any = json.loads(raw)
        except ValueError:
            return clean_line(raw.decode("utf-8", "replace")).rstrip() or None
        if not isinstance(msg, dict):
            return None
        kind = msg.get("message_type")
        if kind == "status":
            self._note_progress(parse_status(msg))
            return None
        if kind == "summary":
            summary = parse_summary(msg)
            with self._lock:
                self._summary = summary
        return readable(msg)

    def note_progress(self, progress: Progress) -> None:
        self._note_progress(progress)

    def _note_progress(self, progress: Progress) -> None:
        """Keep the newest progress; the stall clock restarts only when work advances.

        restic repeats its status several times a second even when nothing
        moves (a dead server it keeps retrying), so "a status arrived" is not
        progress; more files or bytes done is.
        """
        with self._lock:
            previous = self._progress
            self._progress = progress
            moved = previous is None or (progress.files_done, progress.bytes_done) != (
                previous.files_done,
                previous.bytes_done,
            )
            if moved:
                self._progress_mono = time.monotonic()

    def set_progress(self, raw: bytes) -> Progress | None:
        try:
            msg = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(msg, dict):
            return None
        progress = parse_status(msg)
        self._note_progress(progress)
        if self._on_progress is not None:
            try:
                self._on_progress(progress)
            except Exception:
                log.exception("progress listener failed")
        return progress

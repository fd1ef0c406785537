"""restic's output: its ``--json`` messages (progress, summary, errors) and plain lines."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from restic_monitor.humanize import human_bytes, human_duration

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def clean_line(line: str) -> str:
    """Drop terminal escapes restic writes even when not on a terminal."""
    return _ANSI.sub("", line).replace("\r", "")


#: A backup source that does not exist. restic 0.14 to 0.19 print this line, as plain
#: text even with ``--json``, and go on without it (exit code 0 up to 0.18, 3 from 0.19).
#: A file that cannot be read is another line: ``error: open /x: permission denied`` in
#: text, an ``error`` message naming the ``item`` in JSON.
MISSING_SOURCE = r"^(?!error: )(?P<path>.+) does not exist, skipping$"
_MISSING_SOURCE = re.compile(MISSING_SOURCE)
#: Every source is missing: no snapshot (exit code 1); 0.14 says "target", 0.15+ "source".
_ALL_SOURCES_MISSING = re.compile(r"all (?:target|source) directories/files do not exist")


def missing_sources(lines: Iterable[str]) -> list[str]:
    """The backup sources restic skipped because they do not exist, in order, once each."""
    found: dict[str, None] = {}
    for line in lines:
        match = _MISSING_SOURCE.match(line.strip())
        if match:
            found[match.group("path")] = None
    return list(found)


def all_sources_missing(lines: Iterable[str]) -> bool:
    """restic's fatal error for a backup none of whose sources exists."""
    return any(_ALL_SOURCES_MISSING.search(line) for line in lines)


def unreadable_files(lines: Iterable[str]) -> bool:
    """Whether restic reported files it could not read (``error:`` lines, text or JSON)."""
    return any(line.startswith("error:") for line in lines)


@dataclass(frozen=True)
class Progress:
    fraction: float | None
    files_done: int | None
    total_files: int | None
    bytes_done: int | None
    total_bytes: int | None
    seconds_elapsed: float | None
    eta_seconds: float | None
    current_files: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "fraction": self.fraction,
            "percent": None if self.fraction is None else round(self.fraction * 100, 1),
            "files_done": self.files_done,
            "total_files": self.total_files,
            "bytes_done": self.bytes_done,
            "total_bytes": self.total_bytes,
            "seconds_elapsed": self.seconds_elapsed,
            "eta_seconds": self.eta_seconds,
            "current_files": list(self.current_files),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Progress:
        """The inverse of :meth:`to_json`, for progress that crossed the control channel."""
        return cls(
            fraction=data.get("fraction"),
            files_done=data.get("files_done"),
            total_files=data.get("total_files"),
            bytes_done=data.get("bytes_done"),
            total_bytes=data.get("total_bytes"),
            seconds_elapsed=data.get("seconds_elapsed"),
            eta_seconds=data.get("eta_seconds"),
            current_files=tuple(data.get("current_files") or ()),
        )

    def describe(self) -> str:
        parts = []
        if self.fraction is not None:
            parts.append(f"{self.fraction * 100:.1f} %")
        if self.files_done is not None or self.total_files is not None:
            parts.append(f"{self.files_done or 0:,}/{self.total_files or 0:,} files")
        if self.bytes_done is not None or self.total_bytes is not None:
            parts.append(
                f"{human_bytes(self.bytes_done or 0)}/{human_bytes(self.total_bytes or 0)}"
            )
        if self.eta_seconds:
            parts.append(f"ETA {human_duration(self.eta_seconds)}")
        return ", ".join(parts) or "starting"


@dataclass(frozen=True)
class Summary:
    snapshot_id: str | None
    files_new: int | None
    files_changed: int | None
    files_unmodified: int | None
    data_added: int | None
    total_bytes: int | None
    duration: float | None

    def describe(self) -> str:
        return (
            f"snapshot {(self.snapshot_id or '?')[:8]}: {self.files_new or 0:,} new, "
            f"{self.files_changed or 0:,} changed, {self.files_unmodified or 0:,} unmodified "
            f"files; {human_bytes(self.data_added or 0)} added"
            + (f" in {human_duration(self.duration)}" if self.duration else "")
        )


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def parse_status(msg: Mapping[str, Any]) -> Progress:
    current = msg.get("current_files")
    return Progress(
        fraction=_float(msg.get("percent_done")),
        # A backup's counters, or a restore's (restic 0.16+; omitted while zero).
        files_done=_int(msg.get("files_done", msg.get("files_restored"))),
        total_files=_int(msg.get("total_files")),
        bytes_done=_int(msg.get("bytes_done", msg.get("bytes_restored"))),
        total_bytes=_int(msg.get("total_bytes")),
        seconds_elapsed=_float(msg.get("seconds_elapsed")),
        eta_seconds=_float(msg.get("seconds_remaining")),
        current_files=tuple(str(f) for f in current[:5]) if isinstance(current, list) else (),
    )


def parse_summary(msg: Mapping[str, Any]) -> Summary:
    snapshot = msg.get("snapshot_id")
    return Summary(
        snapshot_id=str(snapshot)[:64] if isinstance(snapshot, str) and snapshot else None,
        files_new=_int(msg.get("files_new")),
        files_changed=_int(msg.get("files_changed")),
        files_unmodified=_int(msg.get("files_unmodified")),
        data_added=_int(msg.get("data_added")),
        total_bytes=_int(msg.get("total_bytes_processed")),
        duration=_float(msg.get("total_duration")),
    )


def readable(msg: Mapping[str, Any]) -> str | None:
    """A log line for a JSON message (None for messages not worth a line)."""
    kind = msg.get("message_type")
    if kind == "verbose_status":
        action = msg.get("action", "?")
        item = msg.get("item", "")
        size = _int(msg.get("data_size"))
        extra = f" ({human_bytes(size)})" if size else ""
        return f"{action} {item}{extra}"
    if kind == "error":
        err = msg.get("error")
        text = err.get("message") if isinstance(err, dict) else err
        item = msg.get("item")
        during = msg.get("during")
        where = f"{item}: " if item else ""
        when = f" (during {during})" if during else ""
        return f"error: {where}{text}{when}"
    if kind == "summary" and "files_restored" in msg:  # a restore's (0.16+)
        restored = _int(msg.get("files_restored")) or 0
        shown = human_bytes(_int(msg.get("bytes_restored")) or 0)
        return f"summary: {restored:,} files and folders restored, {shown}"
    if kind == "summary":
        return "summary: " + parse_summary(msg).describe()
    if kind == "exit_error":
        return f"Fatal: {msg.get('message', '')}"
    if kind == "status":
        return "progress: " + parse_status(msg).describe()
    return json.dumps(msg)[:500]

"""What we know about restic: its command line, exit codes and JSON messages.

restic's exit codes became more specific over time (3 in 0.10, 10/11 in
0.17, 12 in 0.17.1); older versions such as Debian 12's 0.14 report those
cases as exit code 1 with a message, so the classification looks at both.
"""

from __future__ import annotations

import enum
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class Outcome(str, enum.Enum):
    SUCCESS = "success"
    INCOMPLETE = "incomplete"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    ERROR = "error"


@dataclass(frozen=True)
class Classification:
    outcome: Outcome
    reason: str  # machine-readable: ok, incomplete, wrong_password, ...
    message: str  # one sentence for status and notices


_REASON_TEXT = {
    "ok": "Backup completed.",
    "incomplete": "Snapshot created, but some files could not be read (exit code 3).",
    "wrong_password": "Wrong repository password (check RESTIC_PASSWORD in env.json).",
    "repository_missing": "No repository at the configured location (check RESTIC_REPOSITORY "
    "in env.json, or create one with `restic-monitor restic init`).",
    "locked": "The repository is locked by another restic process.",
    "repository_unreachable": "The repository cannot be reached (network or server down; "
    "check RESTIC_REPOSITORY and your connection).",
    "interrupted": "The backup was interrupted.",
    "fatal": "restic stopped with an error.",
}

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_URL_CREDENTIALS = re.compile(r"(\w+://[^/\s:@]+:)[^@\s/]+@")


def reason_text(reason: str) -> str:
    return _REASON_TEXT.get(reason, reason)


def classify(
    exit_code: int | None,
    output_tail: Iterable[str] = (),
    stop_requested: bool = False,
) -> Classification:
    """Map restic's exit code (and, for old versions, its last words) to an outcome."""
    tail = list(output_tail)
    if exit_code == 0:
        return Classification(Outcome.SUCCESS, "ok", reason_text("ok"))
    if exit_code == 3:
        return Classification(Outcome.INCOMPLETE, "incomplete", reason_text("incomplete"))
    if stop_requested or exit_code == 130:
        return Classification(Outcome.INTERRUPTED, "interrupted", reason_text("interrupted"))
    by_code = {10: "repository_missing", 11: "locked", 12: "wrong_password"}
    if exit_code in by_code:
        reason = by_code[exit_code]
        return Classification(Outcome.FAILED, reason, reason_text(reason))
    recognised = reason_from_messages(tail)
    if recognised:
        return Classification(Outcome.FAILED, recognised, reason_text(recognised))
    fatal = last_fatal_line(tail)
    if exit_code is not None and exit_code < 0:
        return Classification(
            Outcome.FAILED, "killed", f"restic was killed by signal {-exit_code}."
        )
    if fatal:
        return Classification(Outcome.FAILED, "fatal", fatal)
    return Classification(Outcome.FAILED, "exit_code", f"restic exited with code {exit_code}.")


def reason_from_messages(lines: Sequence[str]) -> str | None:
    """Recognise the messages restic 0.14-0.17 print for the common fatal cases."""
    text = "\n".join(lines).lower()
    if "wrong password" in text or "no key found" in text:
        return "wrong_password"
    if "repository is already locked" in text or "unable to create lock" in text:
        return "locked"
    if any(marker in text for marker in _UNREACHABLE):
        return "repository_unreachable"
    if (
        "is there a repository at the following location" in text
        or "unable to open config file" in text
        or "repository does not exist" in text
    ):
        return "repository_missing"
    return None


#: What Go's network stack says when a remote repository cannot be reached.
_UNREACHABLE = (
    "connection refused",
    "no such host",
    "i/o timeout",
    "network is unreachable",
    "connection reset by peer",
    "tls handshake timeout",
    "context deadline exceeded",
    "server misbehaving",
    "no route to host",
)


def last_fatal_line(lines: Sequence[str]) -> str | None:
    for line in reversed(lines):
        stripped = line.strip()
        if stripped.lower().startswith("fatal:"):
            return stripped[:300]
    return None


def clean_line(line: str) -> str:
    """Drop terminal escapes restic writes even when not on a terminal."""
    return _ANSI.sub("", line).replace("\r", "")


def mask_credentials(text: str) -> str:
    """Hide passwords embedded in repository URLs (rest:https://user:pw@host/)."""
    return _URL_CREDENTIALS.sub(r"\1***@", text)


#: A repository location: ``sftp:``, ``rest:https://``, ``s3:``, ``b2:``, ``rclone:``…
_LOCATION = re.compile(r"^[a-z][a-z0-9+.-]*:(?![\\/])", re.IGNORECASE)
_LOCATION_PARTS = re.compile(r"[:/@?&=,;\s]+")
_GENERIC_PARTS = frozenset(
    [
        "http",
        "https",
        "sftp",
        "rest",
        "rclone",
        "azure",
        "swift",
        "local",
        "restic",
        "repo",
        "repos",
        "backup",
        "backups",
        "data",
    ]
)


def secret_fragments(value: str) -> set[str]:
    """Parts of a remote location that restic's messages show on their own.

    A network error names the host ("Could not resolve hostname nas.example"),
    not the whole ``sftp:user@nas.example:/srv/repo`` value, so the host, user
    and path parts of such a value are masked too (local paths, which restic
    always prints whole, are not split).
    """
    if not _LOCATION.match(value) or len(value) < 4:
        return set()
    parts = _LOCATION_PARTS.split(value)[1:]  # the scheme itself is no secret
    return {p for p in parts if len(p) >= 5 and not p.isdigit() and p.lower() not in _GENERIC_PARTS}


class Redactor:
    """Replaces every secret value with ``***`` in text about to be written."""

    def __init__(self, secrets: Iterable[str]) -> None:
        values = {s for s in secrets if s}
        for value in list(values):
            values |= secret_fragments(value)
        # Longest first, so that a whole value is masked before its parts.
        self._secrets = sorted(values, key=len, reverse=True)
        self._secrets_b = [s.encode() for s in self._secrets]

    def text(self, value: str) -> str:
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, "***")
        return mask_credentials(value)

    def data(self, value: bytes) -> bytes:
        for secret in self._secrets_b:
            if secret in value:
                value = value.replace(secret, b"***")
        return value


def is_backup(args: Sequence[str]) -> bool:
    """Whether the command is a backup (the first non-option word is ``backup``)."""
    for arg in args:
        if arg.startswith("-"):
            continue
        return arg == "backup"
    return False


def wants_json(args: Sequence[str], progress: bool) -> bool:
    """Whether ``--json`` must be added for progress."""
    return progress and is_backup(args) and "--json" not in args


def speaks_json(args: Sequence[str], progress: bool) -> bool:
    """Whether the backup's output will be JSON (added by us or by the user)."""
    return is_backup(args) and (progress or "--json" in args)


def backup_command(exe: str, args: Sequence[str], progress: bool) -> list[str]:
    """The command to run; ``--json`` is added right after ``backup`` for progress."""
    argv = list(args)
    if wants_json(argv, progress):
        index = argv.index("backup")
        argv.insert(index + 1, "--json")
    return [exe, *argv]


def child_env(env: Mapping[str, str], base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Process environment plus env.json: given to restic only, never to ourselves."""
    merged = dict(os.environ if base is None else base)
    merged.update(env)
    return merged


def shell_env(env: Mapping[str, str], exe: str | None) -> dict[str, str]:
    """The restic shell's environment: env.json, restic's folder first on PATH, a marker."""
    merged = child_env(env)
    if exe:
        merged["PATH"] = os.path.dirname(exe) + os.pathsep + merged.get("PATH", "")
    merged["RESTIC_MONITOR_SHELL"] = "1"
    return merged


def shell_welcome(names: Iterable[str]) -> str:
    """The line a restic shell starts with: variable names only, never values."""
    shown = ", ".join(sorted(names)) or "no variables"
    return f"restic environment loaded ({shown}). Try `restic snapshots`; type exit to leave."


def no_window_flags() -> int:
    """Creation flags that keep a console window from flashing up on Windows."""
    if sys.platform == "win32":
        return subprocess.CREATE_NO_WINDOW
    return 0


def version(exe: str, timeout: float = 10.0) -> str | None:
    """restic's version string (``0.14.0``), or None when it cannot be run."""
    try:
        out = subprocess.run(
            [exe, "version"],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            creationflags=no_window_flags(),
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"restic\s+(\d+\.\d+\.\d+\S*)", out.stdout)
    return match.group(1) if match else None


def version_tuple(text: str | None) -> tuple[int, ...]:
    if not text:
        return ()
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(x) for x in match.groups()) if match else ()


# --- --json messages -------------------------------------------------------------


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
        files_done=_int(msg.get("files_done")),
        total_files=_int(msg.get("total_files")),
        bytes_done=_int(msg.get("bytes_done")),
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
    if kind == "summary":
        return "summary: " + parse_summary(msg).describe()
    if kind == "exit_error":
        return f"Fatal: {msg.get('message', '')}"
    if kind == "status":
        return "progress: " + parse_status(msg).describe()
    return json.dumps(msg)[:500]


def human_bytes(value: float) -> str:
    step = 1024.0
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
    size = float(value)
    for unit in units:
        if abs(size) < step or unit == units[-1]:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= step
    return f"{size:.1f} PiB"


def human_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min" if sec == 0 or minutes >= 10 else f"{minutes} min {sec} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h" if hours else f"{days} days"

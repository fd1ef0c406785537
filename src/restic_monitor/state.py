"""Persisted state: pause, last-success marker, small engine state, run history.

Every write is atomic (temp file in the same folder, then rename), so a crash
or a full disk leaves either the old or the new content, never half a file.
Every read tolerates damage: a corrupt or unreadable file is logged and
treated as absent, because a backup tool that refuses to start over a broken
state file is worse than one that forgets a pause.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from restic_monitor.paths import Home

log = logging.getLogger(__name__)

MAX_STATE_BYTES = 64 * 1024


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` via a temp file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def to_iso(epoch: float) -> str:
    """Local time with its UTC offset, to the second: readable and unambiguous."""
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


def parse_iso(text: str) -> float:
    """Parse ISO 8601; a missing offset means local time, ``Z`` means UTC."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.astimezone()  # interpret as local time
    return dt.timestamp()


def _read_small_text(path: Path) -> str | None:
    """Content of a small state file, or None (logged) when absent or unusable."""
    try:
        if path.is_dir():
            log.warning("%s is a folder, expected a file; ignoring it", path)
            return None
        with path.open("rb") as fh:
            raw = fh.read(MAX_STATE_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read %s (%s); treating it as absent", path, exc.strerror)
        return None
    if len(raw) > MAX_STATE_BYTES:
        log.warning("%s is larger than %d bytes; treating it as absent", path, MAX_STATE_BYTES)
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        log.warning("%s is not UTF-8 text; treating it as absent", path)
        return None


# --- pause -----------------------------------------------------------------


def read_pause(home: Home) -> float | None:
    """The epoch until which backups are paused, or None."""
    text = _read_small_text(home.pause_until)
    if text is None or not text.strip():
        return None
    try:
        return parse_iso(next(line for line in text.splitlines() if line.strip()))
    except (ValueError, OverflowError, OSError):
        log.warning(
            "%s does not hold an ISO 8601 time (%r); ignoring the pause",
            home.pause_until,
            text[:40],
        )
        return None


def write_pause(home: Home, until: float) -> None:
    atomic_write(home.pause_until, (to_iso(until) + "\n").encode(), mode=0o644)


def clear_pause(home: Home) -> None:
    with contextlib.suppress(FileNotFoundError):
        home.pause_until.unlink()


# --- last-success marker -----------------------------------------------------


def read_last_success(home: Home) -> float | None:
    """The marker's mtime is the time of the last successful backup."""
    try:
        st = home.marker.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read %s (%s)", home.marker, exc.strerror)
        return None
    if not stat.S_ISREG(st.st_mode):
        log.warning("%s is not a file; treating the last success as unknown", home.marker)
        return None
    return st.st_mtime


def write_last_success(home: Home, when: float, snapshot_id: str | None) -> None:
    text = f"last successful backup: {to_iso(when)}\n"
    if snapshot_id:
        text += f"snapshot: {snapshot_id}\n"
    atomic_write(home.marker, text.encode(), mode=0o644)
    os.utime(home.marker, (when, when))


# --- small engine state -------------------------------------------------------


@dataclass
class EngineState:
    """What must survive a restart besides pause, marker and history."""

    last_warning_notice: float | None = None
    unlock_needed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def read_engine_state(home: Home) -> EngineState:
    text = _read_small_text(home.state_json)
    if text is None:
        if home.state_json.exists():
            # Unreadable: it may have recorded an unclean run, so clear stale locks.
            return EngineState(unlock_needed=True)
        return EngineState()
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        notice = data.get("last_warning_notice")
        if notice is not None and (
            isinstance(notice, bool) or not isinstance(notice, (int, float))
        ):
            raise ValueError("last_warning_notice is not a number")
        unlock = data.get("unlock_needed", False)
        if not isinstance(unlock, bool):
            raise ValueError("unlock_needed is not a boolean")
        extra = data.get("extra", {})
        return EngineState(
            last_warning_notice=notice,
            unlock_needed=unlock,
            extra=extra if isinstance(extra, dict) else {},
        )
    except (ValueError, RecursionError) as exc:
        log.warning("%s is damaged (%s); starting from defaults", home.state_json, exc)
        # A damaged file may hide an unclean run: clear stale locks to be safe.
        return EngineState(unlock_needed=True)


def write_engine_state(home: Home, state: EngineState) -> None:
    atomic_write(home.state_json, json.dumps(asdict(state), indent=1).encode())


# --- run history ---------------------------------------------------------------


@dataclass
class RunRecord:
    id: int
    started: float
    ended: float | None
    trigger: str  # "idle" | "manual"
    exit_code: int | None = None
    outcome: str | None = None  # success | incomplete | failed | interrupted | error
    reason: str | None = None  # machine-readable cause, e.g. wrong_password
    message: str | None = None  # one human sentence
    counted_success: bool = False
    snapshot_id: str | None = None
    files_new: int | None = None
    files_changed: int | None = None
    files_unmodified: int | None = None
    data_added: int | None = None
    total_bytes: int | None = None
    duration: float | None = None
    pid: int | None = None
    pid_started: float | None = None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["started"] = to_iso(self.started)
        out["ended"] = to_iso(self.ended) if self.ended is not None else None
        return out


_COLUMNS = [
    ("started", "REAL NOT NULL"),
    ("ended", "REAL"),
    ("trigger", "TEXT NOT NULL"),
    ("exit_code", "INTEGER"),
    ("outcome", "TEXT"),
    ("reason", "TEXT"),
    ("message", "TEXT"),
    ("counted_success", "INTEGER NOT NULL DEFAULT 0"),
    ("snapshot_id", "TEXT"),
    ("files_new", "INTEGER"),
    ("files_changed", "INTEGER"),
    ("files_unmodified", "INTEGER"),
    ("data_added", "INTEGER"),
    ("total_bytes", "INTEGER"),
    ("duration", "REAL"),
    ("pid", "INTEGER"),
    ("pid_started", "REAL"),
]
_NAMES = [name for name, _ in _COLUMNS]


class HistoryUnavailable(Exception):
    """The history database cannot be used right now (busy, full, unwritable)."""


class History:
    """Run history in SQLite. Short-lived connections: safe from any thread.

    A damaged database is moved aside (``history.sqlite3.corrupt-<time>``) and
    a fresh one started: losing the history is acceptable, refusing to back
    up is not.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False
        #: Why the database could not be used the last time, None once it works again.
        self.problem: str | None = None

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=10)
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    def _ensure(self) -> None:
        if self._ready:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._create()
        except sqlite3.OperationalError:
            raise  # busy, full or unwritable: healthy, not to be moved aside
        except sqlite3.DatabaseError as exc:
            self._move_aside(exc)
            self._create()
        self._ready = True

    def _create(self) -> None:
        cols = ", ".join(f"{name} {decl}" for name, decl in _COLUMNS)
        with self._connect() as conn:
            conn.execute(f"CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, {cols})")
            conn.execute("CREATE INDEX IF NOT EXISTS runs_started ON runs(started)")
            conn.execute("SELECT count(*) FROM runs").fetchone()

    def _move_aside(self, exc: BaseException) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{time.time_ns() % 1_000_000_000:09d}"
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        log.error("history database %s is damaged (%s); moved it to %s", self.path, exc, aside)
        try:
            os.replace(self.path, aside)
        except OSError:
            with contextlib.suppress(OSError):
                self.path.unlink()
        self._ready = False

    def _guard(self, fn: Any, *args: Any) -> Any:
        """Run a database operation; on damage start a fresh database once.

        Only real damage moves the file aside. A busy, full or unwritable
        database (OperationalError) is healthy: it raises
        :class:`HistoryUnavailable` and the caller carries on without it.
        """
        try:
            try:
                self._ensure()
                result = fn(*args)
            except sqlite3.OperationalError:
                raise
            except sqlite3.DatabaseError as exc:
                self._move_aside(exc)
                self._ensure()
                result = fn(*args)
        except (sqlite3.Error, OSError) as exc:
            log.error("the history database %s is unavailable: %s", self.path, exc)
            self.problem = f"the run history {self.path} cannot be written ({exc})"
            raise HistoryUnavailable(str(exc)) from None
        self.problem = None
        return result

    def start(self, started: float, trigger: str) -> int:
        def op() -> int:
            with self._connect() as conn:
                cur = conn.execute(
                    "INSERT INTO runs (started, trigger) VALUES (?, ?)", (started, trigger)
                )
                return int(cur.lastrowid or 0)

        result: int = self._guard(op)
        return result

    def update(self, run_id: int, **fields: Any) -> None:
        unknown = set(fields) - set(_NAMES)
        if unknown:
            raise ValueError(f"unknown history fields: {sorted(unknown)}")
        if not fields:
            return

        def op() -> None:
            sets = ", ".join(f"{k} = ?" for k in fields)
            with self._connect() as conn:
                conn.execute(f"UPDATE runs SET {sets} WHERE id = ?", [*fields.values(), run_id])  # noqa: S608

        self._guard(op)

    def recent(self, limit: int = 50) -> list[RunRecord]:
        """Newest first."""

        def op() -> list[RunRecord]:
            with self._connect() as conn:
                rows = conn.execute(
                    f"SELECT id, {', '.join(_NAMES)} FROM runs ORDER BY id DESC LIMIT ?",  # noqa: S608
                    (limit,),
                ).fetchall()
            return [self._record(row) for row in rows]

        try:
            result: list[RunRecord] = self._guard(op)
        except HistoryUnavailable:
            return []
        return result

    def unfinished(self) -> list[RunRecord]:
        return [r for r in self.recent(20) if r.ended is None]

    @staticmethod
    def _record(row: tuple[Any, ...]) -> RunRecord:
        data = dict(zip(["id", *_NAMES], row, strict=True))
        data["counted_success"] = bool(data["counted_success"])
        return RunRecord(**data)

    def last_finished(self) -> RunRecord | None:
        return last_finished(self.recent(20))


def last_finished(records: list[RunRecord]) -> RunRecord | None:
    """The newest run that has ended (newest first input); the one in progress is not it."""
    return next((r for r in records if r.ended is not None), None)


def consecutive_failures(records: list[RunRecord]) -> int:
    """Automatic failures since the last success or manual run (newest first input)."""
    count = 0
    for record in records:
        if record.ended is None:
            continue
        if record.counted_success or record.trigger == "manual":
            break
        if record.outcome in ("failed", "error", "incomplete"):
            count += 1
        # interrupted runs neither count nor reset
    return count

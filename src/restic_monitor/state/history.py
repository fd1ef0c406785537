"""The run history: every job, its kind, profile, outcome and numbers, in SQLite.

Short-lived connections make it safe from any thread. A database written by
an earlier release is migrated in place on first use (columns added with
defaults that describe the old rows), so upgrading loses nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from restic_monitor.paths import DEFAULT_PROFILE
from restic_monitor.state.run_record import (
    BACKUP,
    COLUMNS,
    JSON_COLUMNS,
    NAMES,
    RunRecord,
    json_list,
)
from restic_monitor.state.streaks import consecutive_failures, last_finished

__all__ = ["BACKUP", "History", "HistoryUnavailable", "RunRecord", "consecutive_failures",
           "last_finished"]  # fmt: skip

log = logging.getLogger(__name__)

#: 1: the first release (no kind, no profile); 2: jobs of several kinds and profiles;
#: 3: what maintenance jobs found, and the backup sources a backup found missing (columns
#: missing from a database are added whatever version it claims); 4: what a restore wrote.
SCHEMA_VERSION = 4


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
        cols = ", ".join(f"{name} {decl}" for name, decl in COLUMNS)
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            present = {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
            if version >= SCHEMA_VERSION and present >= set(NAMES):
                return  # current: nothing to write (a read-only copy works)
            # One write transaction for creation and migration: two processes opening an
            # old database at once (the monitor and a `status`) take turns, and the
            # second finds the work done.
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(f"CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, {cols})")
                conn.execute("CREATE INDEX IF NOT EXISTS runs_started ON runs(started)")
                self._migrate(conn)
                conn.execute("SELECT count(*) FROM runs").fetchone()
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        """Bring a database of an earlier release up to this schema, keeping every row.

        Columns are only ever added, with defaults that describe the old rows, inside
        the caller's transaction: the migration happens whole or not at all.
        """
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        present = {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
        if version >= SCHEMA_VERSION and present >= set(NAMES):
            return
        for name, decl in COLUMNS:
            if name not in present:
                conn.execute(f"ALTER TABLE runs ADD COLUMN {name} {decl}")
                log.info("history: added column %s (a database of an earlier release)", name)
        conn.execute("CREATE INDEX IF NOT EXISTS runs_profile_kind ON runs(profile, kind, id)")
        conn.execute(f"PRAGMA user_version = {max(version, SCHEMA_VERSION)}")

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

    def start(
        self, started: float, trigger: str, kind: str = BACKUP, profile: str = DEFAULT_PROFILE
    ) -> int:
        def op() -> int:
            with self._connect() as conn:
                cur = conn.execute(
                    "INSERT INTO runs (started, trigger, kind, profile) VALUES (?, ?, ?, ?)",
                    (started, trigger, kind, profile),
                )
                return int(cur.lastrowid or 0)

        result: int = self._guard(op)
        return result

    def update(self, run_id: int, **fields: Any) -> None:
        unknown = set(fields) - set(NAMES)
        if unknown:
            raise ValueError(f"unknown history fields: {sorted(unknown)}")
        if not fields:
            return

        values = [
            json.dumps(v) if k in JSON_COLUMNS and v is not None else v for k, v in fields.items()
        ]

        def op() -> None:
            sets = ", ".join(f"{k} = ?" for k in fields)
            with self._connect() as conn:
                conn.execute(f"UPDATE runs SET {sets} WHERE id = ?", [*values, run_id])  # noqa: S608

        self._guard(op)

    def delete(self, run_id: int) -> None:
        """Forget a job that never ran (stopped before restic started)."""

        def op() -> None:
            with self._connect() as conn:
                conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))

        self._guard(op)

    @staticmethod
    def _where(
        kind: str | None, profile: str | None, outcome: str | None = None
    ) -> tuple[str, list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        if outcome is not None:
            where.append("outcome = ?")
            params.append(outcome)
        if kind is not None:
            where.append("kind = ?")
            params.append(kind)
        if profile is not None:
            where.append("profile = ?")
            params.append(profile)
        return (f"WHERE {' AND '.join(where)} " if where else ""), params

    def stream(
        self, limit: int, *, kind: str | None = None, profile: str | None = None
    ) -> Iterator[RunRecord]:
        """Newest first, a few hundred rows at a time: memory stays flat whatever the size
        (``history --json`` of a decade of hourly backups)."""
        clause, params = self._where(kind, profile)
        try:
            self._guard(lambda: None)  # created and migrated, or HistoryUnavailable
        except HistoryUnavailable:
            return
        conn = sqlite3.connect(self.path, timeout=10)
        try:
            cursor = conn.execute(
                f"SELECT id, {', '.join(NAMES)} FROM runs {clause}"  # noqa: S608
                "ORDER BY id DESC LIMIT ?",
                (*params, limit),
            )
            while rows := cursor.fetchmany(500):
                for row in rows:
                    yield self._record(row)
        except sqlite3.Error as exc:
            log.error("reading the history database %s failed: %s", self.path, exc)
        finally:
            conn.close()

    def mixed(self, *, kind: str | None = None, profile: str | None = None) -> bool:
        """Whether the selection holds anything but backups of profile ``default``."""
        clause, params = self._where(kind, profile)
        other = "(kind != 'backup' OR profile != 'default')"
        clause = f"{clause} AND {other} " if clause else f"WHERE {other} "

        def op() -> bool:
            with self._connect() as conn:
                found = conn.execute(f"SELECT 1 FROM runs {clause}LIMIT 1", params)  # noqa: S608
                return found.fetchone() is not None

        try:
            result: bool = self._guard(op)
        except HistoryUnavailable:
            return False
        return result

    def recent(
        self,
        limit: int = 50,
        *,
        kind: str | None = None,
        profile: str | None = None,
        outcome: str | None = None,
    ) -> list[RunRecord]:
        """Newest first, optionally only one kind of job, one profile and one outcome."""
        clause, params = self._where(kind, profile, outcome)

        def op() -> list[RunRecord]:
            with self._connect() as conn:
                rows = conn.execute(
                    f"SELECT id, {', '.join(NAMES)} FROM runs {clause}"  # noqa: S608
                    "ORDER BY id DESC LIMIT ?",
                    (*params, limit),
                ).fetchall()
            return [self._record(row) for row in rows]

        try:
            result: list[RunRecord] = self._guard(op)
        except HistoryUnavailable:
            return []
        return result

    def totals(self, profile: str) -> dict[tuple[str, str], int]:
        """How many runs of each kind ended with each outcome, for one profile (metrics)."""

        def op() -> dict[tuple[str, str], int]:
            with self._connect() as conn:
                rows = conn.execute(
                    "SELECT kind, outcome, count(*) FROM runs WHERE profile = ? "
                    "AND outcome IS NOT NULL GROUP BY kind, outcome",
                    (profile,),
                ).fetchall()
            return {(str(k), str(o)): int(n) for k, o, n in rows}

        try:
            result: dict[tuple[str, str], int] = self._guard(op)
        except HistoryUnavailable:
            return {}
        return result

    def unfinished(self) -> list[RunRecord]:
        """Jobs that started and never ended (the monitor died), any kind and profile."""
        return [r for r in self.recent(50) if r.ended is None]

    @staticmethod
    def _record(row: tuple[Any, ...]) -> RunRecord:
        data = dict(zip(["id", *NAMES], row, strict=True))
        data["counted_success"] = bool(data["counted_success"])
        for name in JSON_COLUMNS:
            data[name] = json_list(data[name])
        return RunRecord(**data)

"""What the first release left in a home: its history's schema, for the upgrade tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SCHEMA = (
    "CREATE TABLE runs (id INTEGER PRIMARY KEY, started REAL NOT NULL, ended REAL, "
    "trigger TEXT NOT NULL, exit_code INTEGER, outcome TEXT, reason TEXT, message TEXT, "
    "counted_success INTEGER NOT NULL DEFAULT 0, snapshot_id TEXT, files_new INTEGER, "
    "files_changed INTEGER, files_unmodified INTEGER, data_added INTEGER, "
    "total_bytes INTEGER, duration REAL, pid INTEGER, pid_started REAL)"
)


def first_release_history(path: Path, runs: Iterable[dict[str, Any]]) -> None:
    """A history database exactly as the first release wrote it, with these runs."""
    with sqlite3.connect(path) as conn:
        conn.execute(SCHEMA)
        conn.execute("CREATE INDEX runs_started ON runs(started)")
        for run in runs:
            names = ", ".join(run)
            marks = ", ".join("?" for _ in run)
            conn.execute(f"INSERT INTO runs ({names}) VALUES ({marks})", tuple(run.values()))  # noqa: S608
    conn.close()

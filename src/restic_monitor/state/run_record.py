"""One job as the history keeps it, and the columns of its table.

The record is what every part of the app reads of a run; the columns (and
their order of addition, each with a default that describes older rows)
are the database's side of it, in :mod:`restic_monitor.state.history`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from restic_monitor.isotime import to_iso
from restic_monitor.paths import DEFAULT_PROFILE

BACKUP = "backup"


@dataclass
class RunRecord:
    """One job as the history keeps it: a restic run of one kind for one profile."""

    id: int
    started: float
    ended: float | None
    trigger: str  # idle | manual | overdue | recovery | after_failure
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
    kind: str = BACKUP
    profile: str = DEFAULT_PROFILE
    snapshots_kept: int | None = None
    snapshots_removed: int | None = None
    bytes_freed: int | None = None
    packs_removed: int | None = None
    errors_found: int | None = None
    snapshots_copied: int | None = None
    #: The backup sources restic skipped because they do not exist (None: none).
    missing_sources: list[str] | None = None
    files_restored: int | None = None
    bytes_restored: int | None = None
    restore_target: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["started"] = to_iso(self.started)
        out["ended"] = to_iso(self.ended) if self.ended is not None else None
        return out


COLUMNS = [
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
    # Added with profiles and job kinds (schema 2); rows of schema 1 were backups
    # of the only profile there was, which the defaults say.
    ("kind", f"TEXT NOT NULL DEFAULT '{BACKUP}'"),
    ("profile", f"TEXT NOT NULL DEFAULT '{DEFAULT_PROFILE}'"),
    # Added with maintenance jobs (schema 3): what forget, prune and check found.
    ("snapshots_kept", "INTEGER"),
    ("snapshots_removed", "INTEGER"),
    ("bytes_freed", "INTEGER"),
    ("packs_removed", "INTEGER"),
    ("errors_found", "INTEGER"),
    ("snapshots_copied", "INTEGER"),
    # Added with missing-source detection: a JSON list of paths.
    ("missing_sources", "TEXT"),
    # Added with restores (schema 4): what a restore wrote, and where.
    ("files_restored", "INTEGER"),
    ("bytes_restored", "INTEGER"),
    ("restore_target", "TEXT"),
]
#: Columns holding a JSON document rather than a plain value.
JSON_COLUMNS = frozenset({"missing_sources"})
NAMES = [name for name, _ in COLUMNS]


def json_list(text: Any) -> list[str] | None:
    """A JSON list of strings from the database; None for anything else (never raises)."""
    if not isinstance(text, str):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, list):
        return None
    return [str(v) for v in value]

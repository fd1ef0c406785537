"""Snapshots against each other and against the disk: a file's versions, what went missing.

Pure functions of what restic listed and (for ``missing``) what the disk has,
so that "the version from last Tuesday" and "what did I delete?" are each one
answer, the same in the CLI and the restore window.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from restic_monitor.restic.snapshots import Entry, Match, Snapshot


def tree_path(path: str) -> str:
    """A path on this machine as restic stores it in a snapshot (``C:\\x`` -> ``/C/x``)."""
    path = os.path.abspath(os.path.expanduser(path))
    if sys.platform == "win32" and len(path) >= 2 and path[1] == ":":
        path = "/" + path[0] + path[2:].replace("\\", "/")
    return path.rstrip("/") or "/"


def disk_path(tree: str) -> str:
    """The inverse of :func:`tree_path`: where a snapshot's item was on this machine."""
    if sys.platform == "win32":
        parts = tree.strip("/").split("/")
        if parts and len(parts[0]) == 1:
            return parts[0] + ":\\" + "\\".join(parts[1:])
        return tree.replace("/", "\\")
    return tree


def covers(snapshot: Snapshot, tree: str) -> bool:
    """Whether a snapshot's backed-up paths hold ``tree`` (or something below it)."""
    for path in snapshot.paths:
        own = tree_path(path) if not path.startswith("/") else path.rstrip("/") or "/"
        if tree == own or tree.startswith(own.rstrip("/") + "/") or own.startswith(tree + "/"):
            return True
        if tree == "/":
            return True
    return False


@dataclass(frozen=True)
class Version:
    """One distinct content of a file: the snapshots holding it, first and last."""

    first: Snapshot
    last: Snapshot
    snapshots: int
    size: int | None
    mtime: str

    def to_json(self) -> dict[str, Any]:
        return {
            "snapshot": self.first.id,
            "short_id": self.first.short_id,
            "time": self.first.time,
            "size": self.size,
            "mtime": self.mtime,
            "last_snapshot": self.last.id,
            "last_time": self.last.time,
            "snapshots": self.snapshots,
        }


def versions(matches: Iterable[Match], snapshots: Sequence[Snapshot], tree: str) -> list[Version]:
    """Every distinct version of the file at ``tree``, newest first.

    A version is a run of snapshots (oldest to newest) in which the file kept
    its size and modification time; a file changed back to an earlier state is
    a version again, since that is a different moment to restore.
    """
    by_id = {s.id: s for s in snapshots}
    found: dict[str, Entry] = {}
    for match in matches:
        if match.entry.path == tree and match.snapshot_id in by_id:
            found[match.snapshot_id] = match.entry
    ordered = sorted(found, key=lambda sid: (by_id[sid].epoch, sid))
    out: list[Version] = []
    for sid in ordered:
        snap, entry = by_id[sid], found[sid]
        last = out[-1] if out else None
        if last is not None and (last.size, last.mtime) == (entry.size, entry.mtime):
            out[-1] = Version(last.first, snap, last.snapshots + 1, last.size, last.mtime)
        else:
            out.append(Version(snap, snap, 1, entry.size, entry.mtime))
    return out[::-1]


@dataclass(frozen=True)
class Missing:
    """An item of the snapshot that is not on the disk; a folder stands for what it holds."""

    entry: Entry
    disk_path: str
    #: For a folder: the files in it (all missing with it).
    files: int = 0
    bytes: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            **self.entry.to_json(),
            "disk_path": self.disk_path,
            "files": self.files,
            "bytes": self.bytes,
        }


def missing(
    entries: Iterable[Entry], exists: Callable[[str], bool] = os.path.lexists
) -> list[Missing]:
    """The entries of a walk (parents before children) that are gone from the disk.

    Below a missing folder nothing is looked up: the folder is reported once,
    with the count and size of the files it held.
    """
    out: list[Missing] = []
    gone_dirs: list[str] = []  # a stack of missing folders on the current branch
    index: dict[str, int] = {}
    for entry in entries:
        while gone_dirs and not entry.path.startswith(gone_dirs[-1] + "/"):
            gone_dirs.pop()
        if gone_dirs:
            top = index[gone_dirs[0]]
            if entry.type != "dir":
                item = out[top]
                out[top] = Missing(item.entry, item.disk_path, item.files + 1,
                                   item.bytes + (entry.size or 0))  # fmt: skip
            if entry.is_dir:
                gone_dirs.append(entry.path)
            continue
        where = disk_path(entry.path)
        if exists(where):
            continue
        out.append(Missing(entry, where, 0 if entry.is_dir else 1, entry.size or 0))
        if entry.is_dir:
            index[entry.path] = len(out) - 1
            gone_dirs.append(entry.path)
    return out

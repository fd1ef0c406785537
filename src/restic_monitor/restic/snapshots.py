"""What a repository holds, as restic's JSON says it: snapshots, folder entries, matches.

restic 0.14 to 0.19 print the same shapes for ``snapshots --json``,
``ls --json`` and ``find --json``; newer versions add keys (``summary`` on
snapshots from 0.17, ``message_type`` on ls lines from 0.17), which are
read where present and never required. Pure parsing: the commands are run by
:mod:`restic_monitor.restic.browse`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from restic_monitor.isotime import parse_iso

#: restic's node types as we name them; anything else (devices, fifos, sockets) is "other".
_TYPES = {"file": "file", "dir": "dir", "symlink": "symlink"}


@dataclass(frozen=True)
class Snapshot:
    id: str
    short_id: str
    time: str
    host: str
    paths: tuple[str, ...]
    tags: tuple[str, ...] = ()
    username: str = ""
    #: From the snapshot's summary (restic 0.17+): the bytes the backup read, and what it added.
    size: int | None = None
    files_added: int | None = None
    data_added: int | None = None

    @property
    def epoch(self) -> float:
        try:
            return parse_iso(self.time)
        except ValueError:
            return 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "short_id": self.short_id,
            "time": self.time,
            "host": self.host,
            "username": self.username,
            "paths": list(self.paths),
            "tags": list(self.tags),
            "size": self.size,
            "files_added": self.files_added,
            "data_added": self.data_added,
        }


@dataclass(frozen=True)
class Entry:
    """One file, folder or link of a snapshot, at its path inside the snapshot."""

    name: str
    type: str  # file, dir, symlink, other
    path: str
    size: int | None
    mtime: str

    @property
    def is_dir(self) -> bool:
        return self.type == "dir"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "path": self.path,
            "size": self.size,
            "mtime": self.mtime,
        }


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def snapshot_of(data: Mapping[str, Any]) -> Snapshot:
    summary = data.get("summary")
    summary = summary if isinstance(summary, dict) else {}
    snap_id = str(data.get("id") or "")
    return Snapshot(
        id=snap_id,
        short_id=str(data.get("short_id") or snap_id[:8]),
        time=_normal_time(str(data.get("time") or "")),
        host=str(data.get("hostname") or ""),
        username=str(data.get("username") or ""),
        paths=tuple(str(p) for p in data.get("paths") or ()),
        tags=tuple(str(t) for t in data.get("tags") or ()),
        size=_int(summary.get("total_bytes_processed")),
        files_added=_int(summary.get("files_new")),
        data_added=_int(summary.get("data_added")),
    )


def parse_snapshots(text: str) -> list[Snapshot]:
    """``restic snapshots --json``, newest first (restic prints oldest first)."""
    data = json.loads(text or "[]")
    if not isinstance(data, list):
        raise ValueError("restic snapshots --json did not print a list")
    snaps = [snapshot_of(item) for item in data if isinstance(item, dict) and item.get("id")]
    return sorted(snaps, key=lambda s: (s.epoch, s.id), reverse=True)


def entry_of(node: Mapping[str, Any]) -> Entry:
    kind = _TYPES.get(str(node.get("type")), "other")
    return Entry(
        name=str(node.get("name") or ""),
        type=kind,
        path=str(node.get("path") or ""),
        size=_int(node.get("size")) if kind == "file" else None,
        mtime=_normal_time(str(node.get("mtime") or "")),
    )


def sort_entries(entries: Iterable[Entry]) -> list[Entry]:
    """Folders first, then by name as a person reads it (case aside)."""
    return sorted(entries, key=lambda e: (not e.is_dir, e.name.casefold(), e.name))


@dataclass(frozen=True)
class Listing:
    """One folder of a snapshot: whether the snapshot was found, and the folder's entries."""

    snapshot: Snapshot | None
    entries: list[Entry]
    #: Whether the folder itself is in the snapshot (the top level always is).
    folder_found: bool


def parse_ls(lines: Iterable[str | bytes], folder: str) -> Listing:
    """``restic ls --json SNAPSHOT FOLDER`` (one level): the snapshot line, then the
    folder's own node (not for the top level), then its children."""
    snapshot: Snapshot | None = None
    entries: list[Entry] = []
    found = folder == "/"
    for raw in lines:
        if not raw or raw[:1] not in ("{", b"{"):
            continue
        try:
            node = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(node, dict):
            continue
        struct = node.get("struct_type") or node.get("message_type")
        if struct == "snapshot":
            snapshot = snapshot_of(node)
            continue
        if struct != "node":
            continue
        entry = entry_of(node)
        if entry.path == folder:
            found = True
            continue
        entries.append(entry)
    if entries:
        found = True
    return Listing(snapshot, sort_entries(entries), found)


@dataclass(frozen=True)
class Match:
    snapshot_id: str
    entry: Entry

    def to_json(self) -> dict[str, Any]:
        return {"snapshot": self.snapshot_id, **self.entry.to_json()}


def parse_find(text: str) -> list[Match]:
    """``restic find --json``: one group per snapshot with its matches."""
    data = json.loads(text or "[]")
    if not isinstance(data, list):
        return []
    found = []
    for group in data:
        if not isinstance(group, dict):
            continue
        snap = str(group.get("snapshot") or "")
        for node in group.get("matches") or ():
            if isinstance(node, dict):
                path = str(node.get("path") or "")
                named = {**node, "name": node.get("name") or path.rsplit("/", 1)[-1]}
                found.append(Match(snap, entry_of(named)))
    return found


def _normal_time(text: str) -> str:
    """restic's nanosecond RFC 3339 time, cut to microseconds (what Python reads everywhere)."""
    if "." not in text:
        return text
    head, _, rest = text.partition(".")
    digits = ""
    for ch in rest:
        if not ch.isdigit():
            break
        digits += ch
    return f"{head}.{digits[:6]}{rest[len(digits) :]}"


def literal_pattern(text: str) -> str:
    """A name or path as a restic pattern (``find``, ``--include``) matching only itself:
    its wildcards escaped (on Windows the backslash separates, so nothing is escaped)."""
    if sys.platform == "win32":
        return text
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


class NoSuchSnapshot(LookupError):
    pass


def choose(snapshots: list[Snapshot], wanted: str) -> Snapshot:
    """The snapshot a user means: ``latest``, an id, or an id's start (the short id)."""
    if not snapshots:
        raise NoSuchSnapshot("the repository has no snapshots yet")
    if wanted == "latest":
        return snapshots[0]
    key = wanted.lower()
    exact = [s for s in snapshots if s.id == key]
    if exact:
        return exact[0]
    matches = [s for s in snapshots if s.id.startswith(key)] if len(key) >= 4 else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise NoSuchSnapshot(
            f"{wanted!r} is the start of {len(matches)} snapshot ids; give more of it"
        )
    raise NoSuchSnapshot(
        f"no snapshot {wanted!r} in the repository (see `restic-monitor snapshots`)"
    )

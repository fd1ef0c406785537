"""What a restore would do, read from the snapshot before anything is written.

Which of the snapshot's items a restore names, and which existing files in
the target it would replace: the CLI refuses on the second without
``--overwrite``, the restore window lists them for the user to confirm.
Only items whose name is already taken in the target are walked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from restic_monitor.restic.browse import BrowseError, Browser
from restic_monitor.restic.snapshots import Entry, Snapshot, literal_pattern
from restic_monitor.restore import compare, place


class NotInSnapshot(LookupError):
    def __init__(self, absent: list[str], snapshot: Snapshot) -> None:
        super().__init__(", ".join(absent))
        self.absent = absent
        self.snapshot = snapshot


@dataclass(frozen=True)
class Chosen:
    """A restore's snapshot (pinned to its id) and its items (empty: the whole snapshot)."""

    snapshot: Snapshot
    items: list[Entry]

    def roots(self) -> list[Entry]:
        """What lands in the target: the items, or the snapshot's backed-up paths."""
        if self.items:
            return self.items
        return [
            Entry(place.item_name(t), "dir", t, None, "")
            for t in (compare.tree_path(p) for p in self.snapshot.paths)
        ]


def locate(browser: Browser, wanted: str, paths: list[str]) -> Chosen:
    """The snapshot a restore means and the items it names, from one listing per folder
    they are in (restic opens the repository once per command, the slow part).

    The first listing also pins ``latest`` or a short id to one snapshot's full id.
    """
    trees = [compare.tree_path(p) for p in paths]
    by_parent: dict[str, list[str]] = {}
    for tree in trees:
        by_parent.setdefault(tree.rsplit("/", 1)[0] or "/", []).append(tree)
    snap_id = wanted
    snapshot: Snapshot | None = None
    found: dict[str, Entry] = {}
    for parent in by_parent or {"/": []}:
        try:
            listing = browser.ls(snap_id, parent)
        except BrowseError as exc:
            if " is not in snapshot " not in str(exc):
                raise
            continue
        snapshot = listing.snapshot
        assert snapshot is not None
        snap_id = snapshot.id
        found.update((e.path, e) for e in listing.entries)
    if snapshot is None:  # every folder named is absent from the snapshot
        snapshot = browser.snapshot(wanted)
    absent = [compare.disk_path(t) for t in trees if t not in found]
    if absent:
        raise NotInSnapshot(absent, snapshot)
    return Chosen(snapshot, [found[t] for t in trees])


def versions_of(browser: Browser, tree: str) -> list[compare.Version]:
    """Every distinct version of the file at ``tree`` across the snapshots, newest first
    (one ``restic find`` of its name, kept where the whole path is the file's)."""
    name = tree.rsplit("/", 1)[-1]
    if not name:
        return []
    return compare.versions(browser.find(literal_pattern(name)), browser.snapshots(), tree)


def planned_conflicts(
    browser: Browser, snap: Snapshot, items: list[Entry], target: Path
) -> list[Path]:
    """The files in the target that restoring the items there would replace."""
    found: list[Path] = []
    for item in items:
        dest = target / place.item_name(item.path)
        if not os.path.lexists(dest):
            continue
        if not item.is_dir or os.path.islink(dest) or not dest.is_dir():
            found.append(dest)
            continue
        for entry in browser.walk(snap.id, item.path):
            there = dest / entry.path[len(item.path) + 1 :]
            if not os.path.lexists(there):
                continue
            if not entry.is_dir or os.path.islink(there) or not there.is_dir():
                found.append(there)
    return found

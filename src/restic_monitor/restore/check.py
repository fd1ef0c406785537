"""What a restore would do, read from the snapshot before anything is written.

Which of the snapshot's items a restore names, and which existing files in
the target it would replace: the CLI refuses on the second without
``--overwrite``, the restore window lists them for the user to confirm.
Only items whose name is already taken in the target are walked.
"""

from __future__ import annotations

import os
from pathlib import Path

from restic_monitor.restic.browse import Browser
from restic_monitor.restic.snapshots import Entry, Snapshot
from restic_monitor.restore import compare, place


class NotInSnapshot(LookupError):
    def __init__(self, absent: list[str]) -> None:
        super().__init__(", ".join(absent))
        self.absent = absent


def resolve_items(browser: Browser, snap: Snapshot, wanted: list[str]) -> list[Entry]:
    """The snapshot's items a restore names (the whole snapshot: its backed-up paths)."""
    if not wanted:
        roots = [browser.entry(snap.id, compare.tree_path(p)) for p in snap.paths]
        found = [e for e in roots if e is not None]
        # A snapshot of relative paths keeps them from its top: take the top level then.
        return found or browser.ls(snap.id, "/").entries
    items, absent = [], []
    for path in wanted:
        tree = compare.tree_path(path)
        entry = browser.entry(snap.id, tree)
        if entry is None:
            absent.append(compare.disk_path(tree))
        else:
            items.append(entry)
    if absent:
        raise NotInSnapshot(absent)
    return items


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

"""``snapshots``, ``ls``, ``find``, ``versions``, ``missing``: what the repository holds.

Read-only, so they run beside a backup without waiting for it (and take no
lock). ``--json`` prints a list for scripts; the text is for people: times
in local time, sizes in binary units, folders first.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from restic_monitor.cli.common import CliError, profile_restic
from restic_monitor.exitcodes import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from restic_monitor.humanize import human_bytes
from restic_monitor.paths import Home
from restic_monitor.restic.browse import BrowseError, Browser, Tree
from restic_monitor.restic.snapshots import Entry, Snapshot
from restic_monitor.restore import compare
from restic_monitor.restore.check import versions_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    pass


def browser_for(args: argparse.Namespace, home: Home, what: str) -> Browser:
    return Browser(profile_restic(args, home, what, EXIT_USAGE)[0])


def local_time(iso: str) -> str:
    """A restic time as a person reads it here (what it says, when it is no time)."""
    from restic_monitor.isotime import local_minute

    return local_minute(iso) or iso[:16]


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")


def _table(rows: Sequence[Sequence[str]], right: Iterable[int] = ()) -> None:
    if not rows:
        return
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    right = set(right)
    for row in rows:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())


def _fail(exc: BrowseError) -> CliError:
    return CliError(str(exc), EXIT_FAILED)


def cmd_snapshots(args: argparse.Namespace, home: Home) -> int:
    browser = browser_for(args, home, "snapshots")
    try:
        snaps = browser.snapshots()
    except BrowseError as exc:
        raise _fail(exc) from None
    if args.json:
        _print_json([s.to_json() for s in snaps])
        return EXIT_OK
    if not snaps:
        print("No snapshots yet.")
        return EXIT_OK
    rows = [["ID", "Time", "Host", "Size", "Added", "Paths"]]
    for s in snaps:
        tags = f"  [{', '.join(s.tags)}]" if s.tags else ""
        rows.append([
            s.short_id, local_time(s.time), s.host,
            human_bytes(s.size) if s.size is not None else "",
            human_bytes(s.data_added) if s.data_added is not None else "",
            ", ".join(s.paths) + tags,
        ])  # fmt: skip
    _table(rows, right=(3, 4))
    print(f"{len(snaps)} snapshot{'s' if len(snaps) != 1 else ''}")
    return EXIT_OK


def _entry_rows(entries: Sequence[Entry]) -> list[list[str]]:
    marks = {"dir": "d", "file": "-", "symlink": "l", "other": "?"}
    return [
        [
            marks[e.type],
            local_time(e.mtime),
            human_bytes(e.size) if e.size is not None else "",
            e.name + ("/" if e.is_dir else ""),
        ]
        for e in entries
    ]


def cmd_ls(args: argparse.Namespace, home: Home) -> int:
    browser = browser_for(args, home, "ls")
    folder = Tree.normal(args.path) if args.path else "/"
    try:
        listing = browser.ls(args.snapshot, folder)
    except BrowseError as exc:
        raise _fail(exc) from None
    if args.json:
        _print_json([e.to_json() for e in listing.entries])
        return EXIT_OK
    snap = listing.snapshot
    assert snap is not None
    print(f"{folder} in snapshot {snap.short_id} of {local_time(snap.time)}:", file=sys.stderr)
    if not listing.entries:
        print("(empty folder)", file=sys.stderr)
    _table(_entry_rows(listing.entries), right=(2,))
    return EXIT_OK


def cmd_find(args: argparse.Namespace, home: Home) -> int:
    browser = browser_for(args, home, "find")
    try:
        matches = browser.find(args.pattern, args.snapshot)
        snaps = {s.id: s for s in browser.snapshots()}
    except BrowseError as exc:
        raise _fail(exc) from None
    matches.sort(key=lambda m: (-(snaps[m.snapshot_id].epoch if m.snapshot_id in snaps else 0),
                                m.entry.path))  # fmt: skip
    if args.json:
        out = []
        for m in matches:
            snap = snaps.get(m.snapshot_id)
            out.append({**m.to_json(), "snapshot_time": snap.time if snap else None})
        _print_json(out)
        return EXIT_OK
    if not matches:
        print(f"No file named {args.pattern!r} in the snapshots.", file=sys.stderr)
        return EXIT_OK
    rows = []
    for m in matches:
        snap = snaps.get(m.snapshot_id)
        rows.append([
            snap.short_id if snap else m.snapshot_id[:8],
            local_time(snap.time) if snap else "",
            human_bytes(m.entry.size) if m.entry.size is not None else "",
            m.entry.path + ("/" if m.entry.is_dir else ""),
        ])  # fmt: skip
    _table([["Snapshot", "Time", "Size", "Path"], *rows], right=(2,))
    return EXIT_OK


def cmd_versions(args: argparse.Namespace, home: Home) -> int:
    browser = browser_for(args, home, "versions")
    tree = compare.tree_path(args.file)
    try:
        found = versions_of(browser, tree)
    except BrowseError as exc:
        raise _fail(exc) from None
    if args.json:
        _print_json([v.to_json() for v in found])
        return EXIT_OK
    if not found:
        print(f"{compare.disk_path(tree)} is in none of the snapshots.", file=sys.stderr)
        return EXIT_FAILED
    print(f"{len(found)} version{'s' if len(found) != 1 else ''} of {compare.disk_path(tree)}:")
    rows = [["Snapshot", "Backed up", "Modified", "Size", "In snapshots"]]
    for v in found:
        held = f"{v.snapshots}" + (f" (until {v.last.short_id})" if v.snapshots > 1 else "")
        rows.append([v.first.short_id, local_time(v.first.time), local_time(v.mtime),
                     human_bytes(v.size) if v.size is not None else "", held])  # fmt: skip
    _table(rows, right=(3,))
    return EXIT_OK


def newest_holding(snaps: Sequence[Snapshot], tree: str) -> Snapshot | None:
    return next((s for s in snaps if compare.covers(s, tree)), None)


def cmd_missing(args: argparse.Namespace, home: Home) -> int:
    browser = browser_for(args, home, "missing")
    tree = compare.tree_path(args.folder)
    try:
        snaps = browser.snapshots()
        snap = browser.snapshot(args.snapshot) if args.snapshot else newest_holding(snaps, tree)
        if snap is None:
            raise CliError(f"no snapshot holds {compare.disk_path(tree)}", EXIT_FAILED)
        if browser.entry(snap.id, tree) is None:
            raise CliError(
                f"{compare.disk_path(tree)} is not in snapshot {snap.short_id}", EXIT_FAILED
            )
        gone = compare.missing(browser.walk(snap.id, tree))
    except BrowseError as exc:
        raise _fail(exc) from None
    if args.json:
        _print_json([{**m.to_json(), "snapshot": snap.id} for m in gone])
        return EXIT_OK
    where = compare.disk_path(tree)
    if not gone:
        print(f"Nothing is missing: everything snapshot {snap.short_id} "
              f"({local_time(snap.time)}) holds under {where} is on the disk.")  # fmt: skip
        return EXIT_OK
    print(f"Snapshot {snap.short_id} ({local_time(snap.time)}) holds {len(gone)} item(s) under "
          f"{where} that are gone from the disk:")  # fmt: skip
    for m in gone:
        extra = f"  ({m.files:,} files, {human_bytes(m.bytes)})" if m.entry.is_dir else ""
        size = f"  {human_bytes(m.bytes)}" if not m.entry.is_dir else ""
        print(f"  {m.disk_path}{os.sep if m.entry.is_dir else ''}{extra}{size}")
    print(
        f"Restore them with: restic-monitor restore {snap.short_id} "
        f"{' '.join(_quote(m.entry.path) for m in gone[:3])}{' ...' if len(gone) > 3 else ''} "
        "--target FOLDER",
        file=sys.stderr,
    )
    return EXIT_OK


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)

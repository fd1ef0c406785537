"""Putting restored files in place: through a staging folder, never half-way.

restic restores an item under its full path below the target (0.14 knows no
``snapshot:subfolder``), and before 0.17 it overwrites whatever is there.
So restic writes into a hidden staging folder inside the target (the same
filesystem, so every move is a rename) and only a finished restore is moved
into place: each item under its own name directly inside the target. A stop
or a failure removes the staging folder and leaves the target as it was.
Without ``overwrite`` nothing is moved when any file would replace one that
exists; with it, files are replaced one rename at a time (each whole, old or
new, never a mix) and files only the target has are kept.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from restic_monitor.platform.process import process_alive

STAGING_PREFIX = ".restic-monitor-restore-"
#: At most this many conflicts are named in a message (all are counted).
NAMED_CONFLICTS = 10


class Conflicts(Exception):
    """Files in the target that the restore would replace: nothing was written."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = list(paths)
        super().__init__(conflicts_message(self.paths))


def conflicts_message(paths: Sequence[Path]) -> str:
    shown = ", ".join(str(p) for p in paths[:NAMED_CONFLICTS])
    more = f" and {len(paths) - NAMED_CONFLICTS} more" if len(paths) > NAMED_CONFLICTS else ""
    return (
        f"{len(paths)} file{'s' if len(paths) != 1 else ''} in the target would be "
        f"overwritten: {shown}{more}. Nothing was written; restore into another folder, "
        "or give --overwrite to replace them."
    )


def item_name(tree_path: str) -> str:
    """The name an item gets in the target: its own (``/home/ana/docs`` -> ``docs``)."""
    name = tree_path.rstrip("/").rsplit("/", 1)[-1]
    return name or "snapshot"


def check_names(tree_paths: Iterable[str]) -> None:
    """Two items of one name would land on each other: say which."""
    seen: dict[str, str] = {}
    for path in tree_paths:
        name = item_name(path)
        if name in seen:
            raise ValueError(f"{seen[name]} and {path} would both be restored as {name}")
        seen[name] = path


def staged(staging: Path, tree_path: str) -> Path:
    """Where restic puts an item below the staging folder (its whole tree path)."""
    return staging.joinpath(*[p for p in tree_path.split("/") if p])


def whole_snapshot(staging: Path, roots: Sequence[str]) -> list[str]:
    """The items of a whole snapshot restored into the staging folder: its backed-up
    paths, or (a snapshot of relative paths, stored from its top) what is at the top."""
    found = [r for r in roots if _lexists(staged(staging, r))]
    if found:
        return found
    with os.scandir(staging) as entries:
        return sorted("/" + e.name for e in entries)


def make_staging(target: Path) -> Path:
    """A fresh staging folder inside the target (created, with its parents)."""
    target.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(target)
    return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=target))


def remove_staging(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def remove_stale_staging(target: Path) -> None:
    """Staging folders a restore left when its monitor was killed (its process is gone)."""
    with contextlib.suppress(OSError), os.scandir(target) as entries:
        for entry in entries:
            if not entry.name.startswith(STAGING_PREFIX):
                continue
            pid = entry.name[len(STAGING_PREFIX) :].split("-", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid)):
                shutil.rmtree(entry.path, ignore_errors=True)


def _lexists(path: Path) -> bool:
    return os.path.lexists(path)


def _is_real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def clashes(sources: Iterable[tuple[Path, Path]]) -> list[tuple[Path, Path]]:
    """Each existing destination that moving a source onto it would replace, with its source.

    A folder onto a folder merges: only its files (and links) that exist in the
    destination clash, and whatever is where one of its folders would go.
    """
    found: list[tuple[Path, Path]] = []
    for src, dest in sources:
        if not _lexists(dest):
            continue
        if not (_is_real_dir(src) and _is_real_dir(dest)):
            found.append((src, dest))
            continue
        for root, dirs, files in os.walk(src):
            rel = Path(root).relative_to(src)
            for name in [*files, *(d for d in dirs if os.path.islink(Path(root, d)))]:
                if _lexists(dest / rel / name):
                    found.append((Path(root, name), dest / rel / name))
            for name in list(dirs):
                there = dest / rel / name
                if _lexists(there) and not _is_real_dir(there):
                    found.append((Path(root, name), there))
                    dirs.remove(name)
    return found


def find_conflicts(sources: Iterable[tuple[Path, Path]]) -> list[Path]:
    """The existing files in the destinations that the sources would replace."""
    return [dest for _src, dest in clashes(sources)]


@dataclass(frozen=True)
class Placed:
    files: int
    bytes: int
    #: Where each item landed, in the order asked for.
    paths: tuple[Path, ...]


def measure(paths: Iterable[Path]) -> tuple[int, int]:
    """Files (not folders) and their bytes below the given paths."""
    files = size = 0
    for path in paths:
        if not _lexists(path):
            continue
        if not _is_real_dir(path):
            files += 1
            size += os.lstat(path).st_size
            continue
        for root, _dirs, names in os.walk(path):
            for name in names:
                try:
                    size += os.lstat(os.path.join(root, name)).st_size
                except OSError:
                    continue
                files += 1
    return files, size


def place(staging: Path, tree_paths: Sequence[str], target: Path, overwrite: bool) -> Placed:
    """Move each restored item from the staging folder into the target under its name.

    Raises :class:`Conflicts` (having moved nothing) when an existing file would
    be replaced without ``overwrite``; ``FileNotFoundError`` for an item restic
    did not restore.
    """
    pairs = [(staged(staging, p), target / item_name(p)) for p in tree_paths]
    for (src, _), path in zip(pairs, tree_paths, strict=True):
        if not _lexists(src):
            raise FileNotFoundError(f"{path} was not restored by restic")
    found = clashes(pairs)
    if found and not overwrite:
        raise Conflicts([dest for _src, dest in found])
    kinds_differ = [d for s, d in found if _is_real_dir(s) != _is_real_dir(d)]
    if kinds_differ:  # a file cannot replace a folder, nor a folder a file, by renaming
        shown = ", ".join(str(p) for p in kinds_differ[:NAMED_CONFLICTS])
        raise IsADirectoryError(
            f"{len(kinds_differ)} item(s) would replace a folder by a file or a file by a "
            f"folder: {shown}. Nothing was written; restore into another folder."
        )
    files, size = measure(src for src, _ in pairs)
    for src, dest in pairs:
        _move(src, dest)
    return Placed(files, size, tuple(dest for _, dest in pairs))


def _move(src: Path, dest: Path) -> None:
    if not _lexists(dest):
        os.rename(src, dest)  # one atomic step: the whole item appears at once
        return
    if _is_real_dir(src) and _is_real_dir(dest):
        info = os.lstat(src)
        for child in sorted(os.listdir(src)):
            _move(src / child, dest / child)
        with contextlib.suppress(OSError):
            os.utime(dest, ns=(info.st_atime_ns, info.st_mtime_ns))
        return
    os.replace(src, dest)  # the old file or the new one, never a part of either


def staged_bytes(staging: Path) -> tuple[int, int]:
    """Files and bytes restic has written so far (progress where restic reports none)."""
    return measure([staging])

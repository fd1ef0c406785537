"""How big the first backup will be, before it runs.

"Your selection is 212 GB" before the first backup tells a user that a
forgotten VM image or game library is in it, and how long the first run may
take; after it, it is too late. restic's own ``--dry-run`` reads every file,
so this walks the folders (sizes only), leaves out what restic would (the
exclude patterns as restic matches them, CACHEDIR.TAG folders, ``.nobackup``
folders) and stops at a deadline, saying the figure is a lower bound.
"""

from __future__ import annotations

import fnmatch
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

CACHEDIR_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"


@dataclass(frozen=True)
class Estimate:
    files: int
    bytes: int
    #: False when the deadline or a stop cut the walk short (a lower bound then).
    complete: bool
    #: Folders of the selection that do not exist.
    missing: tuple[str, ...] = ()


def matches(path: str, patterns: list[str]) -> bool:
    """restic's rule, closely: a pattern's components (``*`` within one component,
    ``**`` across them) match consecutive components of the path: from the root
    when the pattern starts with a separator, anywhere otherwise; a match of a
    folder leaves out everything below it."""
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    for raw in patterns:
        anchored = raw.startswith(("/", "\\"))
        want = [p for p in raw.replace("\\", "/").split("/") if p]
        if not want:
            continue
        starts = [0] if anchored else range(len(parts))
        for start in starts:
            if _match_from(parts[start:], want):
                return True
    return False


def _match_from(parts: list[str], want: list[str]) -> bool:
    """Do the path's first components match the pattern's components?"""
    if not want:
        return True
    if want[0] == "**":
        return any(_match_from(parts[i:], want[1:]) for i in range(len(parts) + 1))
    return (
        bool(parts) and fnmatch.fnmatchcase(parts[0], want[0]) and _match_from(parts[1:], want[1:])
    )


def _is_cache(folder: str) -> bool:
    try:
        with open(os.path.join(folder, "CACHEDIR.TAG"), "rb") as fh:
            return fh.read(len(CACHEDIR_SIGNATURE)) == CACHEDIR_SIGNATURE
    except OSError:
        return False


def estimate(
    folders: list[str],
    excludes: list[str],
    *,
    exclude_caches: bool = True,
    nobackup: bool = True,
    deadline_seconds: float = 30.0,
    stop: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Estimate:
    """Walk the selection's file sizes (symbolic links not followed, as restic)."""
    end = time.monotonic() + deadline_seconds
    files = size = 0
    missing = tuple(f for f in folders if not os.path.lexists(f))
    stack = [f for f in folders if f not in missing]
    seen = 0
    while stack:
        top = stack.pop()
        if matches(top, excludes):
            continue
        try:
            st = os.lstat(top)
        except OSError:
            continue
        if not os.path.isdir(top) or os.path.islink(top):
            files, size = files + 1, size + st.st_size
            continue
        if (exclude_caches and _is_cache(top)) or (
            nobackup and os.path.lexists(os.path.join(top, ".nobackup"))
        ):
            continue
        try:
            with os.scandir(top) as entries:
                for entry in entries:
                    path = entry.path
                    if matches(path, excludes):
                        continue
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(path)
                        else:
                            files += 1
                            size += entry.stat(follow_symlinks=False).st_size
                    except OSError:
                        continue
        except OSError:
            continue
        seen += 1
        if seen % 64 == 0:
            if progress is not None:
                progress(files, size)
            if time.monotonic() > end or (stop is not None and stop.is_set()):
                return Estimate(files, size, False, missing)
    return Estimate(files, size, True, missing)

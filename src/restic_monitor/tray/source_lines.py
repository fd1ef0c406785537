"""Keeping the tray from holding the source text of every module it imports.

Qt's binding replaces ``__import__``: for each module imported after it, it reads
the module's whole source with ``inspect.getsource`` (looking for its own feature
imports), and ``linecache`` then keeps every line as a string for the life of the
process. For the ~170 modules the tray loads after showing its icon that is about
5 MB, allocated between the modules' own objects, so that clearing the cache later
leaves the memory fragmented rather than handing it back (measured: the idle tray
was 5 MB larger). The tray never needs a cached source: a traceback reads its few
lines from the file again.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable
from typing import Any

_installed: list[Callable[..., list[str]]] = []


def keep_no_sources() -> None:
    """From now on, lines read from a source file are returned but not kept."""
    if _installed:
        return
    original = linecache.updatecache

    def updatecache(filename: str, module_globals: Any = None) -> list[str]:
        lines = original(filename, module_globals)
        linecache.cache.pop(filename, None)
        return lines

    _installed.append(original)
    linecache.updatecache = updatecache
    linecache.clearcache()  # what was read before (the interpreter's start-up)

"""The command line's restore commands: snapshots, ls, find, versions, missing, restore,
mount, unmount (their parsers, apart from the rest to keep each file short)."""

from __future__ import annotations

import argparse

#: Not typing.TYPE_CHECKING: importing typing costs every `status` 2 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Add = Callable[..., argparse.ArgumentParser]

RESTORE_COMMANDS = (
    "snapshots", "ls", "find", "versions", "missing", "restore", "mount", "unmount",
)  # fmt: skip


def add_restore_commands(add: Add, wanted: Callable[[str], bool]) -> None:
    def profile(p: argparse.ArgumentParser) -> None:
        p.add_argument("--profile", metavar="NAME", help="this profile (default: default)")

    def json_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--json", action="store_true", help="print a JSON list")

    def parser(name: str, func: str, **kwargs: Any) -> argparse.ArgumentParser:
        p = add(name, **kwargs)
        profile(p)
        p.set_defaults(func=func)
        return p

    if wanted("snapshots"):
        p = parser("snapshots", "browse:cmd_snapshots", help="list the snapshots, newest first")
        json_option(p)
    if wanted("ls"):
        p = parser("ls", "browse:cmd_ls", help="list one folder of a snapshot")
        p.add_argument("snapshot", metavar="SNAPSHOT", help="an id, a short id, or latest")
        p.add_argument("path", metavar="PATH", nargs="?", help="a folder (default: the top)")
        json_option(p)
    if wanted("find"):
        p = parser("find", "browse:cmd_find", help="find files by name in the snapshots")
        p.add_argument("pattern", metavar="PATTERN", help="a name or pattern, e.g. '*.odt'")
        p.add_argument("--snapshot", metavar="S", help="only this snapshot (default: all)")
        json_option(p)
    if wanted("versions"):
        p = parser("versions", "browse:cmd_versions", help="every distinct version of a file")
        p.add_argument("file", metavar="FILE", help="the file's path (as it was backed up)")
        json_option(p)
    if wanted("missing"):
        p = parser(
            "missing",
            "browse:cmd_missing",
            help="what the newest snapshot has under a folder that is gone from the disk",
        )
        p.add_argument("folder", metavar="FOLDER")
        p.add_argument("--snapshot", metavar="S", help="compare with this snapshot instead")
        json_option(p)
    if wanted("restore"):
        p = parser(
            "restore",
            "restore:cmd_restore",
            help="restore files and folders of a snapshot into a folder",
        )
        p.add_argument("snapshot", metavar="SNAPSHOT", help="an id, a short id, or latest")
        p.add_argument(
            "paths", metavar="PATH", nargs="*", help="what to restore (default: the whole snapshot)"
        )
        p.add_argument(
            "--target", required=True, metavar="DIR", help="each item lands in DIR under its name"
        )
        p.add_argument(
            "--overwrite",
            action="store_true",
            help="replace files that exist in DIR (without it, nothing is written if any would be)",
        )
        p.add_argument("--no-wait", action="store_true", help="return once the restore is queued")
    if wanted("mount"):
        p = parser("mount", "restore:cmd_mount", help="the repository as folders (FUSE)")
        p.add_argument("folder", metavar="DIR", help="an empty (or new) folder")
    if wanted("unmount"):
        p = parser("unmount", "restore:cmd_unmount", help="end a mount made by mount")
        p.add_argument("folder", metavar="DIR", nargs="?", help="default: every mount made here")

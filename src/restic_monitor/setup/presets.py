"""What to back up by default, and what never to: per operating system.

A first backup of a whole home that drags along 20 GB of browser caches,
the trash and every node_modules is slow, fills the repository and teaches
the user that backups are a burden. The groups here are what the wizard and
the prompts offer (each on or off); their patterns go to restic as
``--exclude``, expanded to this user's absolute paths, which restic matches
on every version. No group names a folder outside the home (such as /tmp):
a user who chooses such a folder means it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ExcludeGroup:
    key: str
    label: str
    patterns: tuple[str, ...]
    #: Ticked unless the user unticks it.
    default_on: bool = True


#: restic's own switches, offered as ticks: a CACHEDIR.TAG marks a cache
#: folder (browsers, build tools), a ``.nobackup`` file any folder to skip.
FLAG_EXCLUDE_CACHES = ("--exclude-caches",)
FLAG_NOBACKUP = ("--exclude-if-present", ".nobackup")


def default_folders(platform: str = sys.platform, home: Path | None = None) -> list[str]:
    """The whole home: the caches and trash below are left out, not the user's files."""
    return [str(home or Path.home())]


def exclude_groups(platform: str = sys.platform, home: Path | None = None) -> list[ExcludeGroup]:
    h = home or Path.home()

    def under(*parts: str) -> str:
        return str(h.joinpath(*parts))

    if platform == "win32":
        local = Path(os.environ.get("LOCALAPPDATA") or h / "AppData" / "Local")
        temp = str(local / "Temp")
        groups = [
            ExcludeGroup("temp", "Temporary files", (temp, "*.tmp", "~$*")),
            ExcludeGroup("trash", "Recycle Bin", ("$Recycle.Bin",)),
            ExcludeGroup("caches", "Caches of Windows and apps", (
                str(local / "Microsoft" / "Windows" / "INetCache"),
                str(local / "Microsoft" / "Windows" / "Explorer"),
                str(local / "CrashDumps"), str(local / "Packages" / "*" / "AC" / "INetCache"),
            )),
            ExcludeGroup("browsers", "Browser caches", (
                str(local / "Google" / "Chrome" / "User Data" / "*" / "Cache"),
                str(local / "Google" / "Chrome" / "User Data" / "*" / "Code Cache"),
                str(local / "Microsoft" / "Edge" / "User Data" / "*" / "Cache"),
                str(local / "Mozilla" / "Firefox" / "Profiles" / "*" / "cache2"),
            )),
            ExcludeGroup("system", "Files Windows recreates", (
                "pagefile.sys", "hiberfil.sys", "swapfile.sys", "NTUSER.DAT*", "UsrClass.dat*",
            )),
        ]  # fmt: skip
    elif platform == "darwin":
        groups = [
            ExcludeGroup("temp", "Temporary files", ("*.tmp",)),
            ExcludeGroup("trash", "Trash", (under(".Trash"),)),
            ExcludeGroup("caches", "Caches and logs of apps", (
                under("Library", "Caches"), under("Library", "Logs"),
                under("Library", "Containers", "*", "Data", "Library", "Caches"),
            )),
            ExcludeGroup("browsers", "Browser caches", (
                under("Library", "Application Support", "Google", "Chrome", "*", "Cache"),
                under("Library", "Application Support", "Firefox", "Profiles", "*", "cache2"),
            )),
            ExcludeGroup("system", "Files macOS recreates", (".DS_Store", ".Spotlight-V100",
                                                             ".fseventsd")),
        ]  # fmt: skip
    else:
        groups = [
            ExcludeGroup("temp", "Temporary files", ("*.tmp", "*.swp")),
            ExcludeGroup("trash", "Trash", (under(".local", "share", "Trash"),)),
            ExcludeGroup("caches", "Caches of apps (~/.cache, thumbnails)", (
                under(".cache"), under(".thumbnails"),
                under(".var", "app", "*", "cache"),
            )),
            ExcludeGroup("browsers", "Browser caches", (
                under(".mozilla", "firefox", "*", "cache2"),
                under(".config", "google-chrome", "*", "Cache"),
                under(".config", "chromium", "*", "Cache"),
            )),
            ExcludeGroup("system", "Downloaded again on demand (containers, games, Flatpak apps)", (
                under(".local", "share", "containers"), under(".local", "share", "Steam"),
                under(".local", "share", "flatpak", "repo"), under(".xsession-errors"),
            )),
        ]  # fmt: skip
    groups.append(
        ExcludeGroup(
            "development",
            "Dependencies and builds (node_modules, virtualenvs, __pycache__)",
            (
                "node_modules",
                ".venv",
                "venv",
                "__pycache__",
                ".tox",
                ".mypy_cache",
                ".gradle",
                ".terraform",
            ),
            default_on=False,
        )
    )
    return groups


def backup_args(
    folders: list[str],
    excludes: list[str],
    *,
    exclude_caches: bool = True,
    nobackup: bool = True,
) -> list[str]:
    """settings.json's ``args``: the flags, one --exclude per pattern, the folders."""
    flags = [*(FLAG_EXCLUDE_CACHES if exclude_caches else ()), *(FLAG_NOBACKUP if nobackup else ())]
    return ["backup", *flags, *(x for p in excludes for x in ("--exclude", p)), *folders]


def chosen_patterns(groups: list[ExcludeGroup], chosen: set[str]) -> list[str]:
    return [p for g in groups if g.key in chosen for p in g.patterns]

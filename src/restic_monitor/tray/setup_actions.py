"""The tray's ways into setting up: the first start, Set up a backup…, Settings….

A fresh home (no settings.json anywhere) opens the wizard by itself once the
engine is up: the person who just installed the app should not have to find
a menu entry or a JSON file. Whatever the wizard or the settings window
writes is applied by reloading the engine (a running backup goes on), and a
first backup asked for in the wizard is queued at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from restic_monitor.paths import DEFAULT_PROFILE, Home, valid_profile_name

log = logging.getLogger(__name__)


def is_fresh(home: Home) -> bool:
    """No profile has a settings.json yet: nothing was ever set up here."""
    names, _others = home.profile_folders()
    return not home.settings_json.exists() and not any(
        home.profile(n).settings_json.exists() for n in names
    )


def new_profile_name(home: Home) -> str | None:
    """``default`` on a fresh home; otherwise a name the user gives (None: cancelled)."""
    if is_fresh(home):
        return DEFAULT_PROFILE
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    taken = set(home.profile_names())
    suggestion = next(f"plan{i}" for i in range(2, 1000) if f"plan{i}" not in taken)
    while True:
        name, ok = QInputDialog.getText(
            None,
            "Set up a backup — restic-monitor",
            "A name for the new backup plan (letters, digits, - and _):",
            text=suggestion,
        )
        if not ok:
            return None
        name = name.strip()
        if valid_profile_name(name) and name not in taken:
            return name
        why = "is taken already" if name in taken else "cannot be a profile's name"
        QMessageBox.warning(None, "restic-monitor", f"{name!r} {why}; please choose another.")
        suggestion = name


def open_setup(
    windows: Any, home: Home, engine: Any, command: Callable[[str, Callable[[], object]], None]
) -> None:
    profile = new_profile_name(home)
    if profile is None:
        return

    def done(name: str, back_up_now: bool) -> None:
        def apply() -> object:
            problems = engine.reload(None)
            if back_up_now and not problems:
                engine.backup(name)
            return problems

        command("reload", apply)

    windows.setup_wizard(home, profile, "restic", done)


def open_settings(
    windows: Any,
    home: Home,
    status: Any,
    profile: str | None,
    command: Callable[[str, Callable[[], object]], None],
    engine: Any,
) -> None:
    names = [p.name for p in status.profiles] if status is not None else home.profile_names()
    chosen = profile if profile in names else (names[0] if names else DEFAULT_PROFILE)
    windows.settings(
        home, chosen, names or [chosen], lambda _name: command("reload", engine.reload)
    )

"""The tray's open windows: each imported when first opened, kept while it is open.

A tray that imported its windows at start-up would pay for charts and
viewers it may never show (start-up time and resident memory); Qt also keeps
no Python reference to a top-level window, so without this list an opened
window would be collected and vanish at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from restic_monitor.paths import Home


class OpenWindows:
    def __init__(self) -> None:
        self._open: list[Any] = []
        #: The problems window, while it is open (there is only one).
        self.problems: Any = None

    def history(self, home: Home, profile: str | None, known: list[str]) -> None:
        from restic_monitor.tray.history_window import HistoryWindow

        self._keep(HistoryWindow(home, profile=profile, profiles=known, open_log=self.log))

    def restore(
        self, engine: Any, home: Home, status: Any, profile: str | None, open_folder: Any
    ) -> bool:
        """A restore window for the profile (or the first one that can be read); False
        when no profile has a valid configuration."""
        usable = [p.name for p in status.profiles if not p.config_error] if status else []
        if not usable:
            return False
        from restic_monitor.tray.restore_window import RestoreWindow

        chosen: str = profile if profile is not None and profile in usable else usable[0]
        self._keep(RestoreWindow(engine, home, profile=chosen, profiles=usable,
                                 open_folder=open_folder))  # fmt: skip
        return True

    def settings(
        self, home: Home, profile: str, profiles: list[str], on_saved: Callable[[str], None]
    ) -> None:
        """The settings window of a profile; ``on_saved(profile)`` once it wrote the file."""
        from restic_monitor.tray.settings_window import SettingsWindow

        self._keep(SettingsWindow(home, profile, profiles, on_saved))

    def setup_wizard(self, home: Home, profile: str, restic_exe: str, on_done: Any) -> None:
        """The setup wizard for a profile; ``on_done(profile, back_up_now)`` once its
        files are written."""
        from PySide6.QtCore import Qt

        from restic_monitor.tray.setup_wizard import SetupWizard

        wizard = SetupWizard(home, profile, restic_exe, on_done=on_done)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._keep(wizard)

    def close_all(self) -> None:
        """The app quits: every window closes (a restore window unmounts its folder)."""
        for window in list(self._open):
            with contextlib.suppress(RuntimeError):
                window.close()

    def log(self, path: Path, title: str) -> None:
        from restic_monitor.tray.log_viewer import LogViewer

        self._keep(LogViewer(path, title))

    def show_problems(self) -> None:
        if self.problems is not None:
            self.problems.raise_()
            self.problems.activateWindow()
            return
        from restic_monitor.tray.problems_window import ProblemsWindow

        window = ProblemsWindow()
        window.destroyed.connect(lambda *_: setattr(self, "problems", None))
        self.problems = window
        self._keep(window)

    def update_problems(self, text: str, has_problems: bool) -> None:
        if self.problems is not None:
            self.problems.show_text(text, has_problems)

    def __len__(self) -> int:
        return len(self._open)

    def _keep(self, window: Any) -> None:
        self._open.append(window)
        window.destroyed.connect(lambda *_: self._forget(window))
        window.show()
        window.raise_()
        window.activateWindow()

    def _forget(self, window: Any) -> None:
        with contextlib.suppress(ValueError):
            self._open.remove(window)

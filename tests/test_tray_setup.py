"""The tray's ways into setup: the wizard on a fresh home's first start, Settings… from the menu.

What a new user meets: no JSON file to find, the wizard opens by itself and
its first backup really runs; a setting changed in the window is what the
engine uses next, without a restart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from PySide6.QtWidgets import QApplication

from restic_monitor.paths import Home
from restic_monitor.platform.idle import FileIdle
from restic_monitor.setup.connection import init_repository
from restic_monitor.setup.presets import backup_args
from restic_monitor.setup.write import settings_for, write_profile
from restic_monitor.tray.app import TrayApp
from restic_monitor.tray.setup_actions import is_fresh
from restic_monitor.tray.view import Action

from .conftest import SECRET, Repo, write_config


def _windows_of(app: TrayApp, name: str) -> list[Any]:
    return [w for w in app.windows._open if type(w).__name__ == name]


def _started(qapp: QApplication, home: Home, tmp_path: Path) -> TrayApp:
    idle = tmp_path / "idle"
    idle.write_text("0")
    app = TrayApp(qapp, home, FileIdle(idle), kill_after=2)
    assert app.daemon.lock.acquire()
    app.start()
    return app


def test_a_fresh_home_opens_the_wizard_and_the_first_backup_it_asks_for_runs(
    qapp: QApplication, qtbot: Any, home: Home, sample: Path, tmp_path: Path, restic_exe: str
) -> None:
    assert is_fresh(home)
    app = _started(qapp, home, tmp_path)
    try:
        qtbot.waitUntil(lambda: bool(_windows_of(app, "SetupWizard")), timeout=15_000)
        (wizard,) = _windows_of(app, "SetupWizard")
        # What the wizard's last page does once its answers are in (its pages are driven
        # in test_setup_wizard): a new repository, the two files, then on_done.
        where = tmp_path / "repo"
        env = {"RESTIC_REPOSITORY": str(where), "RESTIC_PASSWORD": SECRET}
        assert init_repository(restic_exe, env) is None
        write_profile(home, "default", env, settings_for(backup_args([str(sample)], []),
                                                         restic_exe))  # fmt: skip
        assert not is_fresh(home)
        wizard.on_done("default", True)
        repo = Repo(where, SECRET, restic_exe, env)
        qtbot.waitUntil(lambda: len(repo.snapshots()) == 1, timeout=60_000)
        assert app.engine.status().profiles[0].config_error is None
    finally:
        app.daemon.close()
        app.tray.hide()


def test_a_set_up_home_does_not_open_the_wizard_but_the_menu_does_for_a_new_plan(
    qapp: QApplication, qtbot: Any, home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"RESTIC_REPOSITORY": "/r", "RESTIC_PASSWORD": SECRET}
    write_config(home, {"args": ["backup", str(tmp_path)]}, env)
    app = _started(qapp, home, tmp_path)
    try:
        qtbot.waitUntil(lambda: app._status is not None, timeout=15_000)
        qapp.processEvents()
        assert _windows_of(app, "SetupWizard") == []
        from PySide6.QtWidgets import QInputDialog

        # A second plan needs a name: "default" is taken, so the first answer is refused.
        answers = iter([("default", True), ("laptop", True)])
        monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: next(answers))
        from PySide6.QtWidgets import QMessageBox

        refused: list[str] = []
        monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: refused.append(a[2]))
        app.perform(Action.SETUP)
        (wizard,) = _windows_of(app, "SetupWizard")
        assert wizard.answers.profile == "laptop"
        assert refused and "is taken already" in refused[0]
    finally:
        app.daemon.close()
        app.tray.hide()


def test_settings_from_the_menu_edits_the_profile_and_the_engine_uses_it_at_once(
    qapp: QApplication, qtbot: Any, home: Home, tmp_path: Path
) -> None:
    write_config(home, {"args": ["backup", str(tmp_path)], "min_idle_seconds": 300},
                 {"RESTIC_REPOSITORY": "/r", "RESTIC_PASSWORD": SECRET})  # fmt: skip
    app = _started(qapp, home, tmp_path)
    try:
        qtbot.waitUntil(lambda: app._status is not None, timeout=15_000)
        app.perform(Action.SETTINGS, "default")
        (window,) = _windows_of(app, "SettingsWindow")
        window.rows["min_idle_seconds"].field.edit.setText("15m")
        window.save_button.click()

        def engine_uses_it() -> bool:
            runtime = app.engine.scheduler.profiles["default"]
            return runtime.config is not None and runtime.config.settings.min_idle_seconds == 900

        qtbot.waitUntil(engine_uses_it, timeout=15_000)
    finally:
        app.daemon.close()
        app.tray.hide()

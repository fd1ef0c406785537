"""The Settings window (Qt offscreen; real files, the real restic, a real Secret Service).

Every setting has its control and its help; an edit saved changes that key
and nothing else; an invalid value is named next to it with the loader's
words and cannot be saved; what is saved loads; the Repository page tests
the connection with restic and moves the password to the keyring and back,
the backup working throughout. On a real X desktop the window is opened,
its pages visited and docs/screenshots/settings.png taken:

    RESTIC_MONITOR_SCREENSHOTS=docs/screenshots uv run pytest tests/test_settings_window.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from PySide6.QtWidgets import QApplication, QWidget

from restic_monitor.config.files import Problem
from restic_monitor.config.profile import load_config
from restic_monitor.config.setting_specs import SETTINGS
from restic_monitor.config.settings import parse_settings
from restic_monitor.paths import Home
from restic_monitor.setup.connection import Verdict
from restic_monitor.tray.open_windows import OpenWindows
from restic_monitor.tray.settings_window import SettingsWindow

from .conftest import SECRET, Repo, cli, files_containing, wait_until, write_config
from .desktop import Desktop
from .test_keyring import secret_service  # noqa: F401 - a fixture

SCHEMA = "file:///opt/restic-monitor/settings.schema.json"


def _open(home: Home, profile: str = "default", profiles: list[str] | None = None) -> Any:
    saved: list[str] = []
    window = SettingsWindow(home, profile, profiles or [profile], on_saved=saved.append)
    window.saved_profiles = saved  # type: ignore[attr-defined]
    window.show()
    return window


@pytest.fixture
def opened(qapp: QApplication, home: Home, tmp_path: Path) -> Iterator[Any]:
    windows: list[Any] = []

    def make(profile: str = "default", profiles: list[str] | None = None) -> Any:
        windows.append(_open(home, profile, profiles))
        return windows[-1]

    yield make
    for window in windows:

        def idle(w: Any = window) -> bool:
            return not w.background.running

        wait_until(idle, timeout=60)
        window.load()  # nothing unsaved: closing asks nothing
        window.close()


def _on_its_page(window: SettingsWindow, name: str, group: str) -> bool:
    widget: QWidget | None = window.rows[name].box
    while widget is not None:
        if widget is window.pages[group]:
            return True
        widget = widget.parentWidget()
    return False


def test_every_setting_has_a_control_on_its_page_and_its_help_text(
    opened: Any, home: Home, tmp_path: Path
) -> None:
    write_config(home, {"args": ["backup", str(tmp_path)]}, {})
    window = opened()
    assert set(window.rows) == {spec.name for spec in SETTINGS}
    for spec in SETTINGS:
        row = window.rows[spec.name]
        assert spec.meaning in row.help.text(), spec.name
        assert spec.meaning in row.field.widget.toolTip(), spec.name
        assert _on_its_page(window, spec.name, spec.group), spec.name
        assert row.problem.isHidden()
    assert window.save_button.isEnabled()
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert tabs == ["Schedule", "What to back up", "Notifications", "Maintenance", "Advanced",
                    "Repository"]  # fmt: skip
    assert window.windowTitle() == "Settings"
    assert not window.profile_box.isVisible()


def test_an_edit_saved_changes_that_key_and_nothing_else(
    opened: Any, home: Home, tmp_path: Path, qtbot: Any
) -> None:
    document = {
        "$schema": SCHEMA,
        "_comment": "mine: keep",
        "args": ["backup", "--exclude-caches", str(tmp_path)],
        "min_idle_seconds": 300,
        "notify_success": False,
    }
    write_config(home, document, {})
    before = json.loads(home.settings_json.read_text())  # as write_config wrote it
    window = opened()
    window.rows["min_idle_seconds"].field.edit.setText("15m")
    assert window.rows["min_idle_seconds"].field.words.text() == "= 15 min"
    window.save_button.click()
    qtbot.waitUntil(lambda: window.saved_profiles == ["default"], timeout=10_000)
    expected = json.dumps({**before, "min_idle_seconds": 900}, indent=2)
    assert home.settings_json.read_text() == expected  # byte for byte but that value
    assert window.status.text() == "Saved; the settings apply now."
    assert load_config(home, keyring=False).settings.min_idle_seconds == 900


def test_an_unknown_key_is_kept_and_named_but_does_not_stop_a_save(
    opened: Any, home: Home, tmp_path: Path, qtbot: Any
) -> None:
    write_config(home, {"args": ["backup", str(tmp_path)], "pause_secs": 60}, {})
    window = opened()
    assert "pause_secs: unknown setting, did you mean pause_seconds?" in window.banner.text()
    window.rows["notify_success"].field.box.setChecked(True)
    window.save()
    qtbot.waitUntil(lambda: bool(window.saved_profiles), timeout=10_000)
    saved = json.loads(home.settings_json.read_text())
    assert (saved["pause_secs"], saved["notify_success"]) == (60, True)


def test_a_value_in_the_wrong_form_is_named_before_a_save_rewrites_it(
    opened: Any, home: Home, tmp_path: Path, qtbot: Any
) -> None:
    """ "300" in quotes is not a number of seconds (the loader refuses it); the window
    reads it as 300, and says that saving writes it so before the user saves."""
    write_config(home, {"args": ["backup", str(tmp_path)], "min_idle_seconds": "300"}, {})
    window = opened()
    note = 'Saving also writes min_idle_seconds as 300 (settings.json has "300").'
    assert note in window.banner.text()
    window.rows["notify_success"].field.box.setChecked(True)
    window.save()
    qtbot.waitUntil(lambda: bool(window.saved_profiles), timeout=10_000)
    saved = json.loads(home.settings_json.read_text())
    assert (saved["min_idle_seconds"], saved["notify_success"]) == (300, True)
    assert note not in window.banner.text()  # the file has its right form now
    assert load_config(home, keyring=False).settings.min_idle_seconds == 300


def test_an_invalid_value_is_named_next_to_it_and_cannot_be_saved(
    opened: Any, home: Home, tmp_path: Path
) -> None:
    write_config(home, {"args": ["backup", str(tmp_path)]}, {})
    before = home.settings_json.read_bytes()
    window = opened()
    window.rows["stall_seconds"].field.edit.setText("-5")
    problems: list[Problem] = []
    parse_settings({"args": ["backup"], "stall_seconds": -5}, home.settings_json, problems)
    assert window.rows["stall_seconds"].problem.text() == "⚠ " + problems[0].message
    assert not window.rows["stall_seconds"].problem.isHidden()
    assert not window.save_button.isEnabled()
    assert window.tabs.tabText(2) == "⚠ Notifications"
    window.save()
    # Text that is no duration at all, a URL without its scheme, an unclosed quote.
    window.rows["stall_seconds"].field.edit.setText("5 parsecs")
    assert "cannot read duration" in window.rows["stall_seconds"].problem.text()
    window.rows["ntfy_url"].field.edit.setText("ntfy.sh/topic")
    assert window.rows["ntfy_url"].problem.text() == (
        "⚠ expected a URL starting with http:// or https://, got '***'."
    )  # a secret: not shown
    window.rows["forget_args"].field.edit.setText("--keep-daily '7")
    assert window.rows["forget_args"].problem.text() == "⚠ a quote is not closed"
    window.rows["forget_args"].field.edit.setText("--keep-dayly 7")
    assert "--keep-dayly" in window.rows["forget_args"].problem.text()
    assert not window.save_button.isEnabled()
    assert home.settings_json.read_bytes() == before
    window.rows["stall_seconds"].field.edit.setText("10m")
    assert window.rows["stall_seconds"].problem.isHidden()


def test_every_kind_of_control_saves_what_loads(
    opened: Any, home: Home, tmp_path: Path, qtbot: Any
) -> None:
    write_config(home, {"args": ["backup", "--exclude-caches", str(tmp_path / "a")]}, {})
    window = opened(profiles=["default", "cloud"])
    assert window.windowTitle() == "Settings (default)"
    assert window.profile_box.isVisible()
    fields = {name: row.field for name, row in window.rows.items()}
    fields["args"].folders.addItem(str(tmp_path / "b c"))
    fields["args"].rest.setText("backup --exclude-caches --one-file-system")
    fields["skip_on_battery"].box.setChecked(True)
    fields["keep_run_logs"].spin.setValue(12)
    fields["before_backup_failure"].combo.setCurrentText("continue")
    fields["forget_args"].edit.setText("--keep-daily 7 --keep-weekly 5")
    fields["before_backup_command"].edit.setText("sh -c 'pg_dump db > /tmp/db.sql'")
    fields["metrics_textfile"].edit.setText(str(tmp_path / "metrics.prom"))
    fields["healthcheck_url"].edit.setText("https://hc-ping.com/some-uuid")
    fields["copy_to_profile"].combo.setCurrentText("cloud")
    fields["check_every_seconds"].edit.setText("1d")
    assert window.save_button.isEnabled(), window.problems
    window.save()
    qtbot.waitUntil(lambda: bool(window.saved_profiles), timeout=10_000)
    settings = load_config(home, keyring=False).settings
    assert settings.args == ("backup", "--exclude-caches", "--one-file-system",
                             str(tmp_path / "a"), str(tmp_path / "b c"))  # fmt: skip
    assert settings.skip_on_battery and settings.keep_run_logs == 12
    assert settings.before_backup_failure == "continue"
    assert settings.forget_args == ("--keep-daily", "7", "--keep-weekly", "5")
    assert settings.before_backup_command == ("sh", "-c", "pg_dump db > /tmp/db.sql")
    assert settings.metrics_textfile == str(tmp_path / "metrics.prom")
    assert settings.healthcheck_url == "https://hc-ping.com/some-uuid"
    assert (settings.copy_to_profile, settings.check_every_seconds) == ("cloud", 86400)
    # The window shows the saved file as it is now: reopening shows the same.
    again = opened()
    assert again.rows["forget_args"].field.edit.text() == "--keep-daily 7 --keep-weekly 5"
    assert again.rows["check_every_seconds"].field.edit.text() == "1d"
    assert not again.dirty()


def test_an_edit_made_on_disk_meanwhile_is_not_overwritten_unasked(
    opened: Any, home: Home, tmp_path: Path, qtbot: Any
) -> None:
    write_config(home, {"args": ["backup", str(tmp_path)]}, {})
    window = opened()
    data = json.loads(home.settings_json.read_text())
    home.settings_json.write_text(json.dumps({**data, "pause_seconds": 7200}, indent=2))
    window.rows["min_idle_seconds"].field.edit.setText("10m")
    window.save()
    qtbot.waitUntil(window.overwrite_button.isVisible, timeout=10_000)
    assert "changed on disk" in window.banner.text()
    assert json.loads(home.settings_json.read_text())["pause_seconds"] == 7200
    window.overwrite_button.click()  # save anyway: this edit on top of that one
    qtbot.waitUntil(lambda: bool(window.saved_profiles), timeout=10_000)
    saved = json.loads(home.settings_json.read_text())
    assert (saved["pause_seconds"], saved["min_idle_seconds"]) == (7200, 600)
    assert not window.overwrite_button.isVisible()
    home.settings_json.write_text(json.dumps({**saved, "pause_seconds": 60}, indent=2))
    assert window.changed_on_disk()
    window.reload_button.click()
    assert window.rows["pause_seconds"].field.edit.text() == "1m"


def test_the_profile_chooser_shows_and_saves_the_chosen_profile(
    opened: Any, home: Home, tmp_path: Path, qtbot: Any
) -> None:
    write_config(home, {"args": ["backup", str(tmp_path)], "pause_seconds": 600}, {})
    cloud = home.profile("cloud")
    env = {"RESTIC_REPOSITORY": "s3:s3.amazonaws.com/bucket", "RESTIC_PASSWORD": "x" * 8}
    write_config(cloud, {"args": ["backup", str(tmp_path)], "pause_seconds": 7200}, env)
    window = opened(profiles=["default", "cloud"])
    assert window.rows["pause_seconds"].field.edit.text() == "10m"
    assert window.rows["copy_to_profile"].field.combo.findText("cloud") >= 0
    window.profile_box.setCurrentText("cloud")
    assert window.windowTitle() == "Settings (cloud)"
    assert window.rows["pause_seconds"].field.edit.text() == "2h"
    assert window.rows["copy_to_profile"].field.combo.findText("cloud") < 0
    assert window.rows["copy_to_profile"].field.combo.findText("default") >= 0
    assert window.repository.location.text() == "s3:s3.amazonaws.com/bucket"
    assert window.repository.kind.text().startswith("Amazon S3")
    window.rows["pause_seconds"].field.edit.setText("3h")
    window.save()
    qtbot.waitUntil(lambda: window.saved_profiles == ["cloud"], timeout=10_000)
    assert json.loads(cloud.settings_json.read_text())["pause_seconds"] == 10800
    assert json.loads(home.settings_json.read_text())["pause_seconds"] == 600


def test_the_tray_opens_it_and_keeps_it_while_it_is_open(
    qapp: QApplication, home: Home, tmp_path: Path, qtbot: Any
) -> None:
    write_config(home, {"args": ["backup", str(tmp_path)]}, {})
    windows = OpenWindows()
    windows.settings(home, "default", ["default"], lambda profile: None)
    assert len(windows) == 1
    windows.close_all()
    qtbot.waitUntil(lambda: len(windows) == 0, timeout=5_000)


def test_the_connection_test_says_whether_the_password_opens_the_repository(
    opened: Any, home: Home, repo: Repo, tmp_path: Path, qtbot: Any
) -> None:
    write_config(home, {"restic_exe": repo.exe, "args": ["backup", str(tmp_path)]}, repo.env)
    window = opened()
    page = window.repository
    assert page.location.text() == str(repo.path)
    assert page.kind.text() == "Local folder or external drive"
    assert page.password.text() == "in env.json (readable by you only)"
    page.test_button.click()
    ok = "✔ " + Verdict("ok").words(str(repo.path))
    qtbot.waitUntil(lambda: page.result.text() == ok, timeout=60_000)
    write_config(home, {"restic_exe": repo.exe, "args": ["backup", str(tmp_path)]},
                 {**repo.env, "RESTIC_PASSWORD": "not-the-password"})  # fmt: skip
    window.load()
    page.test_button.click()
    wrong = "✖ " + Verdict("wrong_password").words(str(repo.path))
    qtbot.waitUntil(lambda: page.result.text() == wrong, timeout=60_000)
    assert "not-the-password" not in page.result.text()


def test_a_connection_test_answered_after_a_profile_switch_stays_off_the_new_page(
    opened: Any, home: Home, repo: Repo, tmp_path: Path, qtbot: Any
) -> None:
    write_config(home, {"restic_exe": repo.exe, "args": ["backup", str(tmp_path)]}, repo.env)
    cloud = home.profile("cloud")
    write_config(cloud, {"args": ["backup", str(tmp_path)]},
                 {"RESTIC_REPOSITORY": "/elsewhere", "RESTIC_PASSWORD": "x" * 8})  # fmt: skip
    window = opened(profiles=["default", "cloud"])
    page = window.repository
    page.test_button.click()  # the default profile's repository
    window.profile_box.setCurrentText("cloud")
    assert page.location.text() == "/elsewhere"
    qtbot.waitUntil(lambda: not window.repository.background.running, timeout=60_000)
    assert page.result.text() == ""  # the default profile's answer is not shown as cloud's
    assert page.test_button.isEnabled()


def test_a_password_in_a_url_is_masked_and_the_location_shown(
    opened: Any, home: Home, tmp_path: Path
) -> None:
    location = "rest:https://me:hunter2-secret@backup.example.org:8000/laptop"
    write_config(home, {"args": ["backup", str(tmp_path)]},
                 {"RESTIC_REPOSITORY": location, "RESTIC_PASSWORD": "x" * 10})  # fmt: skip
    page = opened().repository
    assert page.location.text() == "rest:https://me:***@backup.example.org:8000/laptop"
    assert page.kind.text().startswith("REST server")


@pytest.mark.skipif(sys.platform != "linux", reason="Secret Service is Linux")
def test_the_password_moves_to_the_keyring_and_back_and_backups_keep_working(
    secret_service: dict[str, str],  # noqa: F811 - the fixture imported above
    opened: Any,
    home: Home,
    repo: Repo,
    sample: Path,
    qtbot: Any,
) -> None:
    import keyring
    from keyring.backends import SecretService

    previous = keyring.get_keyring()
    # This process chose its keyring backend before the Secret Service was started.
    keyring.set_keyring(SecretService.Keyring())  # type: ignore[no-untyped-call]
    try:
        write_config(home, {"restic_exe": repo.exe, "args": ["backup", str(sample)]}, repo.env)
        window = opened()
        page = window.repository
        assert page.to_keyring.isEnabled() and not page.to_file.isEnabled()
        page.to_keyring.click()
        qtbot.waitUntil(lambda: "now in the system keyring" in page.result.text(), timeout=30_000)
        assert json.loads(home.env_json.read_text())["RESTIC_PASSWORD"] == {
            "keyring": "restic-monitor default password"
        }
        assert page.password.text() == (
            "in the system keyring (entry “restic-monitor default password”)"
        )
        assert window.saved_profiles == ["default"]  # the tray reloads the profile
        assert page.to_file.isEnabled() and not page.to_keyring.isEnabled()
        assert os.stat(home.env_json).st_mode & 0o777 == 0o600
        done = cli(home, "backup")
        assert done.returncode == 0, done.stderr
        assert files_containing(home.root, SECRET) == []
        page.to_file.click()
        qtbot.waitUntil(lambda: "now in env.json" in page.result.text(), timeout=30_000)
        assert json.loads(home.env_json.read_text())["RESTIC_PASSWORD"] == SECRET
        assert keyring.get_password("restic-monitor", "restic-monitor default password") is None
        done = cli(home, "backup")
        assert done.returncode == 0, done.stderr
        assert len(repo.snapshots()) == 2
        # Moving a password that is not there says why, in words.
        page.move_password(False)
        qtbot.waitUntil(lambda: "Not moved" in page.result.text(), timeout=30_000)
        assert "is not kept in the keyring" in page.result.text()
    finally:
        keyring.set_keyring(previous)


# --- a real desktop -------------------------------------------------------------------

_SHOW = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from PySide6.QtWidgets import QApplication
    from restic_monitor.paths import Home
    from restic_monitor.tray.settings_window import SettingsWindow

    app = QApplication([])
    app.setApplicationDisplayName("restic-monitor")
    window = SettingsWindow(Home(Path(sys.argv[1])), "default", ["default"])
    window.tabs.currentChanged.connect(
        lambda i: print("page", window.tabs.tabText(i), flush=True))
    window.show()
    print("shown", flush=True)
    app.exec()
    """
)


def _line(app: subprocess.Popen[bytes], timeout: float = 20) -> str:
    """The window's next line on stdout (what it showed), not waiting forever for it:
    read unbuffered, a byte at a time, so that no line waits in a buffer unseen."""
    import select

    assert app.stdout is not None
    fd, out = app.stdout.fileno(), b""
    deadline = time.monotonic() + timeout
    while not out.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        byte = os.read(fd, 1) if ready else b""
        if not byte:
            raise AssertionError(f"the window said no more than {out!r} within {timeout} s")
        out += byte
    return out.decode().strip()


def test_the_window_on_a_real_desktop_with_its_pages_and_screenshot(
    desktop: Desktop, home: Home, repo: Repo, tmp_path: Path
) -> None:
    # The folders of the README's example (the window does not need them to exist).
    folders = ["/home/me/Documents", "/home/me/Pictures", "/home/me/Projects"]
    write_config(
        home,
        {"$schema": SCHEMA, "restic_exe": repo.exe, "args": ["backup", "--exclude-caches",
         "--exclude", "*.tmp", *folders], "forget_args": ["--keep-daily", "7"]},
        repo.env,
    )  # fmt: skip
    target = os.environ.get("RESTIC_MONITOR_SCREENSHOTS")
    shots = Path(target).absolute() if target else tmp_path / "screenshots"
    env = {k: v for k, v in desktop.env.items() if k != "RESTIC_MONITOR_HOME"}
    app = subprocess.Popen([sys.executable, "-c", _SHOW, str(home.root)], env=env, bufsize=0,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        assert _line(app) == "shown"
        ids = wait_until(lambda: desktop.window_ids("^Settings"), timeout=20)
        title = desktop.run(["xdotool", "getwindowname", ids[0]]).stdout.strip()
        assert title == "Settings — restic-monitor"
        desktop.run(["xdotool", "windowfocus", "--sync", ids[0]], check=False)
        visited = []
        for _ in range(6):  # every page once, back to the first
            desktop.key("ctrl+Tab")
            visited.append(_line(app).split(" ", 1)[1])
        assert visited == ["What to back up", "Notifications", "Maintenance", "Advanced",
                           "Repository", "Schedule"]  # fmt: skip
        geometry = desktop.run(["xdotool", "getwindowgeometry", "--shell", ids[0]]).stdout
        box = dict(line.split("=", 1) for line in geometry.split() if "=" in line)
        crop = f"{box['WIDTH']}x{box['HEIGHT']}+{box['X']}+{box['Y']}"
        desktop.key("ctrl+Tab")  # the backup command's page, the one people come for
        assert _line(app) == "page What to back up"
        time.sleep(1.0)  # let the page paint
        shot = desktop.screenshot(shots / "settings.png", crop)
        assert shot.stat().st_size > 10_000
    finally:
        app.terminate()
        app.wait(30)

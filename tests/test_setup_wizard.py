"""The setup wizard (Qt offscreen) driven page by page against the real restic.

It creates a repository in a new folder and the profile then backs up for
real; a wrong password says so, writes nothing and is fixed by going Back;
the size shown follows the selection; existing files are replaced only when
asked; the window keeps answering while restic is slow; the keyring keeps
the password when chosen.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWizard

from restic_monitor.paths import Home
from restic_monitor.tray.setup_wizard import SetupWizard, run_wizard

from .conftest import SECRET, FakeRestic, Repo, cli, files_containing, write_config
from .desktop import Desktop
from .test_keyring import secret_service  # the real Secret Service on a private bus
from .test_tray_desktop import shots  # where the screenshots go

__all__ = ["secret_service", "shots"]

Done = list[tuple[str, bool]]


@pytest.fixture
def done() -> Done:
    return []


@pytest.fixture
def make_wizard(qapp: QApplication, home: Home, done: Done) -> Iterator[Any]:
    made: list[SetupWizard] = []

    def make(restic_exe: str) -> SetupWizard:
        wizard = SetupWizard(home, "default", restic_exe, on_done=lambda p, n: done.append((p, n)))
        wizard.show()
        made.append(wizard)
        return wizard

    yield make
    for wizard in made:
        wizard.hide()
        wizard.folders_page.cleanupPage()


def press(wizard: SetupWizard, which: QWizard.WizardButton) -> None:
    button = wizard.button(which)
    assert button.isVisible() and button.isEnabled(), f"{which} is not there to press"
    button.click()


NEXT, BACK, FINISH = (QWizard.WizardButton.NextButton, QWizard.WizardButton.BackButton,
                      QWizard.WizardButton.FinishButton)  # fmt: skip


def to_the_folders(wizard: SetupWizard, where: Path, password: str) -> None:
    """Through the first three pages: a local folder, the password."""
    assert wizard.currentPage() is wizard.kind_page
    wizard.kind_page.choose("local")
    press(wizard, NEXT)
    assert wizard.currentPage() is wizard.fields_page
    wizard.fields_page.set_values(path=str(where))
    press(wizard, NEXT)
    assert wizard.currentPage() is wizard.password_page
    wizard.password_page.password.setText(password)
    press(wizard, NEXT)
    assert wizard.currentPage() is wizard.folders_page


def choose(wizard: SetupWizard, folder: Path) -> None:
    """The folder alone, the presets as offered."""
    wizard.folders_page.set_folders([str(folder)])


def to_the_test(wizard: SetupWizard, where: Path, password: str, folder: Path) -> None:
    to_the_folders(wizard, where, password)
    choose(wizard, folder)
    press(wizard, NEXT)
    assert wizard.currentPage() is wizard.test_page


def tree_size(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def test_a_new_local_folder_is_created_written_and_backed_up_for_real(
    make_wizard: Any, home: Home, sample: Path, tmp_path: Path, restic_exe: str, qtbot: Any,
    done: Done,
) -> None:  # fmt: skip
    where = tmp_path / "backups" / "restic"
    wizard = make_wizard(restic_exe)
    # A required field left empty: the page stays, the message names the field.
    press(wizard, NEXT)
    press(wizard, NEXT)
    assert wizard.currentPage() is wizard.fields_page
    assert wizard.fields_page.error.text().startswith("Folder: required")
    press(wizard, BACK)
    to_the_test(wizard, where, SECRET, sample)
    page = wizard.test_page
    qtbot.waitUntil(page.create_row.isVisible, timeout=60_000)
    assert page.words.text() == f"There is no repository at {where} yet."
    assert not wizard.button(NEXT).isEnabled()
    page.confirm.setText("not the same")
    page.create_button.click()
    assert page.error.text() == "That is not the same password."
    assert not where.exists()
    page.confirm.setText(SECRET)
    page.create_button.click()
    qtbot.waitUntil(lambda: page.verdict is not None and page.verdict.ok, timeout=120_000)
    assert page.words.text() == f"The repository at {where} opens with this password."
    assert not home.env_json.exists(), "nothing is written before Next"
    press(wizard, NEXT)
    qtbot.waitUntil(lambda: wizard.answers.written is not None, timeout=30_000)
    assert wizard.currentPage() is wizard.done_page
    assert str(home.env_json) in wizard.done_page.words.text()
    assert wizard.done_page.back_up_now.isChecked()
    press(wizard, FINISH)
    assert done == [("default", True)]

    env = json.loads(home.env_json.read_text())
    assert env == {"RESTIC_REPOSITORY": str(where), "RESTIC_PASSWORD": SECRET}
    assert stat.S_IMODE(os.stat(home.env_json).st_mode) == 0o600
    settings = json.loads(home.settings_json.read_text())
    assert settings["restic_exe"] == restic_exe and "$schema" in settings
    args = settings["args"]
    assert args[0] == "backup" and args[-1] == str(sample)
    assert "--exclude-caches" in args and ".nobackup" in args
    backup = cli(home, "backup")
    assert backup.returncode == 0, backup.stderr
    check = Repo(where, SECRET, restic_exe, env)
    snapshots = check.snapshots()
    assert len(snapshots) == 1 and snapshots[0]["paths"] == [str(sample)]
    listed = check.run("ls", "latest").stdout.splitlines()
    assert {str(sample / "docs" / "deep" / "b.bin"), str(sample / "ünïcode name.txt")} <= set(
        listed
    )


def test_a_wrong_password_says_so_writes_nothing_and_back_fixes_it(
    make_wizard: Any, home: Home, repo: Repo, sample: Path, restic_exe: str, qtbot: Any
) -> None:
    wizard = make_wizard(restic_exe)
    to_the_test(wizard, repo.path, "not-the-password", sample)
    page = wizard.test_page
    qtbot.waitUntil(lambda: page.verdict is not None, timeout=60_000)
    assert page.verdict is not None and page.verdict.reason == "wrong_password"
    assert page.words.text() == f"The password does not open the repository at {repo.path}."
    assert "Go Back to the password page" in page.next_step.text()
    assert page.said.text().startswith("restic: ")
    assert not page.create_row.isVisible()
    assert not wizard.button(NEXT).isEnabled()
    assert not home.env_json.exists() and not home.settings_json.exists()
    for _ in range(2):
        press(wizard, BACK)
    assert wizard.currentPage() is wizard.password_page
    wizard.password_page.password.setText(repo.password)
    press(wizard, NEXT)
    press(wizard, NEXT)
    qtbot.waitUntil(lambda: page.verdict is not None and page.verdict.ok, timeout=60_000)
    press(wizard, NEXT)
    qtbot.waitUntil(home.env_json.exists, timeout=30_000)
    assert json.loads(home.env_json.read_text())["RESTIC_PASSWORD"] == repo.password


def test_existing_files_are_replaced_only_when_asked(
    make_wizard: Any, home: Home, repo: Repo, sample: Path, restic_exe: str, qtbot: Any,
    done: Done,
) -> None:  # fmt: skip
    write_config(home, {"args": ["backup", "/the/old/one"]}, {"RESTIC_REPOSITORY": "/old"})
    before = home.settings_json.read_text()
    wizard = make_wizard(restic_exe)
    to_the_test(wizard, repo.path, repo.password, sample)
    page = wizard.test_page
    qtbot.waitUntil(lambda: page.verdict is not None and page.verdict.ok, timeout=60_000)
    press(wizard, NEXT)
    last = wizard.done_page
    qtbot.waitUntil(last.replace.isVisible, timeout=30_000)
    assert "exist already" in last.words.text()
    assert home.settings_json.read_text() == before
    assert not wizard.button(FINISH).isEnabled()
    last.replace.click()
    qtbot.waitUntil(lambda: wizard.answers.written is not None, timeout=30_000)
    assert json.loads(home.settings_json.read_text())["args"][-1] == str(sample)
    last.back_up_now.setChecked(False)
    press(wizard, FINISH)
    assert done == [("default", False)]


def test_the_size_follows_the_selection(
    make_wizard: Any, sample: Path, tmp_path: Path, qtbot: Any
) -> None:
    wizard = make_wizard("restic")
    to_the_folders(wizard, tmp_path / "repo", "pw")
    page = wizard.folders_page
    choose(wizard, sample)
    files, size = tree_size(sample)

    qtbot.waitUntil(lambda: page.estimate is not None, timeout=10_000)
    found = page.estimate
    assert found is not None
    assert (found.files, found.bytes, found.complete) == (files, size, True)
    assert page.size_label.text() == f"The first backup reads {files:,} files, " + (
        f"{size / 1024:.1f} KiB."
    )
    page.patterns.setText("*.bin")
    assert page.size_label.text() == "Counting…"
    qtbot.waitUntil(lambda: page.estimate is not None, timeout=10_000)
    assert page.estimate is not None
    assert page.estimate.bytes == size - 300_000 and page.estimate.files == files - 1
    page.patterns.clear()
    (sample / "docs" / ".nobackup").write_bytes(b"")
    page.nobackup.setChecked(True)  # already ticked: the file alone changes nothing here…
    page.add_folder(str(tmp_path / "gone"))  # …a change of the selection walks again
    qtbot.waitUntil(lambda: page.estimate is not None, timeout=10_000)
    assert page.estimate is not None
    assert page.estimate.files == 2 and page.estimate.missing == (str(tmp_path / "gone"),)
    assert "Not found: " in page.size_label.text()
    page.nobackup.setChecked(False)
    qtbot.waitUntil(lambda: page.estimate is not None, timeout=10_000)
    assert page.estimate is not None and page.estimate.files == files + 1  # .nobackup itself

    # A walk cut short is a lower bound, and says so.
    many = tmp_path / "many"
    for i in range(200):
        (many / f"d{i}").mkdir(parents=True)
    page.estimator.deadline = 0
    page.set_folders([str(many)])
    qtbot.waitUntil(lambda: page.estimate is not None, timeout=10_000)
    assert page.estimate is not None and not page.estimate.complete
    assert "at least" in page.size_label.text()


def test_the_window_keeps_answering_while_restic_tests_the_connection(
    make_wizard: Any, fake_restic: FakeRestic, sample: Path, tmp_path: Path, qtbot: Any
) -> None:
    fake_restic.plan(cat_sleep=3)
    wizard = make_wizard(str(fake_restic.exe))
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    started = time.monotonic()
    to_the_test(wizard, tmp_path / "repo", "pw", sample)
    assert time.monotonic() - started < 1.5, "pressing Next waited for restic"
    page = wizard.test_page
    assert page.busy.isVisible() and page.words.text().startswith("Testing the connection")
    qtbot.waitUntil(lambda: page.verdict is not None, timeout=20_000)
    timer.stop()
    assert page.verdict is not None and page.verdict.ok and not page.busy.isVisible()
    assert time.monotonic() - started >= 3
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) > 60 and max(gaps) < 0.5, (len(ticks), max(gaps))


def test_cancelling_the_standalone_wizard_writes_nothing_and_returns_1(
    qapp: QApplication, home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    def cancel() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, SetupWizard) and widget.isVisible():
                widget.reject()
                return
        QTimer.singleShot(50, cancel)

    QTimer.singleShot(50, cancel)
    assert run_wizard(home, "default", "restic") == 1
    assert "nothing was written" in capsys.readouterr().err
    assert not home.env_json.exists()


def test_setup_without_options_opens_the_wizard_when_a_display_is_there(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    from restic_monitor.cli import setup_prompts
    from restic_monitor.tray import setup_wizard

    opened: list[tuple[Home, str, str]] = []

    def run_wizard(home: Home, profile: str, restic_exe: str) -> int:
        opened.append((home, profile, restic_exe))
        return 0

    monkeypatch.setattr(setup_wizard, "run_wizard", run_wizard)
    args = argparse.Namespace(no_gui=False, restic_exe="/opt/restic", force=False, init=False)
    assert setup_prompts.interactive_setup(args, home, "laptop") == 0
    assert opened == [(home, "laptop", "/opt/restic")]


@pytest.fixture
def keyring_service(secret_service: dict[str, str]) -> Iterator[dict[str, str]]:
    """The keyring package weighs its backends once per process (before this bus was
    there): the Secret Service is named, and the failing backend put back after."""
    import keyring
    import keyring.backends.fail
    import keyring.backends.SecretService

    keyring.set_keyring(keyring.backends.SecretService.Keyring())  # type: ignore[no-untyped-call]
    yield secret_service
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]


@pytest.mark.skipif(sys.platform != "linux", reason="Secret Service is Linux")
def test_the_password_kept_in_the_keyring_never_lands_in_a_file(
    keyring_service: dict[str, str], make_wizard: Any, home: Home, repo: Repo, sample: Path,
    restic_exe: str, qtbot: Any,
) -> None:  # fmt: skip
    wizard = make_wizard(restic_exe)
    choice, note = wizard.password_page.in_keyring, wizard.password_page.keyring_note
    qtbot.waitUntil(lambda: "keyring" in note.text() and "Looking" not in note.text())
    assert choice.isEnabled(), note.text()
    choice.setChecked(True)
    to_the_test(wizard, repo.path, repo.password, sample)
    page = wizard.test_page
    qtbot.waitUntil(lambda: page.verdict is not None and page.verdict.ok, timeout=60_000)
    press(wizard, NEXT)
    qtbot.waitUntil(lambda: wizard.answers.written is not None, timeout=30_000)
    assert "system keyring" in wizard.done_page.words.text()
    env = json.loads(home.env_json.read_text())
    assert env["RESTIC_PASSWORD"] == {"keyring": "restic-monitor default password"}
    assert files_containing(home.root, repo.password) == []
    backup = cli(home, "backup")
    assert backup.returncode == 0, backup.stderr


def test_without_a_keyring_the_choice_is_not_offered(
    make_wizard: Any, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    import keyring
    import keyring.backends.fail

    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    wizard = make_wizard("restic")
    page = wizard.password_page
    qtbot.waitUntil(lambda: page.keyring_note.text().startswith("Not available"), timeout=15_000)
    assert not page.in_keyring.isEnabled() and page.in_file.isChecked()


@pytest.mark.skipif(sys.platform != "linux", reason="Xvfb and xdotool")
def test_the_wizard_on_a_real_desktop_to_the_last_page_and_its_screenshots(
    desktop: Desktop, sample: Path, restic_exe: str, shots: Path
) -> None:
    top = Path(tempfile.mkdtemp(prefix="rm-"))  # short paths, for the screenshots' sake
    try:
        _on_the_desktop(desktop, top, sample, restic_exe, shots)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _on_the_desktop(
    desktop: Desktop, top: Path, sample: Path, restic_exe: str, shots: Path
) -> None:
    home, where, documents = Home(top / "home"), top / "backup-drive" / "restic", top / "Documents"
    shutil.copytree(sample, documents)
    sample = documents
    driver = Path(__file__).with_name("wizard_driver.py")
    env = {k: v for k, v in desktop.env.items() if k != "RESTIC_MONITOR_HOME"}
    proc = subprocess.Popen(
        [sys.executable, str(driver), str(home.root), str(where), str(sample), restic_exe],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    taken: list[Path] = []
    said: list[str] = []
    for line in proc.stdout:
        said.append(line.strip())
        words = line.split()
        if words[0] == "shot":
            name, (x, y, w, h) = words[1], words[2:]
            taken.append(desktop.screenshot(shots / f"setup-{name}.png", crop=f"{w}x{h}+{x}+{y}"))
            proc.stdin.write("taken\n")
            proc.stdin.flush()
        elif words[0] == "finish":
            desktop.click(int(words[1]), int(words[2]))  # a real click on Finish
    assert proc.wait(30) == 0, said
    assert said[-1] == "on_done default True"
    assert [p.name for p in taken] == ["setup-repository.png", "setup-folders.png",
                                       "setup-done.png"]  # fmt: skip
    assert all(p.stat().st_size > 10_000 for p in taken)
    assert json.loads(home.env_json.read_text())["RESTIC_REPOSITORY"] == str(where)
    assert "*.iso" in json.loads(home.settings_json.read_text())["args"]


def test_the_first_backup_asked_for_outlives_the_wizard_and_lands_in_the_repository(
    home: Home, sample: Path, tmp_path: Path, restic_exe: str
) -> None:
    from restic_monitor.setup.connection import init_repository
    from restic_monitor.setup.presets import backup_args
    from restic_monitor.setup.write import settings_for, write_profile
    from restic_monitor.tray.setup_wizard import start_backup

    where = tmp_path / "repo"
    env = {"RESTIC_REPOSITORY": str(where), "RESTIC_PASSWORD": SECRET}
    assert init_repository(restic_exe, env) is None
    write_profile(home, "laptop", env, settings_for(backup_args([str(sample)], []), restic_exe))
    proc = start_backup(home, "laptop")
    assert proc.wait(120) == 0
    snapshots = Repo(where, SECRET, restic_exe, env).snapshots()
    assert len(snapshots) == 1 and snapshots[0]["paths"] == [str(sample)]
    assert home.profile("laptop").last_log.exists()  # its log is where the tray shows it

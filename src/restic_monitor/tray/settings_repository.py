"""The settings window's Repository page: where the backups go, and is it reachable.

It shows the location as restic gets it (a password inside a URL masked,
the rest visible so that a typo can be seen), its kind, and where the
password is kept; it re-tests the connection with the setup's own test and
moves the password between env.json and the system keyring. restic and the
keyring can take seconds (a server that does not answer, a keyring that asks
to be unlocked), so both run in a background thread; the page only shows
what they said.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from restic_monitor.config.files import Problem, read_json_object
from restic_monitor.paths import ProfileFiles
from restic_monitor.restic.masking import Redactor, secrets_of
from restic_monitor.setup.kinds import kind_of
from restic_monitor.setup.write import PASSWORD, keyring_entry
from restic_monitor.tray.background import Background


def _strings(raw: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in raw.items() if isinstance(v, str)}


def location_words(raw: dict[str, Any]) -> str:
    """RESTIC_REPOSITORY with every secret of env.json masked (the location stays)."""
    env = _strings(raw)
    redact = Redactor(secrets_of(env)).text
    if env.get("RESTIC_REPOSITORY"):
        return redact(env["RESTIC_REPOSITORY"])
    if env.get("RESTIC_REPOSITORY_FILE"):
        return f"the one named in {redact(env['RESTIC_REPOSITORY_FILE'])}"
    return ""


def password_words(raw: dict[str, Any]) -> tuple[str, str]:
    """(where the password is, in words; "file", "keyring" or "" when it cannot be moved)."""
    value = raw.get(PASSWORD)
    if isinstance(value, dict):
        return f"in the system keyring (entry “{value.get('keyring')}”)", "keyring"
    if isinstance(value, str) and value:
        return "in env.json (readable by you only)", "file"
    if raw.get("RESTIC_PASSWORD_FILE"):
        return "in the file named by RESTIC_PASSWORD_FILE", ""
    if raw.get("RESTIC_PASSWORD_COMMAND"):
        return "given by the command RESTIC_PASSWORD_COMMAND", ""
    return "env.json gives no password", ""


def check_connection(paths: ProfileFiles, restic_exe: str) -> tuple[bool, str]:
    """(ok, the verdict in words): the setup's connection test with this profile's env.

    Runs in a background thread: it may ask the keyring and waits for restic."""
    from restic_monitor.config.profile import load_env
    from restic_monitor.restic.command import ResticUnavailable, find_restic
    from restic_monitor.setup.connection import test_connection

    problems: list[Problem] = []
    # load_config's own reader of env.json: settings.json being mid-edit (or invalid)
    # must not stop the test of where the backups go.
    env = load_env(paths, problems)
    if env is None:
        return False, "\n".join(str(p) for p in problems)  # no problem quotes a value
    try:
        exe = find_restic(restic_exe)
    except ResticUnavailable as exc:
        return False, exc.message
    where = location_words(dict(env)) or "the repository"
    verdict = test_connection(exe, env)
    return verdict.ok, verdict.words(where)


def moved_words(paths: ProfileFiles, profile: str, to_keyring: bool) -> str:
    """Move the password (in a background thread); the outcome in words."""
    from restic_monitor.setup.write import move_password

    move_password(paths, profile, to_keyring)
    if to_keyring:
        return (
            f"The password is now in the system keyring (entry “{keyring_entry(profile)}”); "
            "env.json only names it."
        )
    return "The password is now in env.json (readable by you only); the keyring entry is gone."


class RepositoryPage(QWidget):
    def __init__(
        self,
        restic_exe: Callable[[], str],
        moved: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.restic_exe, self.moved = restic_exe, moved
        self.paths: ProfileFiles | None = None
        self.profile = ""
        self.storage = ""
        self.background = Background(self)
        self.background.done.connect(self._done)
        form = QFormLayout()
        self.location = QLabel(self)
        self.kind = QLabel(self)
        self.password = QLabel(self)
        for label in (self.location, self.kind, self.password):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Location:", self.location)
        form.addRow("Kind:", self.kind)
        form.addRow("Password:", self.password)
        buttons = QHBoxLayout()
        self.test_button = QPushButton("Test connection", self)
        self.test_button.clicked.connect(self.test)
        self.to_keyring = QPushButton("Move password to keyring", self)
        self.to_keyring.clicked.connect(lambda: self.move_password(True))
        self.to_file = QPushButton("Move password to env.json", self)
        self.to_file.clicked.connect(lambda: self.move_password(False))
        for button in (self.test_button, self.to_keyring, self.to_file):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.result = QLabel(self)
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        about = QLabel(
            "Where the backups go is kept in env.json, which only you can read; the password "
            "there or in the system keyring. To use another repository, run the setup again.",
            self,
        )
        about.setWordWrap(True)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addLayout(buttons)
        column.addWidget(self.result)
        column.addStretch(1)
        column.addWidget(about)

    def show_profile(self, paths: ProfileFiles, profile: str) -> None:
        """Read env.json (small, no keyring lookup) and show what it says."""
        self.paths, self.profile = paths, profile
        self.result.setText("")
        problems: list[Problem] = []
        raw = read_json_object(paths.env_json, problems, secret=True)
        if raw is None:
            self.location.setText("; ".join(p.message for p in problems))
            self.kind.setText("")
            self.password.setText("")
            self.storage = ""
        else:
            where = location_words(raw)
            self.location.setText(where or "env.json names no repository (RESTIC_REPOSITORY)")
            kind = kind_of(_strings(raw).get("RESTIC_REPOSITORY", ""))
            self.kind.setText(kind.label if where else "")
            words, self.storage = password_words(raw)
            self.password.setText(words)
        self._enable()

    def _enable(self) -> None:
        busy = bool(self.background.running)
        self.test_button.setEnabled(not busy and self.paths is not None)
        self.to_keyring.setEnabled(not busy and self.storage == "file")
        self.to_file.setEnabled(not busy and self.storage == "keyring")

    def test(self) -> None:
        paths, exe = self.paths, self.restic_exe()
        if paths is None:
            return
        self.result.setText("Testing the connection…")
        self.background.run(f"test:{self.profile}", lambda: check_connection(paths, exe))
        self._enable()

    def move_password(self, to_keyring: bool) -> None:
        paths, profile = self.paths, self.profile
        if paths is None:
            return
        self.result.setText("Moving the password…")
        self.background.run(f"move:{profile}", lambda: moved_words(paths, profile, to_keyring))
        self._enable()

    def _done(self, asked: str, result: object, error: object) -> None:
        topic, _, profile = asked.partition(":")
        if profile != self.profile:  # answered for a profile no longer shown: not this page's
            if topic == "move" and error is None:
                self.moved()
            self._enable()
            return
        if topic == "test":
            if error is not None:
                self.result.setText(f"The test failed: {error}")
            else:
                assert isinstance(result, tuple)
                ok, words = result
                self.result.setText(("✔ " if ok else "✖ ") + words)
        elif topic == "move":
            self.result.setText(str(result) if error is None else f"✖ Not moved: {error}")
            if self.paths is not None:
                self.show_profile(self.paths, self.profile)
                self.result.setText(str(result) if error is None else f"✖ Not moved: {error}")
            if error is None:
                self.moved()
        self._enable()

"""The wizard's last pages: test the connection (create the repository), write the files.

Nothing is written until restic has opened the repository with the password
given: a profile that cannot back up would only turn the tray red later.
When the test fails, the page says why in the words ``setup`` uses on the
command line, with restic's own line below, and what to go Back and change.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from restic_monitor.paths import DEFAULT_PROFILE
from restic_monitor.restic.command import ResticUnavailable
from restic_monitor.setup.connection import Verdict
from restic_monitor.setup.write import ProfileExists
from restic_monitor.tray.setup_pages import ERROR_STYLE, note
from restic_monitor.tray.setup_work import (
    Answers,
    Task,
    check_connection,
    create_repository,
    write_files,
)

#: What to do about each failed test.
_NEXT_STEP = {
    "wrong_password": "Go Back to the password page and type the password this repository "
    "was created with.",
    "repository_unreachable": "Go Back to check the server's address, or Test again once "
    "the server and the network are up.",
    "permission_denied": "Go Back to choose a place you may write to, or fix its permissions.",
    "locked": "Wait for the other restic to finish, then Test again.",
    "fatal": "Go Back to check the repository's details.",
    "repository_missing": "Create one here (type the password once more), or go Back if the "
    "location is mistyped.",
}


def busy_bar(parent: QWidget) -> QProgressBar:
    bar = QProgressBar(parent)
    bar.setRange(0, 0)
    bar.setTextVisible(False)
    bar.setMaximumHeight(12)
    return bar


class ConnectionPage(QWizardPage):
    def __init__(self, answers: Answers) -> None:
        super().__init__()
        self.answers = answers
        self.setTitle("Testing the connection")
        self.verdict: Verdict | None = None
        self.busy = busy_bar(self)
        self.words = QLabel(self)
        self.words.setWordWrap(True)
        self.words.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.said = note("", self)
        self.said.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.next_step = note("", self)
        self.again = QPushButton("Test again", self)
        self.again.clicked.connect(self.run_test)
        self.confirm = QLineEdit(self)
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm.setPlaceholderText("the password once more")
        self.confirm.returnPressed.connect(self.init_here)
        self.create_button = QPushButton("Create a new repository here", self)
        self.create_button.clicked.connect(self.init_here)
        self.create_row = QWidget(self)
        row = QHBoxLayout(self.create_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.confirm, 1)
        row.addWidget(self.create_button)
        self.error = note("", self, ERROR_STYLE)
        layout = QVBoxLayout(self)
        for widget in (self.busy, self.words, self.said, self.next_step, self.create_row,
                       self.error):  # fmt: skip
            layout.addWidget(widget)
        buttons = QHBoxLayout()
        buttons.addWidget(self.again)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.task = Task("setup-test", self)
        self.task.finished.connect(self._answered)

    def initializePage(self) -> None:
        self.run_test()

    def cleanupPage(self) -> None:
        self.task.forget()
        self.verdict = None

    def isComplete(self) -> bool:
        return self.verdict is not None and self.verdict.ok

    def _working(self, words: str) -> None:
        self.verdict = None
        self.completeChanged.emit()
        self.busy.show()
        self.words.setText(words)
        for widget in (self.said, self.next_step, self.error):
            widget.clear()
        self.create_row.hide()
        self.again.setEnabled(False)

    def run_test(self) -> None:
        where = self.answers.where()
        self.setSubTitle(f"restic opens the repository at {where} without changing anything.")
        self._working(f"Testing the connection to {where}…")
        restic, env = self.answers.restic_exe, self.answers.env()
        self.task.start(lambda: ("test", check_connection(restic, env)))

    def init_here(self) -> None:
        if self.confirm.text() != self.answers.password:
            self.error.setText("That is not the same password.")
            return
        self._working(f"Creating a new repository at {self.answers.where()}…")
        restic, env = self.answers.restic_exe, self.answers.env()
        self.task.start(lambda: ("init", create_repository(restic, env)))

    def _answered(self, ticket: int, result: object, error: object) -> None:
        if ticket != self.task.current:
            return
        self.busy.hide()
        self.again.setEnabled(True)
        where = self.answers.where()
        if error is not None:
            text = error.message if isinstance(error, ResticUnavailable) else str(error)
            self.words.setText(f"restic could not be run: {text}")
            return
        assert isinstance(result, tuple)
        what, answer = result
        if what == "init":
            if answer is None:
                self.confirm.clear()
                self.run_test()
                self.setSubTitle(f"Created a new repository at {where}.")
            else:
                self.words.setText(f"restic init at {where} failed.")
                self.said.setText(f"restic: {answer}")
                self.next_step.setText(_NEXT_STEP["fatal"])
            return
        verdict: Verdict = answer
        self.verdict = verdict
        self.words.setText(verdict.words(where))
        if verdict.ok:
            self.next_step.setText("Next writes the profile's files.")
        else:
            if verdict.said:
                self.said.setText(f"restic: {verdict.said}")
            self.next_step.setText(_NEXT_STEP.get(verdict.reason, _NEXT_STEP["fatal"]))
            self.create_row.setVisible(verdict.reason == "repository_missing")
            if verdict.reason == "repository_missing":
                self.confirm.setFocus()
        self.completeChanged.emit()


class DonePage(QWizardPage):
    """Writes the files on arrival; asks before replacing a profile that exists."""

    def __init__(self, answers: Answers) -> None:
        super().__init__()
        self.answers = answers
        self.setTitle("Writing the profile")
        self.setSubTitle("env.json and settings.json, in the monitor's folder.")
        self.busy = busy_bar(self)
        self.words = QLabel(self)
        self.words.setWordWrap(True)
        self.words.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.replace = QPushButton("Replace them", self)
        self.replace.clicked.connect(lambda: self.write(force=True))
        self.back_up_now = QCheckBox("Back up now", self)
        self.back_up_now.setChecked(True)
        self.later = note("", self)
        self.later.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.busy)
        layout.addWidget(self.words)
        row = QHBoxLayout()
        row.addWidget(self.replace)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.back_up_now)
        layout.addWidget(self.later)
        layout.addStretch(1)
        self.task = Task("setup-write", self)
        self.task.finished.connect(self._written)

    def initializePage(self) -> None:
        # Files this wizard wrote itself (the user went Back and changed something) are
        # replaced without asking again.
        self.write(force=self.answers.written is not None)

    def cleanupPage(self) -> None:
        self.task.forget()

    def isComplete(self) -> bool:
        return self.answers.written is not None and not self.task_running

    def write(self, force: bool) -> None:
        self.task_running = True
        self.completeChanged.emit()
        self.busy.show()
        self.replace.hide()
        self.back_up_now.hide()
        self.later.clear()
        self.words.setText("Writing env.json and settings.json…")
        answers = self.answers
        self.task.start(lambda: write_files(answers, force))

    def _written(self, ticket: int, paths: object, error: object) -> None:
        if ticket != self.task.current:
            return
        self.task_running = False
        self.busy.hide()
        if isinstance(error, ProfileExists):
            self.setTitle("The profile exists already")
            self.words.setText(f"{', '.join(map(str, error.paths))} exist already. Replace "
                               "them with these answers, or Cancel to keep them.")  # fmt: skip
            self.replace.show()
        elif error is not None:
            self.setTitle("The files could not be written")
            self.words.setText(f"{error}. Nothing was changed: go Back to keep the password "
                               "in env.json, or Cancel.")  # fmt: skip
        else:
            from restic_monitor.paths import ProfileFiles

            assert isinstance(paths, ProfileFiles)
            self.answers.written = paths
            self.setTitle("Done")
            self.setSubTitle("Both files are written: nothing needs editing by hand.")
            name = self.answers.profile
            which = "" if name == DEFAULT_PROFILE else f" {name}"
            where = "the system keyring" if self.answers.keyring else "env.json"
            self.words.setText(
                f"The profile{which} is set up: it backs up to {self.answers.where()}.\n\n"
                f"Its files:\n{paths.env_json}  (the repository; the password is in {where})\n"
                f"{paths.settings_json}  (what to back up, and when)"
            )
            self.back_up_now.show()
            self.later.setText("Without a backup now, the first one starts when the computer "
                               "is idle. The monitor must be running for that.")  # fmt: skip
        self.completeChanged.emit()

    task_running = False

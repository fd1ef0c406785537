"""The wizard's first pages: where the backups go, its details, the password.

The fields are the kinds' own (:mod:`restic_monitor.setup.kinds`) and are
checked by the same ``build`` the command line uses, so a page refuses
exactly what ``setup --repository`` would, with the message naming the field.
"""

from __future__ import annotations

import os

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from restic_monitor.setup.kinds import BY_KEY, KINDS, SetupInputError, build
from restic_monitor.tray.setup_work import Answers, Task, keyring_problem

ERROR_STYLE = "color: #b3261e;"


def note(text: str, parent: QWidget, style: str = "color: palette(placeholder-text);") -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setStyleSheet(style)
    return label


class KindPage(QWizardPage):
    def __init__(self, answers: Answers) -> None:
        super().__init__()
        self.answers = answers
        self.setTitle("Where should the backups go?")
        self.setSubTitle("restic keeps them encrypted in a repository; choose where it lives.")
        layout = QVBoxLayout(self)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        for i, kind in enumerate(KINDS):
            button = QRadioButton(kind.label, self)
            button.setToolTip(kind.about)
            self.group.addButton(button, i)
            self.buttons[kind.key] = button
            layout.addWidget(button)
            if kind.about:
                about = note(kind.about, self)
                about.setContentsMargins(24, 0, 0, 4)
                layout.addWidget(about)
        layout.addStretch(1)
        self.buttons[answers.kind].setChecked(True)

    def choose(self, key: str) -> None:
        self.buttons[key].setChecked(True)

    def validatePage(self) -> bool:
        self.answers.kind = KINDS[self.group.checkedId()].key
        return True


class FieldsPage(QWizardPage):
    """The chosen kind's fields, rebuilt when another kind is chosen."""

    def __init__(self, answers: Answers) -> None:
        super().__init__()
        self.answers = answers
        self.edits: dict[str, QLineEdit] = {}
        self._built_for = ""
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.error = note("", self, ERROR_STYLE)
        self.legend = note("* required", self)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addWidget(self.legend)

    def initializePage(self) -> None:
        kind = BY_KEY[self.answers.kind]
        self.setTitle(kind.label)
        self.setSubTitle(kind.about or "The details restic needs to reach the repository.")
        if self._built_for == kind.key:
            return
        while self.form.rowCount():
            self.form.removeRow(0)
        self.edits = {}
        for f in kind.fields:
            edit = QLineEdit(self)
            edit.setObjectName(f"field-{f.key}")
            edit.setPlaceholderText(f.hint)
            edit.setText(self.answers.values.get(f.key, f.default))
            if f.secret:
                edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.textChanged.connect(lambda _t: self.error.clear())
            self.edits[f.key] = edit
            label = f.label + (" *" if f.required else "")
            if kind.key == "local" and f.key == "path":
                row = QHBoxLayout()
                browse = QPushButton("Choose…", self)
                browse.clicked.connect(self._choose_folder)
                row.addWidget(edit, 1)
                row.addWidget(browse)
                self.form.addRow(label, row)
            else:
                self.form.addRow(label, edit)
        self._built_for = kind.key
        self.error.clear()
        first = next(iter(self.edits.values()), None)
        if first is not None:
            first.setFocus()

    def _choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "The repository's folder")
        if chosen:
            self.edits["path"].setText(chosen)

    def set_values(self, **values: str) -> None:
        for key, value in values.items():
            self.edits[key].setText(value)

    def values(self) -> dict[str, str]:
        values = {key: edit.text() for key, edit in self.edits.items()}
        if self.answers.kind == "local" and values.get("path", "").strip():
            values["path"] = os.path.expanduser(values["path"].strip())
        return values

    def validatePage(self) -> bool:
        values = self.values()
        try:
            repository, env = build(self.answers.kind, values)
        except SetupInputError as exc:
            self.error.setText(str(exc))
            label = str(exc).split(":", 1)[0]
            field = next((f for f in BY_KEY[self.answers.kind].fields if f.label == label), None)
            if field is not None:
                self.edits[field.key].setFocus()
            return False
        self.answers.values, self.answers.repository = values, repository
        self.answers.kind_env = env
        return True


class PasswordPage(QWizardPage):
    def __init__(self, answers: Answers) -> None:
        super().__init__()
        self.answers = answers
        self.setTitle("The repository's password")
        self.setSubTitle(
            "restic encrypts every backup with it. Without it nothing can be restored: "
            "keep a copy somewhere safe, away from this computer."
        )
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("an existing repository's password, or a new one")
        self.password.textChanged.connect(lambda _t: self.completeChanged.emit())
        show = QCheckBox("Show the password", self)
        show.toggled.connect(lambda on: self.password.setEchoMode(
            QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password))  # fmt: skip
        self.in_file = QRadioButton("In env.json, a file only you can read", self)
        self.in_keyring = QRadioButton("In the system keyring (env.json names the entry)", self)
        self.in_file.setChecked(True)
        self.in_keyring.setEnabled(False)
        self.keyring_note = note("Looking for the system keyring…", self)
        self.keyring_note.setContentsMargins(24, 0, 0, 0)
        form = QFormLayout()
        form.addRow("Password *", self.password)
        form.addRow("", show)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(12)
        layout.addWidget(QLabel("Keep the password:", self))
        layout.addWidget(self.in_file)
        layout.addWidget(self.in_keyring)
        layout.addWidget(self.keyring_note)
        layout.addWidget(note("A new repository: you type the password once more before "
                              "it is created.", self))  # fmt: skip
        layout.addStretch(1)
        self.probe = Task("setup-keyring", self)
        self.probe.finished.connect(self._keyring_answered)
        self.probe.start(keyring_problem)

    def _keyring_answered(self, _ticket: int, problem: object, error: object) -> None:
        if error is not None:
            problem = f"{error.__class__.__name__}: {error}"
        if problem is None:
            self.in_keyring.setEnabled(True)
            self.keyring_note.setText("The keyring is unlocked when you log in.")
        else:
            self.keyring_note.setText(f"Not available: {problem}.")

    def isComplete(self) -> bool:
        return bool(self.password.text())

    def validatePage(self) -> bool:
        self.answers.password = self.password.text()
        self.answers.keyring = self.in_keyring.isChecked() and self.in_keyring.isEnabled()
        return True

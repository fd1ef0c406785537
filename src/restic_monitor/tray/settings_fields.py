"""One control per setting, chosen by its kind in the settings table.

A person should not have to write JSON: durations are typed as the project
reads them everywhere else (``300``, ``5m``, ``8h``, ``1d``), restic options
and hook commands as a command line (quotes group words; backslashes stay,
so Windows paths need no doubling), the backup command as its folders plus
the rest. Each field turns its control back into the JSON value; text it
cannot read at all (an unclosed quote) is its own error, everything else is
left to the loader's validator so that the window says what the loader says.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from restic_monitor.config.setting_specs import SettingSpec
from restic_monitor.config.settings import MAX_COUNT
from restic_monitor.durations import format_duration, parse_duration
from restic_monitor.humanize import human_duration
from restic_monitor.restic.command import backup_sources

Changed = Callable[[], None]


def split_words(text: str) -> list[str]:
    """A command line into words: quotes group, backslashes are kept as written."""
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.escape = ""
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:
        raise ValueError("a quote is not closed") from None


def join_words(words: Sequence[str]) -> str:
    """The line :func:`split_words` reads back as ``words``."""
    return " ".join(w if w and _plain(w) else "'" + w.replace("'", "'\"'\"'") + "'" for w in words)


def _plain(word: str) -> bool:
    return not any(c.isspace() or c in "'\"" for c in word)


_LABELS = {"args": "Backup command", "restic_exe": "restic program"}


def label_of(spec: SettingSpec) -> str:
    """``min_idle_seconds`` -> ``Min idle`` (the key itself is in the help): a duration's
    unit is typed with it, so "seconds" is left out of its name."""
    if spec.name in _LABELS:
        return _LABELS[spec.name]
    words = spec.name.split("_")
    if spec.kind == "seconds":
        words = [w for w in words if w != "seconds"]
    return " ".join(words).capitalize()


class Field:
    """A setting's control: :meth:`value` is the JSON value (ValueError: unreadable)."""

    def __init__(self, spec: SettingSpec, changed: Changed, parent: QWidget) -> None:
        self.spec = spec
        self.changed = changed
        self.widget: QWidget = self._build(parent)
        self.widget.setToolTip(f"{spec.meaning}\n\n({spec.name} in settings.json)")

    def _build(self, parent: QWidget) -> QWidget:
        raise NotImplementedError

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError


class BoolField(Field):
    def _build(self, parent: QWidget) -> QWidget:
        self.box = QCheckBox(parent)
        self.box.toggled.connect(lambda _: self.changed())
        return self.box

    def value(self) -> Any:
        return self.box.isChecked()

    def set_value(self, value: Any) -> None:
        self.box.setChecked(value is True)


class SecondsField(Field):
    """A duration as the project writes them: a number of seconds, or 90s, 15m, 8h, 2d."""

    def _build(self, parent: QWidget) -> QWidget:
        box = QWidget(parent)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(box)
        self.edit.setPlaceholderText("seconds, or e.g. 90s, 15m, 8h, 2d, 1h30m")
        self.edit.setMaximumWidth(220)
        self.words = QLabel(box)
        row.addWidget(self.edit)
        row.addWidget(self.words, 1)
        self.edit.textChanged.connect(self._edited)
        return box

    def _edited(self) -> None:
        try:
            seconds = self.value()
        except ValueError:
            self.words.setText("")
        else:
            self.words.setText(f"= {human_duration(seconds)}" if seconds > 0 else "")
        self.changed()

    def value(self) -> Any:
        text = self.edit.text().strip()
        if not text:
            raise ValueError("write a number of seconds, or a duration such as 15m, 8h or 2d.")
        try:
            number = float(text)
        except ValueError:
            try:
                number = parse_duration(text)
            except ValueError as exc:
                raise ValueError(f"{exc}.") from None
        return int(number) if number.is_integer() else number

    def set_value(self, value: Any) -> None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.edit.setText(format_duration(value))
        else:
            self.edit.setText(value if isinstance(value, str) else "")


class CountField(Field):
    def _build(self, parent: QWidget) -> QWidget:
        self.spin = QSpinBox(parent)
        self.spin.setRange(0, MAX_COUNT)
        self.spin.setMaximumWidth(140)
        self.spin.valueChanged.connect(lambda _: self.changed())
        return self.spin

    def value(self) -> Any:
        return self.spin.value()

    def set_value(self, value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            self.spin.setValue(value)


class ChoiceField(Field):
    def _build(self, parent: QWidget) -> QWidget:
        self.combo = QComboBox(parent)
        self.combo.addItems(list(self.spec.choices))
        self.combo.currentTextChanged.connect(lambda _: self.changed())
        return self.combo

    def value(self) -> Any:
        return self.combo.currentText()

    def set_value(self, value: Any) -> None:
        text = value if isinstance(value, str) else ""
        if self.combo.findText(text) < 0:
            self.combo.addItem(text)  # shown as it is, for the validator to name
        self.combo.setCurrentText(text)


class TextField(Field):
    """string, url and path (with Browse…); a secret URL shows only while edited."""

    def _build(self, parent: QWidget) -> QWidget:
        box = QWidget(parent)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(box)
        if self.spec.kind == "url":
            self.edit.setPlaceholderText("https://…  (empty: none)")
        elif self.spec.kind == "path":
            self.edit.setPlaceholderText("(empty: none)")
        if self.spec.secret:
            self.edit.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.edit.textChanged.connect(lambda _: self.changed())
        row.addWidget(self.edit, 1)
        if self.spec.kind == "path" or self.spec.name == "restic_exe":
            browse = QPushButton("Browse…", box)
            browse.clicked.connect(self._browse)
            row.addWidget(browse)
        return box

    def _browse(self) -> None:
        if self.spec.kind == "path":
            chosen, _ = QFileDialog.getSaveFileName(self.widget, label_of(self.spec),
                                                    self.edit.text())  # fmt: skip
        else:
            chosen, _ = QFileDialog.getOpenFileName(self.widget, label_of(self.spec),
                                                    self.edit.text())  # fmt: skip
        if chosen:
            self.edit.setText(chosen)

    def value(self) -> Any:
        return self.edit.text()

    def set_value(self, value: Any) -> None:
        self.edit.setText(value if isinstance(value, str) else "")


class ProfileField(Field):
    """copy_to_profile: another profile's name, or empty for no mirror."""

    def __init__(self, spec: SettingSpec, changed: Changed, parent: QWidget,
                 others: Sequence[str] = ()) -> None:  # fmt: skip
        self.others = list(others)
        super().__init__(spec, changed, parent)

    def _build(self, parent: QWidget) -> QWidget:
        self.combo = QComboBox(parent)
        self.combo.setEditable(True)
        self.combo.addItems(["", *self.others])
        line = self.combo.lineEdit()
        if line is not None:
            line.setPlaceholderText("(no mirror)")
        self.combo.currentTextChanged.connect(lambda _: self.changed())
        return self.combo

    def value(self) -> Any:
        return self.combo.currentText().strip()

    def set_value(self, value: Any) -> None:
        self.combo.setCurrentText(value if isinstance(value, str) else "")


class WordsField(Field):
    """options and command: a command line, quoting as a shell does."""

    def _build(self, parent: QWidget) -> QWidget:
        self.edit = QLineEdit(parent)
        self.edit.setPlaceholderText("(empty: none)")
        self.edit.textChanged.connect(lambda _: self.changed())
        return self.edit

    def value(self) -> Any:
        return split_words(self.edit.text())

    def set_value(self, value: Any) -> None:
        words = value if isinstance(value, list) else []
        self.edit.setText(join_words([w for w in words if isinstance(w, str)]))


class ArgsField(Field):
    """The backup command: the folders it backs up, as a list, and the rest as a line.

    Left as the file has it until either part is edited; then it is the rest
    followed by the folders (restic takes them in any order)."""

    def _build(self, parent: QWidget) -> QWidget:
        box = QWidget(parent)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(QLabel("Folders and files to back up:", box))
        self.folders = QListWidget(box)
        self.folders.setMinimumHeight(90)
        self.folders.setMaximumHeight(170)
        column.addWidget(self.folders)
        buttons = QHBoxLayout()
        self.add = QPushButton("Add folder…", box)
        self.add.clicked.connect(self._add)
        self.remove = QPushButton("Remove", box)
        self.remove.clicked.connect(self._remove)
        buttons.addWidget(self.add)
        buttons.addWidget(self.remove)
        buttons.addStretch(1)
        column.addLayout(buttons)
        column.addWidget(QLabel("The rest of the restic command (options):", box))
        self.rest = QLineEdit(box)
        self.rest.textChanged.connect(lambda _: self.changed())
        column.addWidget(self.rest)
        self._original: list[str] = []
        self._split: tuple[list[str], list[str]] = ([], [])
        return box

    def _add(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.widget, "Add a folder to back up")
        if folder:
            self.folders.addItem(folder)
            self.changed()

    def _remove(self) -> None:
        for item in self.folders.selectedItems():
            self.folders.takeItem(self.folders.row(item))
        self.changed()

    def folder_list(self) -> list[str]:
        return [self.folders.item(i).text() for i in range(self.folders.count())]

    def value(self) -> Any:
        rest = split_words(self.rest.text())
        folders = self.folder_list()
        if (rest, folders) == self._split:
            return list(self._original)
        return rest + folders

    def set_value(self, value: Any) -> None:
        args = [a for a in value if isinstance(a, str)] if isinstance(value, list) else []
        sources = backup_sources(args)
        rest = list(args)
        for source in reversed(sources or []):
            index = len(rest) - 1 - rest[::-1].index(source)
            del rest[index]
        self._original = args
        self._split = (rest, list(sources or []))
        # Not a backup (or one of --stdin): the whole command is the line.
        for widget in (self.folders, self.add, self.remove):
            widget.setEnabled(sources is not None)
        self.folders.clear()
        self.folders.addItems(sources or [])
        self.rest.setText(join_words(rest))


_KINDS: dict[str, type[Field]] = {
    "bool": BoolField,
    "seconds": SecondsField,
    "count": CountField,
    "choice": ChoiceField,
    "string": TextField,
    "url": TextField,
    "path": TextField,
    "options": WordsField,
    "command": WordsField,
    "string-list": ArgsField,
}


def make_field(spec: SettingSpec, changed: Changed, parent: QWidget,
               profiles: Sequence[str] = ()) -> Field:  # fmt: skip
    """The control for ``spec`` (``profiles``: the other profiles, for a mirror)."""
    if spec.kind == "profile":
        return ProfileField(spec, changed, parent, profiles)
    return _KINDS[spec.kind](spec, changed, parent)

"""Settings…: every setting of settings.json, on pages, checked as it is typed.

The controls follow the one table of settings (:mod:`restic_monitor.config.setting_specs`):
its kind chooses the control, its group the page, its meaning the help text.
After every change the window builds the document it would write and runs
the loader's own validator on it (:mod:`restic_monitor.config.settings_edit`),
so a problem shown here is the one the tray would report, next to its
setting, and Save stays disabled while there is one. Saving rereads the file
and replaces only the values shown (comments, ``$schema``, unknown keys and
the file's layout are kept), atomically, off the UI thread; then
``on_saved(profile)`` lets the tray reload the profile without a restart (a
running backup goes on). An edit made to the file meanwhile is not
overwritten unasked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QFont, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from restic_monitor.config import settings_edit
from restic_monitor.config.files import Problem
from restic_monitor.config.setting_specs import GROUPS, SETTINGS
from restic_monitor.paths import Home, ProfileFiles
from restic_monitor.restic.masking import Redactor
from restic_monitor.tray.background import Background
from restic_monitor.tray.settings_fields import Field, label_of, make_field
from restic_monitor.tray.settings_repository import RepositoryPage

log = logging.getLogger(__name__)

OnSaved = Callable[[str], None]


def settings_title(profile: str, several: bool) -> str:
    return f"Settings ({profile})" if several else "Settings"


class Row:
    """A setting's control with its help text and the validator's word on it."""

    def __init__(self, field: Field, parent: QWidget) -> None:
        self.field = field
        self.box = QWidget(parent)
        column = QVBoxLayout(self.box)
        column.setContentsMargins(0, 0, 0, 6)
        column.setSpacing(2)
        column.addWidget(field.widget)
        self.help = QLabel(f"{field.spec.meaning} ({field.spec.name})", self.box)
        self.help.setWordWrap(True)
        self.help.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        font = QFont(self.help.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        self.help.setFont(font)
        column.addWidget(self.help)
        self.problem = QLabel(self.box)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c62828;")
        self.problem.hide()
        column.addWidget(self.problem)

    def show_problem(self, message: str) -> None:
        self.problem.setText("⚠ " + message if message else "")
        self.problem.setVisible(bool(message))


class SettingsWindow(QWidget):
    def __init__(
        self,
        home: Home,
        profile: str,
        profiles: list[str],
        on_saved: OnSaved | None = None,
    ) -> None:
        super().__init__()
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.home, self.profile = home, profile
        self.profiles = list(profiles) or [profile]
        self.on_saved = on_saved or (lambda name: None)
        self.paths: ProfileFiles = home.profile(profile)
        self.file = settings_edit.SettingsFile(self.paths.settings_json, None, None)
        self.rows: dict[str, Row] = {}
        self.problems: list[Problem] = []
        self._loading = False
        #: The file on disk is no longer the one shown (an edit made elsewhere).
        self.stale = False
        self.retyped: dict[str, Any] = {}
        self.background = Background(self)
        self.background.done.connect(self._saved)
        self.resize(820, 600)
        self._build()
        self.load()

    # --- layout -----------------------------------------------------------------------

    def _build(self) -> None:
        top = QHBoxLayout()
        self.profile_box = QComboBox(self)
        self.profile_box.addItems(self.profiles)
        self.profile_box.setCurrentText(self.profile)
        self.profile_box.currentTextChanged.connect(self._switch_profile)
        profile_label = QLabel("Profile:", self)
        for widget in (profile_label, self.profile_box):
            widget.setVisible(len(self.profiles) > 1)
        top.addWidget(profile_label)
        top.addWidget(self.profile_box)
        top.addStretch(1)
        self.tabs = QTabWidget(self)
        self.pages: dict[str, QWidget] = {}
        for group in GROUPS:
            self.tabs.addTab(self._page(group), group.capitalize())
        self.repository = RepositoryPage(self._restic_exe, self._moved, self)
        self.tabs.addTab(self.repository, "Repository")

        self.banner = QLabel(self)
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reload_button = QPushButton("Reload from disk", self)
        self.reload_button.clicked.connect(self.load)
        self.overwrite_button = QPushButton("Save anyway", self)
        self.overwrite_button.clicked.connect(lambda: self.save(force=True))
        banner_row = QHBoxLayout()
        banner_row.addWidget(self.banner, 1)
        banner_row.addWidget(self.reload_button)
        banner_row.addWidget(self.overwrite_button)

        self.status = QLabel(self)
        self.save_button = QPushButton("Save", self)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(lambda _=False: self.save())
        close = QPushButton("Close", self)
        close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.save_button)
        bottom.addWidget(close)

        column = QVBoxLayout(self)
        column.addLayout(top)
        column.addWidget(self.tabs, 1)
        column.addLayout(banner_row)
        column.addLayout(bottom)

    def _page(self, group: str) -> QWidget:
        inner = QWidget()
        column = QVBoxLayout(inner)
        form = QFormLayout()
        column.addLayout(form)
        column.addStretch(1)  # a short page keeps its rows together at the top
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        others = [p for p in self.profiles if p != self.profile]
        for spec in (s for s in SETTINGS if s.group == group):
            field = make_field(spec, self._changed, inner, others)
            row = Row(field, inner)
            self.rows[spec.name] = row
            label = QLabel(label_of(spec) + ":", inner)
            label.setToolTip(spec.name)
            form.addRow(label, row.box)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        self.pages[group] = scroll
        return scroll

    # --- the file ---------------------------------------------------------------------

    def load(self) -> None:
        """Show the file as it is on disk now (a small read; discards edits)."""
        self.file = settings_edit.read_settings_file(self.paths.settings_json)
        self._loading = True
        try:
            for name, value in settings_edit.current_values(self.file.data).items():
                self.rows[name].field.set_value(value)
        finally:
            self._loading = False
        self._find_retyped()
        self.stale = False
        self.repository.show_profile(self.paths, self.profile)
        self.setWindowTitle(settings_title(self.profile, len(self.profiles) > 1))
        self.status.setText("")
        self.validate()

    def values(self) -> tuple[dict[str, Any], dict[str, str]]:
        """(each readable control's JSON value, the messages of those that are not)."""
        values: dict[str, Any] = {}
        unreadable: dict[str, str] = {}
        for name, row in self.rows.items():
            try:
                values[name] = row.field.value()
            except ValueError as exc:
                unreadable[name] = str(exc)
        return values, unreadable

    def validate(self) -> bool:
        """Run the loader's validator on what Save would write; True when it may."""
        values, unreadable = self.values()
        current = settings_edit.current_values(self.file.data)
        document = settings_edit.merged(self.file.data, {**current, **values})
        self.problems = settings_edit.validate(document, self.paths.settings_json)
        by_key: dict[str, str] = dict(unreadable)
        for problem in settings_edit.blocking(self.problems):
            if problem.key is not None and problem.key not in by_key:
                by_key[problem.key] = problem.message
        for name, row in self.rows.items():
            message = by_key.get(name, "")
            if row.field.spec.secret and isinstance(values.get(name), str):
                # The loader quotes a bad URL; a secret one stays hidden here too.
                message = Redactor([values[name]]).text(message)
            row.show_problem(message)
        self._mark_tabs(by_key)
        notes = []
        if self.stale:
            notes.append(
                "settings.json was changed on disk since this window read it. Reload it (the "
                "changes made here are lost), or save anyway (only the settings shown here "
                "are replaced)."
            )
        if not self.file.writable:
            notes.append(
                "settings.json cannot be read: "
                + "; ".join(p.message for p in self.file.problems)
                + " Fix it in an editor, then reload."
            )
        notes += [str(p) for p in self.problems if p.key not in self.rows]
        notes += self._retyped_notes(values)
        self._show_banner("\n".join(notes))
        ok = not by_key and self.file.writable
        self.save_button.setEnabled(ok and not self.background.running)
        return ok

    def _find_retyped(self) -> None:
        """Values the file holds in a form their control cannot show ("300" for 300):
        saving writes the control's form, and the window says so first."""
        self.retyped = {
            name: value
            for name, value in (self.file.data or {}).items()
            if name in self.rows and not self._shows(name, value)
        }

    def _shows(self, name: str, value: Any) -> bool:
        try:
            return settings_edit.same_value(self.rows[name].field.value(), value)
        except ValueError:
            return False

    def _retyped_notes(self, values: dict[str, Any]) -> list[str]:
        notes = []
        for name, before in self.retyped.items():
            if name not in values or settings_edit.same_value(values[name], before):
                continue
            if self.rows[name].field.spec.secret:
                notes.append(f"Saving also rewrites {name}, which settings.json has in a form "
                             "this window does not show.")  # fmt: skip
            else:
                notes.append(f"Saving also writes {name} as {json.dumps(values[name])} "
                             f"(settings.json has {json.dumps(before)}).")  # fmt: skip
        return notes

    def _mark_tabs(self, by_key: dict[str, str]) -> None:
        for index, group in enumerate(GROUPS):
            bad = any(s.group == group and s.name in by_key for s in SETTINGS)
            self.tabs.setTabText(index, ("⚠ " if bad else "") + group.capitalize())

    def _show_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.setVisible(bool(text))
        self.reload_button.setVisible(self.stale or not self.file.writable)
        self.overwrite_button.setVisible(self.stale)

    def _changed(self) -> None:
        if not self._loading:
            self.status.setText("")
            self.validate()

    def dirty(self) -> bool:
        """Whether Save would change the file."""
        values, unreadable = self.values()
        return bool(unreadable) or bool(settings_edit.edits(self.file.data, values))

    def save(self, *, force: bool = False) -> None:
        """Write in the background; ``force``: even though the file changed meanwhile."""
        if not self.validate():
            return
        values = settings_edit.edits(self.file.data, self.values()[0])
        path, opened = self.paths.settings_json, self.file.raw
        self.save_button.setEnabled(False)
        self.status.setText("Saving…")
        self.background.run("save", lambda: settings_edit.save(path, opened, values, force=force))

    def _saved(self, topic: str, result: object, error: object) -> None:
        if topic != "save":
            return
        if isinstance(error, settings_edit.ChangedOnDisk):
            self.status.setText("Not saved.")
            self.stale = True
            self.validate()
            return
        if error is not None:
            self.status.setText(f"Not saved: {error}")
            self.validate()
            return
        assert isinstance(result, bytes)
        self.file = settings_edit.read_settings_file(self.paths.settings_json)
        self._find_retyped()
        self.stale = False
        self.status.setText("Saved; the settings apply now.")
        log.info("settings window: saved %s", self.paths.settings_json)
        self.validate()
        self.on_saved(self.profile)

    def changed_on_disk(self) -> bool:
        """Whether the file is no longer the one shown (a small read)."""
        return settings_edit.read_settings_file(self.paths.settings_json).raw != self.file.raw

    # --- events -----------------------------------------------------------------------

    def _restic_exe(self) -> str:
        try:
            value = self.rows["restic_exe"].field.value()
        except ValueError:
            value = ""
        return value if isinstance(value, str) and value.strip() else "restic"

    def _moved(self) -> None:
        self.on_saved(self.profile)

    def _switch_profile(self, name: str) -> None:
        if name == self.profile or not name:
            return
        if self.dirty() and not self._discard(f"Discard the changes to profile {self.profile}?"):
            self.profile_box.setCurrentText(self.profile)
            return
        self.profile, self.paths = name, self.home.profile(name)
        others = [p for p in self.profiles if p != name]
        field = self.rows["copy_to_profile"].field
        combo = getattr(field, "combo", None)
        if isinstance(combo, QComboBox):
            combo.clear()
            combo.addItems(["", *others])
        self.load()

    def _discard(self, question: str) -> bool:
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            question,
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard

    def changeEvent(self, event: Any) -> None:
        """Coming back to the window: say so if the file was edited meanwhile."""
        from PySide6.QtCore import QEvent

        super().changeEvent(event)
        if (
            event.type() == QEvent.Type.ActivationChange
            and self.isActiveWindow()
            and not self.background.running
            and not self.stale
            and self.changed_on_disk()
        ):
            self.stale = True
            self.validate()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.dirty() and not self._discard("Close without saving the changes?"):
            event.ignore()
            return
        super().closeEvent(event)

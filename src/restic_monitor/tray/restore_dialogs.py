"""The restore window's questions: where to, what it would replace, versions, missing files.

Each is a small dialog with plain widgets (a folder picker behind a button,
a list), so that a keyboard user and a test reach every choice the same way.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from restic_monitor.humanize import human_bytes
from restic_monitor.restore.compare import Missing, Version
from restic_monitor.tray.snapshot_tree import modified_text


def downloads_folder() -> Path:
    """The user's Downloads folder (the desktop's own name for it), else the home."""
    try:
        from platformdirs import user_downloads_dir

        return Path(user_downloads_dir())
    except Exception:
        return Path.home()


def default_target(now: datetime | None = None) -> Path:
    """A new folder "Restored <date time>" in Downloads: never on top of anything."""
    stamp = (now or datetime.now()).strftime("%Y-%m-%d %H-%M-%S")
    return downloads_folder() / f"Restored {stamp}"


class TargetDialog(QDialog):
    """Restore to…: a folder (by default a new one in Downloads), typed or picked."""

    def __init__(self, count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore to")
        layout = QVBoxLayout(self)
        what = f"{count} item{'s' if count != 1 else ''}"
        layout.addWidget(
            QLabel(f"Restore {what} into this folder (each under its own name):", self)
        )
        row = QHBoxLayout()
        self.folder = QLineEdit(str(default_target()), self)
        self.folder.setMinimumWidth(420)
        pick = QPushButton("Choose…", self)
        pick.clicked.connect(self._pick)
        row.addWidget(self.folder, 1)
        row.addWidget(pick)
        layout.addLayout(row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Restore")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _pick(self) -> None:
        start = self.folder.text() if os.path.isdir(self.folder.text()) else downloads_folder()
        chosen = QFileDialog.getExistingDirectory(self, "Restore into", str(start))
        if chosen:
            self.folder.setText(chosen)

    def target(self) -> Path:
        return Path(os.path.abspath(os.path.expanduser(self.folder.text().strip())))


class ConfirmDialog(QDialog):
    """What a restore would replace, listed before anything is written."""

    def __init__(
        self, title: str, intro: str, paths: Sequence[Path], ok: str, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(640, 360)
        layout = QVBoxLayout(self)
        label = QLabel(intro, self)
        label.setWordWrap(True)
        layout.addWidget(label)
        if paths:
            listing = QPlainTextEdit("\n".join(str(p) for p in paths), self)
            listing.setReadOnly(True)
            layout.addWidget(listing, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        go = buttons.addButton(ok, QDialogButtonBox.ButtonRole.AcceptRole)
        go.setDefault(not paths)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class ListDialog(QDialog):
    """A table of versions or missing items, with one action on the chosen rows."""

    def __init__(self, title: str, intro: str, headers: Sequence[str], parent: QWidget | None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(720, 420)
        layout = QVBoxLayout(self)
        label = QLabel(intro, self)
        label.setWordWrap(True)
        layout.addWidget(label)
        self.table = QTreeWidget(self)
        self.table.setHeaderLabels(list(headers))
        self.table.setRootIsDecorated(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def add_action(self, text: str) -> QPushButton:
        button = self.buttons.addButton(text, QDialogButtonBox.ButtonRole.AcceptRole)
        button.clicked.connect(self.accept)
        return button

    def chosen(self) -> list[object]:
        return [item.data(0, 256) for item in self.table.selectedItems()]


def versions_dialog(name: str, versions: Sequence[Version], parent: QWidget | None) -> ListDialog:
    intro = (
        f"{len(versions)} version{'s' if len(versions) != 1 else ''} of {name}, newest first. "
        "Choose one to restore it."
        if versions
        else f"{name} is in none of the snapshots."
    )
    dialog = ListDialog(
        f"Versions of {name}", intro, ("Backed up", "Modified", "Size", "Snapshots"), parent
    )
    for v in versions:
        held = f"{v.snapshots}" + (f" (until {v.last.short_id})" if v.snapshots > 1 else "")
        size = human_bytes(v.size) if v.size is not None else ""
        item = QTreeWidgetItem(
            [f"{modified_text(v.first.time)}  ({v.first.short_id})", modified_text(v.mtime),
             size, held]
        )  # fmt: skip
        item.setData(0, 256, v)
        dialog.table.addTopLevelItem(item)
    if versions:
        first = dialog.table.topLevelItem(0)
        assert first is not None
        dialog.table.setCurrentItem(first)
        dialog.add_action("Restore this version to…")
    return dialog


def missing_dialog(
    folder: str, snapshot: str, gone: Sequence[Missing], parent: QWidget | None
) -> ListDialog:
    if gone:
        intro = (
            f"Snapshot {snapshot} holds {len(gone)} item{'s' if len(gone) != 1 else ''} under "
            f"{folder} that {'are' if len(gone) != 1 else 'is'} gone from the disk."
        )
    else:
        intro = f"Nothing is missing: everything snapshot {snapshot} holds under {folder} is there."
    dialog = ListDialog("Missing files", intro, ("Path", "Size", "Modified"), parent)
    for m in gone:
        what = (
            f"{m.files:,} files, {human_bytes(m.bytes)}" if m.entry.is_dir else human_bytes(m.bytes)
        )
        item = QTreeWidgetItem([m.disk_path, what, modified_text(m.entry.mtime)])
        item.setData(0, 256, m)
        dialog.table.addTopLevelItem(item)
    if gone:
        dialog.table.selectAll()
        dialog.add_action("Restore them to where they were")
    return dialog

"""The wizard's selection page: what to back up, what to leave out, and how big that is.

The size is shown while the user chooses, because a forgotten VM image or
game library is easy to untick now and costly to find after the first
backup. It is walked again (the old walk stopped) a moment after each
change, in a thread; until the walk ends the figure grows, and a walk cut
short by its deadline is said to be a lower bound.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWizardPage,
)

from restic_monitor.humanize import human_bytes
from restic_monitor.setup.estimate import Estimate
from restic_monitor.setup.presets import chosen_patterns, default_folders, exclude_groups
from restic_monitor.tray.setup_pages import note
from restic_monitor.tray.setup_work import Answers, SizeEstimator

#: How long the selection must stay unchanged before it is walked again (typing).
SETTLE_MS = 400


def size_words(found: Estimate) -> str:
    more = "" if found.complete else "at least "
    words = (f"The first backup reads {more}{found.files:,} files, {more}"
             f"{human_bytes(found.bytes)}.")  # fmt: skip
    if not found.complete:
        words += " (Counting stopped there: the walk took too long.)"
    if found.missing:
        words += " Not found: " + ", ".join(found.missing) + "."
    if found.complete and found.files == 0:
        words += (" Nothing would be backed up: is a folder itself left out by a pattern, a "
                  "CACHEDIR.TAG or a .nobackup file?")  # fmt: skip
    return words


class FoldersPage(QWizardPage):
    def __init__(self, answers: Answers) -> None:
        super().__init__()
        self.answers = answers
        self.setTitle("What to back up")
        self.setSubTitle("Caches and the trash below the folders are left out as ticked; "
                         "restic's own tags are obeyed.")  # fmt: skip
        self.groups = exclude_groups()
        self.folders = QListWidget(self)
        self.folders.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        add = QPushButton("Add…", self)
        add.clicked.connect(self._choose_folder)
        self.remove = QPushButton("Remove", self)
        self.remove.clicked.connect(self.remove_selected)
        buttons = QVBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(self.remove)
        buttons.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.folders, 1)
        top.addLayout(buttons)

        leave_out = QGroupBox("Leave out", self)
        grid = QGridLayout(leave_out)
        self.group_boxes: dict[str, QCheckBox] = {}
        for i, group in enumerate(self.groups):
            box = QCheckBox(group.label, leave_out)
            box.setChecked(group.default_on)
            box.setToolTip("\n".join(group.patterns))
            box.toggled.connect(self._changed)
            self.group_boxes[group.key] = box
            grid.addWidget(box, i // 2, i % 2)
        row = (len(self.groups) + 1) // 2
        self.caches = QCheckBox("Skip folders with a CACHEDIR.TAG", leave_out)
        self.caches.setToolTip("restic --exclude-caches: the cache folders of browsers and "
                               "build tools mark themselves so")  # fmt: skip
        self.nobackup = QCheckBox("Skip folders containing .nobackup", leave_out)
        self.nobackup.setToolTip("restic --exclude-if-present .nobackup: put an empty "
                                 ".nobackup file in a folder to leave it out")  # fmt: skip
        for col, box in enumerate((self.caches, self.nobackup)):
            box.setChecked(True)
            box.toggled.connect(self._changed)
            grid.addWidget(box, row, col)
        self.patterns = QLineEdit(leave_out)
        self.patterns.setPlaceholderText("more patterns, comma-separated, e.g. *.iso, Videos")
        self.patterns.textChanged.connect(self._changed)
        grid.addWidget(QLabel("Also:", leave_out), row + 1, 0, 1, 2)
        grid.addWidget(self.patterns, row + 2, 0, 1, 2)

        self.size_label = note("", self, "")
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addWidget(leave_out)
        layout.addWidget(self.size_label)

        #: The last complete or cut-short walk of the current selection.
        self.estimate: Estimate | None = None
        self.estimator = SizeEstimator(self)
        self.estimator.progressed.connect(self._progressed)
        self.estimator.finished.connect(self._estimated)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._walk)
        self._filled = False

    # --- the selection ------------------------------------------------------------

    def initializePage(self) -> None:
        if not self._filled:
            self._filled = True
            self.set_folders(self.answers.folders or default_folders())
        self._walk()

    def cleanupPage(self) -> None:
        """Back: the walk is not wanted any more (it starts again on return)."""
        self._settle.stop()
        self.estimator.stop()

    def set_folders(self, folders: list[str]) -> None:
        self.folders.clear()
        for folder in folders:
            self.add_folder(folder)

    def add_folder(self, folder: str) -> None:
        path = os.path.abspath(os.path.expanduser(folder))
        if path not in self.chosen_folders():
            self.folders.addItem(path)
        self._changed()

    def remove_selected(self) -> None:
        for item in self.folders.selectedItems():
            self.folders.takeItem(self.folders.row(item))
        self._changed()

    def _choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "A folder to back up")
        if chosen:
            self.add_folder(chosen)

    def chosen_folders(self) -> list[str]:
        return [self.folders.item(i).text() for i in range(self.folders.count())]

    def chosen_excludes(self) -> list[str]:
        chosen = {key for key, box in self.group_boxes.items() if box.isChecked()}
        extra = [p.strip() for p in self.patterns.text().split(",") if p.strip()]
        return [*chosen_patterns(self.groups, chosen), *extra]

    def isComplete(self) -> bool:
        return self.folders.count() > 0

    def validatePage(self) -> bool:
        a = self.answers
        a.folders, a.excludes = self.chosen_folders(), self.chosen_excludes()
        a.exclude_caches, a.nobackup = self.caches.isChecked(), self.nobackup.isChecked()
        self.cleanupPage()
        return True

    # --- the size -----------------------------------------------------------------

    def _changed(self, *_args: object) -> None:
        self.completeChanged.emit()
        self.estimate = None
        self.estimator.stop()
        self.size_label.setText("Counting…")
        self._settle.start()

    def _walk(self) -> None:
        self._settle.stop()
        self.estimate = None
        folders = self.chosen_folders()
        if not folders:
            self.estimator.stop()
            self.size_label.setText("Add a folder to back up.")
            return
        self.size_label.setText("Counting…")
        self.estimator.restart(folders, self.chosen_excludes(),
                               exclude_caches=self.caches.isChecked(),
                               nobackup=self.nobackup.isChecked())  # fmt: skip

    def _progressed(self, generation: int, files: int, size: int) -> None:
        if generation == self.estimator.generation and self.estimate is None:
            self.size_label.setText(
                f"Counting… at least {files:,} files, {human_bytes(size)} so far."
            )

    def _estimated(self, generation: int, found: Estimate) -> None:
        if generation != self.estimator.generation:
            return
        self.estimate = found
        self.size_label.setText(size_words(found))

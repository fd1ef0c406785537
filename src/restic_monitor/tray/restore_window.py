"""Restore files…: snapshots on the left, the chosen one's folders on the right.

Nothing here waits for restic: every listing, search, preview and check is
a query for the window's worker thread (:mod:`restic_monitor.tray.restore_worker`)
and its answer fills the widgets when it comes; a folder is listed when it
is first opened, one level at a time. Restores are engine jobs
(:mod:`restic_monitor.tray.restore_jobs`), so they wait for a running backup
and appear in the history; what a restore would replace is shown before it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTreeView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from restic_monitor.humanize import human_bytes
from restic_monitor.restic.browse import BrowseError, Browser
from restic_monitor.restic.snapshots import Entry, Snapshot
from restic_monitor.tray import restore_flow
from restic_monitor.tray.restore_jobs import BrowseMount, RestoreRunner
from restic_monitor.tray.restore_preview import PreviewPane
from restic_monitor.tray.restore_worker import BrowseWorker, profile_restic
from restic_monitor.tray.snapshot_tree import SnapshotTree, modified_text

if TYPE_CHECKING:
    from restic_monitor.engine.host import Engine
    from restic_monitor.paths import Home

log = logging.getLogger(__name__)

OpenFolder = Callable[[Path], None]


def restore_title(profile: str, several: bool) -> str:
    return f"Restore files ({profile})" if several else "Restore files"


class RestoreWindow(QWidget):
    def __init__(
        self,
        engine: Engine,
        home: Home,
        *,
        profile: str,
        profiles: Sequence[str] = (),
        open_folder: OpenFolder | None = None,
    ) -> None:
        super().__init__()
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.engine, self.home, self.profile = engine, home, profile
        self.open_folder = open_folder or (lambda path: None)
        self.setWindowTitle(restore_title(profile, len(profiles) > 1))
        self.resize(1000, 620)
        self.snapshot: Snapshot | None = None
        self.snaps: list[Snapshot] = []
        self._wanted: dict[int, str] = {}  # ticket -> what the answer is for
        #: The folders opened on their own (a chain of lone folders from the top).
        self._auto: set[str] = {"/"}
        self._asked_at: dict[str, float] = {}
        self.last_target: Path | None = None
        self.flow = restore_flow.RestoreFlow(self)
        self.worker, self.runner, self.mount = self._helpers(profile)
        self._build(profiles)
        self._load_snapshots()

    # --- layout -----------------------------------------------------------------------

    def _build(self, profiles: Sequence[str]) -> None:
        top = QHBoxLayout()
        self.profile_box = QComboBox(self)
        self.profile_box.addItems(list(profiles) or [self.profile])
        self.profile_box.setCurrentText(self.profile)
        self.profile_box.setVisible(len(profiles) > 1)
        self.profile_box.currentTextChanged.connect(self._start_profile)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search file names in this snapshot (Enter)…")
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(self._search)
        self.search.textChanged.connect(lambda t: None if t else self._show_tree())
        top.addWidget(self.profile_box)
        top.addWidget(self.search, 1)

        self.snapshots = QTreeWidget(self)
        self.snapshots.setHeaderLabels(["Backed up", "ID", "Host", "Size"])
        self.snapshots.setRootIsDecorated(False)
        self.snapshots.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.snapshots.currentItemChanged.connect(self._snapshot_chosen)

        self.model = SnapshotTree()
        self.view = QTreeView(self)
        self.view.setModel(self.model)
        self.view.setUniformRowHeights(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.view.expanded.connect(self._expanded)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.results = restore_flow.results_model(self)

        self.preview = PreviewPane(
            self, self.ask, lambda prefix: self.worker.drop(lambda t: t.startswith(prefix))
        )

        right = QSplitter(Qt.Orientation.Vertical, self)
        right.addWidget(self.view)
        right.addWidget(self.preview)
        right.setSizes([440, 160])
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.snapshots)
        split.addWidget(right)
        split.setSizes([300, 700])

        self.restore_to = QPushButton("Restore to…", self)
        self.restore_original = QPushButton("Restore to original location…", self)
        self.versions = QPushButton("Versions of this file…", self)
        self.missing = QPushButton("Show what is missing here…", self)
        self.browse = QPushButton("Browse as folder", self)
        buttons = QHBoxLayout()
        for button in (self.restore_to, self.restore_original, self.versions, self.missing):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.browse)
        self.restore_to.clicked.connect(self.flow.restore_to)
        self.restore_original.clicked.connect(self.flow.restore_original)
        self.versions.clicked.connect(self.flow.versions)
        self.missing.clicked.connect(self.flow.missing)
        self.browse.clicked.connect(self._browse)

        self.message = QLabel("Loading the snapshots…", self)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bar = QProgressBar(self)
        self.bar.setVisible(False)
        self.stop = QPushButton("Stop", self)
        self.stop.setVisible(False)
        self.stop.clicked.connect(self._stop_restore)
        self.open_target = QPushButton("Open folder", self)
        self.open_target.setVisible(False)
        self.open_target.clicked.connect(
            lambda: self.open_folder(self.last_target) if self.last_target else None
        )
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.bar)
        bottom.addWidget(self.stop)
        bottom.addWidget(self.open_target)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        layout.addLayout(bottom)
        self.update_buttons()

    # --- profile and snapshots --------------------------------------------------------

    def _helpers(self, profile: str) -> tuple[BrowseWorker, RestoreRunner, BrowseMount]:
        """The profile's worker, restore runner and mount (one set per profile shown)."""
        worker = BrowseWorker(self._make_browser)
        worker.answered.connect(self._answered)
        runner = RestoreRunner(self.engine, profile)
        runner.progress.connect(self.flow.progress)
        runner.finished.connect(self.flow.finished)
        mount = BrowseMount(self.home, self.home.profile(profile).logs)
        mount.ready.connect(self._mounted)
        return worker, runner, mount

    @Slot(str)
    def _start_profile(self, profile: str) -> None:
        if profile == self.profile or self.runner.busy:
            self.profile_box.setCurrentText(self.profile)
            return
        self.worker.close()
        self.mount.stop()
        self.profile = profile
        self.worker, self.runner, self.mount = self._helpers(profile)
        self._load_snapshots()

    def _load_snapshots(self) -> None:
        self.snapshots.clear()
        self.model.show_snapshot(None)
        self.ask("snapshots", lambda b: b.snapshots())

    def _make_browser(self) -> Browser:
        return Browser(self.profile_restic())

    def profile_restic(self) -> Any:
        return profile_restic(self.engine, self.profile)

    def ask(self, topic: str, query: Callable[[Browser], Any]) -> int:
        ticket = self.worker.ask(topic, query)
        self._wanted[ticket] = topic
        return ticket

    @Slot(int, str, object, object)
    def _answered(self, ticket: int, topic: str, result: Any, error: Any) -> None:
        if self._wanted.pop(ticket, None) is None:
            return  # for a snapshot or a search no longer shown
        kind, _, detail = topic.partition(":")
        if kind == "snapshots":
            self._snapshots_loaded(result, error)
        elif kind == "ls":
            self._folder_loaded(detail, result, error)
        elif kind == "preview":
            self.preview.loaded(ticket, detail, result, error)
        else:
            self.flow.answered(kind, result, error)

    def _snapshots_loaded(self, snaps: list[Snapshot] | None, error: str | None) -> None:
        if error is not None or snaps is None:
            self.message.setText(f"Cannot read the snapshots: {error}")
            return
        self.snaps = snaps
        for snap in snaps:
            size = human_bytes(snap.size) if snap.size is not None else ""
            item = QTreeWidgetItem([modified_text(snap.time), snap.short_id, snap.host, size])
            item.setData(0, Qt.ItemDataRole.UserRole, snap)
            tags = f"\ntags: {', '.join(snap.tags)}" if snap.tags else ""
            item.setToolTip(0, f"{snap.short_id}: {', '.join(snap.paths)}{tags}")
            self.snapshots.addTopLevelItem(item)
        if snaps:
            self.message.setText(f"{len(snaps)} snapshot{'s' if len(snaps) != 1 else ''}.")
            first = self.snapshots.topLevelItem(0)
            assert first is not None
            self.snapshots.setCurrentItem(first)
        else:
            self.message.setText("No snapshots yet: back up first.")

    @Slot(object, object)
    def _snapshot_chosen(self, current: QTreeWidgetItem | None, _previous: object) -> None:
        snap = current.data(0, Qt.ItemDataRole.UserRole) if current is not None else None
        self.worker.drop(lambda topic: topic != "snapshots")
        self._wanted = {t: w for t, w in self._wanted.items() if w == "snapshots"}
        self.snapshot = snap if isinstance(snap, Snapshot) else None
        self.search.clear()
        self._show_tree()
        self.model.show_snapshot(self.snapshot.id if self.snapshot else None)
        self._auto = {"/"}
        if self.snapshot is not None:
            self._load("/")
        self.update_buttons()

    # --- the folder tree ----------------------------------------------------------------

    def _load(self, path: str) -> None:
        snap = self.snapshot
        assert snap is not None
        self.model.loading(path)
        self._asked_at[path] = time.monotonic()
        self.ask(f"ls:{path}", lambda b: b.ls(snap.id, path).entries)

    @Slot(QModelIndex)
    def _expanded(self, index: QModelIndex) -> None:
        if self.view.model() is not self.model:
            return
        path = self.model.wants_loading(index)
        if path is not None and path not in self._wanted.values():
            self._load(path)

    def _folder_loaded(self, path: str, entries: list[Entry] | None, error: str | None) -> None:
        if error is not None or entries is None:
            self.model.failed(path, error or "no answer")
            return
        self.model.fill(path, entries)
        took = (time.monotonic() - self._asked_at.pop(path, time.monotonic())) * 1000
        short = self.snapshot.short_id if self.snapshot else "?"
        log.info("restore window: listed %s of snapshot %s: %d entries in %.0f ms",
                 path, short, len(entries), took)  # fmt: skip
        if path in self._auto and len(entries) == 1 and entries[0].is_dir:
            # A lone folder at the top (/home/ana/...): open the way down to the files.
            self._auto.add(entries[0].path)
            index = self.model.index_of(entries[0].path)
            if index is not None:
                self.view.expand(self.model.index(index.row(), 0, index.parent()))

    def _show_tree(self) -> None:
        if self.view.model() is not self.model:
            self.view.setModel(self.model)
            self.view.selectionModel().selectionChanged.connect(self._selection_changed)
            self.update_buttons()

    def _search(self) -> None:
        text = self.search.text().strip()
        if not text or self.snapshot is None:
            self._show_tree()
            return
        pattern = text if any(c in text for c in "*?[") else f"*{text}*"
        snap = self.snapshot.id
        self.message.setText(f"Searching for {pattern}…")
        self.ask("find", lambda b: b.find(pattern, snap))

    def show_results(self, model: Any) -> None:
        self.view.setModel(model)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.update_buttons()

    # --- selection and preview ------------------------------------------------------------

    def selected(self) -> list[Entry]:
        model = self.view.model()
        rows = self.view.selectionModel().selectedRows(0)
        getter = self.model.entry if model is self.model else restore_flow.result_entry
        return [e for e in (getter(i) for i in rows) if e is not None]

    @Slot(QItemSelection, QItemSelection)
    def _selection_changed(self, *_: object) -> None:
        self.update_buttons()
        chosen = self.selected()
        if len(chosen) == 1 and chosen[0].type == "file" and self.snapshot is not None:
            self.preview.show_entry(chosen[0], self.snapshot.id)
        else:
            self.preview.clear()

    def update_buttons(self) -> None:
        chosen = self.selected() if hasattr(self, "view") else []
        busy = self.runner.busy
        has = bool(chosen) and self.snapshot is not None and not busy
        self.restore_to.setEnabled(has)
        self.restore_original.setEnabled(has)
        self.versions.setEnabled(len(chosen) == 1 and chosen[0].type == "file")
        self.missing.setEnabled(self.snapshot is not None and all(e.is_dir for e in chosen))
        from restic_monitor.restore.mount import fuse_problem

        problem = fuse_problem()
        self.browse.setEnabled(problem is None)
        self.browse.setToolTip(problem or "The repository as folders in your file manager")

    # --- browse as folder --------------------------------------------------------------

    def _browse(self) -> None:
        if self.mount.mount is not None:
            self.mount.stop()
            self.browse.setText("Browse as folder")
            return
        try:
            restic = self.profile_restic()
        except BrowseError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText("Mounting the repository…")
        self.browse.setText("Stop browsing")
        self.mount.start(restic)

    @Slot(object, object)
    def _mounted(self, folder: Path | None, error: str | None) -> None:
        if folder is None:
            self.message.setText(f"Cannot browse as a folder: {error}")
            self.browse.setText("Browse as folder")
            self.mount.mount = None
            return
        self.message.setText(f"The repository is at {folder} until this window closes.")
        self.open_folder(folder / "snapshots")

    def dialog_parent(self) -> QWidget:
        return self

    def _stop_restore(self) -> None:
        self.runner.stop()
        self.message.setText("Stopping the restore…")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.worker.close()
        self.mount.stop(wait=True)
        super().closeEvent(event)

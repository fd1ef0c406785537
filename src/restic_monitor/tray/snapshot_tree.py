"""A snapshot's folders as a tree that loads itself one folder at a time.

Every folder starts with a single "Loading" child; expanding it asks for
that folder's listing (the window's worker runs ``restic ls`` for it) and
the answer replaces the child. A folder being loaded shows a spinner; one
that could not be listed says why in its child row.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QStyle

from restic_monitor.humanize import human_bytes
from restic_monitor.isotime import local_minute
from restic_monitor.restic.snapshots import Entry

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
#: A placeholder row: "loading" or the error text.
PLACEHOLDER_ROLE = Qt.ItemDataRole.UserRole + 2
COLUMNS = ("Name", "Size", "Modified")
_SPINNER = "◐◓◑◒"


def modified_text(iso: str) -> str:
    return local_minute(iso) or ""


class SnapshotTree(QStandardItemModel):
    def __init__(self) -> None:
        super().__init__(0, len(COLUMNS))
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.snapshot: str | None = None
        #: Folder path -> its item, for the folders being loaded (spinner) or loaded.
        self._folders: dict[str, QStandardItem] = {}
        #: Every listed item by its path (folders and files).
        self._items: dict[str, QStandardItem] = {}
        self._loading: set[str] = set()
        self._frame = 0
        self._spin = QTimer(self)
        self._spin.setInterval(120)
        self._spin.timeout.connect(self._turn)
        style = QApplication.style()
        self._dir_icon = style.standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        self._file_icon = style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        self._link_icon = style.standardIcon(QStyle.StandardPixmap.SP_FileLinkIcon)

    # --- what the window asks ----------------------------------------------------------

    def show_snapshot(self, snapshot: str | None) -> None:
        """Start over with another snapshot: only its top level, still to be loaded."""
        self.removeRows(0, self.rowCount())
        self._folders.clear()
        self._items.clear()
        self._loading.clear()
        self.snapshot = snapshot
        if snapshot is not None:
            root = self.invisibleRootItem()
            self._folders["/"] = root
            self._add_placeholder(root)

    def wants_loading(self, index: QModelIndex) -> str | None:
        """The folder path behind ``index`` when expanding it must load it, else None."""
        item = self.itemFromIndex(index.siblingAtColumn(0)) if index.isValid() else None
        entry = item.data(ENTRY_ROLE) if item is not None else None
        if item is None or not isinstance(entry, Entry) or not entry.is_dir:
            return None
        return entry.path if self._unloaded(item) else None

    def top_needs_loading(self) -> bool:
        root = self._folders.get("/")
        return root is not None and self._unloaded(root)

    def loading(self, path: str) -> None:
        self._loading.add(path)
        self._spin.start()
        self._turn()

    def fill(self, path: str, entries: list[Entry]) -> None:
        """A folder's listing has come: its rows, folders first (as listed)."""
        item = self._folders.get(path)
        self._loading.discard(path)
        if item is None:
            return
        item.removeRows(0, item.rowCount())
        for entry in entries:
            row = self._row(entry)
            item.appendRow(row)
            self._items[entry.path] = row[0]
            if entry.is_dir:
                self._folders[entry.path] = row[0]
                self._add_placeholder(row[0])
        if not entries:
            item.appendRow(self._note("(empty folder)", "empty"))
        self._stop_spinner_if_idle()

    def failed(self, path: str, message: str) -> None:
        item = self._folders.get(path)
        self._loading.discard(path)
        if item is not None:
            item.removeRows(0, item.rowCount())
            item.appendRow(self._note(f"Could not list this folder: {message}", "error"))
        self._stop_spinner_if_idle()

    def entry(self, index: QModelIndex) -> Entry | None:
        item = self.itemFromIndex(index.siblingAtColumn(0)) if index.isValid() else None
        entry = item.data(ENTRY_ROLE) if item is not None else None
        return entry if isinstance(entry, Entry) else None

    def index_of(self, path: str) -> QPersistentModelIndex | None:
        item = self._items.get(path)
        return QPersistentModelIndex(item.index()) if item is not None else None

    def loaded_paths(self, path: str) -> list[str]:
        """The paths listed so far in a folder (for tests and the missing-files view)."""
        item = self._folders.get(path)
        if item is None:
            return []
        out = []
        for row in range(item.rowCount()):
            entry = item.child(row, 0).data(ENTRY_ROLE)
            if isinstance(entry, Entry):
                out.append(entry.path)
        return out

    # --- rows --------------------------------------------------------------------------

    def _row(self, entry: Entry) -> list[QStandardItem]:
        icon = {"dir": self._dir_icon, "symlink": self._link_icon}.get(entry.type, self._file_icon)
        name = QStandardItem(icon, entry.name)
        name.setData(entry, ENTRY_ROLE)
        name.setToolTip(entry.path)
        size = QStandardItem(human_bytes(entry.size) if entry.size is not None else "")
        size.setData(entry.size or 0, Qt.ItemDataRole.UserRole)
        size.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        when = QStandardItem(modified_text(entry.mtime))
        for cell in (name, size, when):
            cell.setEditable(False)
        return [name, size, when]

    def _note(self, text: str, kind: str) -> list[QStandardItem]:
        item = QStandardItem(text)
        item.setData(kind, PLACEHOLDER_ROLE)
        item.setEditable(False)
        item.setSelectable(False)
        item.setEnabled(kind != "empty")
        return [item, QStandardItem(""), QStandardItem("")]

    def _add_placeholder(self, item: QStandardItem) -> None:
        item.appendRow(self._note("Loading…", "loading"))

    def _unloaded(self, item: QStandardItem) -> bool:
        if item.rowCount() != 1:
            return False
        child = item.child(0, 0)
        return child is not None and bool(child.data(PLACEHOLDER_ROLE) == "loading")

    def _turn(self) -> None:
        self._frame = (self._frame + 1) % len(_SPINNER)
        for path in self._loading:
            item = self._folders.get(path)
            if item is not None and self._unloaded(item):
                item.child(0, 0).setText(f"{_SPINNER[self._frame]}  Loading…")

    def _stop_spinner_if_idle(self) -> None:
        if not self._loading:
            self._spin.stop()

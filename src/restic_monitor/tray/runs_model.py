"""The history table's rows: runs as a Qt model, each cell worded only when shown.

A table widget builds an item per cell up front (ten thousand runs, a
hundred thousand items, a second of a frozen window); a model answers for
the cells on screen only.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from restic_monitor.humanize import human_duration
from restic_monitor.isotime import to_iso
from restic_monitor.state.history import RunRecord
from restic_monitor.tray.wording import added_or_found

OUTCOME_COLOURS = {
    "success": "#2e7d32",
    "incomplete": "#a06b00",
    "failed": "#c62828",
    "error": "#c62828",
    "interrupted": "#546e7a",
}

#: Why a run started, as the table says it.
TRIGGER_WORDS = {
    "idle": "you were away",
    "manual": "asked for",
    "overdue": "overdue",
    "recovery": "at start-up",
    "after_failure": "after a failure",
    "before_backup": "before a backup",
}

COLUMNS = (
    "Started",
    "Profile",
    "Kind",
    "Trigger",
    "Duration",
    "Outcome",
    "Reason",
    "New files",
    "Changed",
    "Data added",
    "Snapshot",
)
OUTCOME_COLUMN = COLUMNS.index("Outcome")

_Index = QModelIndex | QPersistentModelIndex


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def cell(record: RunRecord, column: int) -> str:
    """The text of one cell."""
    name = COLUMNS[column]
    if name == "Started":
        return to_iso(record.started).replace("T", " ")[:19]
    if name == "Profile":
        return record.profile
    if name == "Kind":
        return record.kind
    if name == "Trigger":
        return TRIGGER_WORDS.get(record.trigger, record.trigger)
    if name == "Duration":
        return human_duration(record.duration) if record.duration is not None else "-"
    if name == "Outcome":
        return record.outcome or "running"
    if name == "Reason":
        return "" if record.outcome in (None, "success") else (record.message or "")
    if name == "New files":
        return _count(record.files_new)
    if name == "Changed":
        return _count(record.files_changed)
    if name == "Data added":
        return added_or_found(record)
    return (record.snapshot_id or "-")[:8]


class RunsModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[RunRecord] = []
        self._italic = QFont()
        self._italic.setItalic(True)

    def set_records(self, records: list[RunRecord]) -> None:
        self.beginResetModel()
        self.records = records
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record = self.records[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return cell(record, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if record.message and record.outcome != "success":
                return record.message
            return None
        if role == Qt.ItemDataRole.ForegroundRole and column == OUTCOME_COLUMN:
            return QColor(OUTCOME_COLOURS.get(record.outcome or "", "#000000"))
        if role == Qt.ItemDataRole.FontRole and record.kind != "backup":
            return self._italic  # set apart from backups: the repository's upkeep
        return None

    def record(self, row: int) -> RunRecord | None:
        return self.records[row] if 0 <= row < len(self.records) else None

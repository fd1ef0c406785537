"""The run history window: a chart and a table of runs.

It reads the disk in background threads and hands the result to the UI
thread through signals, so a slow disk never freezes the tray. The history
can be narrowed to one profile and one kind of job; each choice is a new
query in a thread, and an answer that arrives after a newer choice is dropped.
"""

from __future__ import annotations

import contextlib
import threading

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from restic_monitor.humanize import human_bytes, human_duration
from restic_monitor.isotime import to_iso
from restic_monitor.jobs.kinds import KINDS
from restic_monitor.paths import Home
from restic_monitor.state.history import History, RunRecord
from restic_monitor.tray.wording import added_or_found

HISTORY_LIMIT = 200
FOLLOW_INTERVAL = 0.5
INITIAL_TAIL_BYTES = 512 * 1024
MAX_LOG_LINES = 20_000

_OUTCOME_COLOURS = {
    "success": "#2e7d32",
    "incomplete": "#f9a825",
    "failed": "#c62828",
    "error": "#c62828",
    "interrupted": "#78909c",
}


def history_title(count: int) -> str:
    return f"restic-monitor — backup history ({count} run{'s' if count != 1 else ''})"


class _Loader(QObject):
    loaded = Signal(object)


class HistoryChart(QWidget):
    """Data added per run (bars) and run duration (line), oldest on the left."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.records: list[RunRecord] = []
        self.setMinimumHeight(160)

    def set_records(self, records: list[RunRecord]) -> None:
        # Backups only: maintenance adds no data, and its durations are another scale.
        finished = [r for r in reversed(records) if r.ended is not None and r.kind == "backup"]
        self.records = finished[-60:]
        self.update()

    def paintEvent(self, _event: object) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(50, 22, -50, -24)
        painter.fillRect(self.rect(), self.palette().base())
        painter.setPen(self.palette().text().color())
        if not self.records:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No runs recorded yet")
            return
        added = [float(r.data_added or 0) for r in self.records]
        durations = [float(r.duration or 0.0) for r in self.records]
        max_added = max(added) or 1.0
        max_duration = max(durations) or 1.0
        slot = rect.width() / len(self.records)
        for i, record in enumerate(self.records):
            height = rect.height() * added[i] / max_added
            bar = QRectF(
                rect.left() + i * slot + slot * 0.15,
                rect.bottom() - height,
                max(slot * 0.7, 1.0),
                height,
            )
            colour = QColor(_OUTCOME_COLOURS.get(record.outcome or "", "#1565c0"))
            if record.outcome == "success":
                colour = QColor("#1565c0")
            painter.fillRect(bar, colour)
        path = QPainterPath()
        for i, duration in enumerate(durations):
            point = QPointF(
                rect.left() + (i + 0.5) * slot,
                rect.bottom() - rect.height() * duration / max_duration,
            )
            if i == 0:
                path.moveTo(point)
            else:
                path.lineTo(point)
        painter.setPen(QPen(QColor("#e65100"), 2))
        painter.drawPath(path)
        painter.setPen(self.palette().text().color())
        small = QFont(self.font())
        small.setPointSizeF(max(small.pointSizeF() * 0.85, 6.0))
        painter.setFont(small)
        painter.drawText(
            QRectF(0, 2, self.width(), 18),
            Qt.AlignmentFlag.AlignCenter,
            "data added per run (bars) · duration (line)",
        )
        painter.drawText(
            QRectF(2, rect.top() - 6, 46, 16),
            Qt.AlignmentFlag.AlignRight,
            human_bytes(max_added),
        )
        painter.drawText(
            QRectF(rect.right() + 4, rect.top() - 6, 46, 16),
            Qt.AlignmentFlag.AlignLeft,
            human_duration(max_duration),
        )
        first, last = self.records[0], self.records[-1]
        painter.drawText(
            QRectF(rect.left(), rect.bottom() + 4, 200, 16),
            Qt.AlignmentFlag.AlignLeft,
            to_iso(first.started)[:16].replace("T", " "),
        )
        painter.drawText(
            QRectF(rect.right() - 200, rect.bottom() + 4, 200, 16),
            Qt.AlignmentFlag.AlignRight,
            to_iso(last.started)[:16].replace("T", " "),
        )


class HistoryWindow(QDialog):
    COLUMNS = (
        "Started",
        "Profile",
        "Kind",
        "Duration",
        "Outcome",
        "New files",
        "Changed",
        "Data added",
        "Snapshot",
    )
    OUTCOME_COLUMN = 4

    def __init__(
        self,
        home: Home,
        parent: QWidget | None = None,
        *,
        profile: str | None = None,
        profiles: list[str] | None = None,
    ) -> None:
        """``profile``: shown alone at first; ``profiles``: the names known already
        (the running engine's), so the filter is filled before the disk is read."""
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("restic-monitor — backup history")
        self.resize(900, 520)
        self.home = home
        self.chart = HistoryChart(self)
        self.profile_filter = QComboBox(self)
        self.profile_filter.addItem("All profiles", None)
        self.kind_filter = QComboBox(self)
        self.kind_filter.addItem("All kinds", None)
        for kind in KINDS:
            self.kind_filter.addItem(kind, kind)
        self._add_profiles([*(profiles or []), *([profile] if profile else [])])
        if profile is not None:
            self.profile_filter.setCurrentIndex(self.profile_filter.findData(profile))
        filters = QHBoxLayout()
        for text, box in (("&Profile:", self.profile_filter), ("&Kind:", self.kind_filter)):
            label = QLabel(text, self)
            label.setBuddy(box)
            filters.addWidget(label)
            filters.addWidget(box)
        filters.addStretch(1)
        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.summary = QLabel("Loading…", self)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.chart)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        self._loader = _Loader()
        self._loader.loaded.connect(self._on_loaded)
        #: Which query's answer is awaited: a later choice outdates earlier answers.
        self._query = 0
        self.profile_filter.currentIndexChanged.connect(lambda _index: self.reload())
        self.kind_filter.currentIndexChanged.connect(lambda _index: self.reload())
        self.reload(with_profiles=True)

    def _add_profiles(self, names: list[str]) -> None:
        """Profiles not in the filter yet; the choice made stays (no reload)."""
        self.profile_filter.blockSignals(True)
        try:
            for name in names:
                if self.profile_filter.findData(name) < 0:
                    self.profile_filter.addItem(name, name)
        finally:
            self.profile_filter.blockSignals(False)

    def reload(self, with_profiles: bool = False) -> None:
        self._query += 1
        profile = self.profile_filter.currentData()
        kind = self.kind_filter.currentData()
        self.summary.setText("Loading…")
        threading.Thread(
            target=self._load,
            args=(self._query, profile, kind, with_profiles),
            name="history-load",
            daemon=True,
        ).start()

    def _load(self, query: int, profile: str | None, kind: str | None, names: bool) -> None:
        path = self.home.history_db
        records = []
        if path.exists():  # (reading a home that has no history must not create one)
            records = History(path).recent(HISTORY_LIMIT, kind=kind, profile=profile)
        profiles = self.home.profile_names() if names else []
        with contextlib.suppress(RuntimeError):  # the window closed meanwhile
            self._loader.loaded.emit((query, records, profiles))

    @Slot(object)
    def _on_loaded(self, answer: tuple[int, list[RunRecord], list[str]]) -> None:
        query, records, profiles = answer
        self._add_profiles(profiles)
        if query == self._query:
            self.show_records(records)

    @property
    def filtered(self) -> bool:
        return bool(self.profile_filter.currentIndex() > 0 or self.kind_filter.currentIndex() > 0)

    @Slot(object)
    def show_records(self, records: list[RunRecord]) -> None:
        self.setWindowTitle(history_title(len(records)))
        self.chart.set_records(records)
        self.table.setRowCount(len(records))
        for row, record in enumerate(records):
            values = [
                to_iso(record.started).replace("T", " ")[:19],
                record.profile,
                record.kind,
                human_duration(record.duration) if record.duration is not None else "-",
                record.outcome or "running",
                "-" if record.files_new is None else f"{record.files_new:,}",
                "-" if record.files_changed is None else f"{record.files_changed:,}",
                added_or_found(record),
                (record.snapshot_id or "-")[:8],
            ]
            maintenance = record.kind != "backup"
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if maintenance:  # set apart from backups: the repository's upkeep
                    font = item.font()
                    font.setItalic(True)
                    item.setFont(font)
                    item.setToolTip(record.message or "")
                if column == self.OUTCOME_COLUMN:
                    item.setForeground(QColor(_OUTCOME_COLOURS.get(record.outcome or "", "#000")))
                    if record.message and record.outcome != "success":
                        item.setToolTip(record.message)
                self.table.setItem(row, column, item)
        ok = sum(1 for r in records if r.counted_success or r.outcome == "success")
        runs = f"{len(records)} run{'s' if len(records) != 1 else ''}"
        if records:
            self.summary.setText(f"{runs} shown, {ok} successful.")
        else:
            self.summary.setText("No runs of this choice." if self.filtered else "No backups yet.")

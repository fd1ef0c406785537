"""The run history window: a chart, filters and a table of runs, each run's log a click away.

It reads the disk in background threads and hands the result to the UI
thread through signals, so a slow disk never freezes the tray. Each choice of
filter is a new query in a thread; an answer that arrives after a newer
choice is dropped. The chart (pyqtgraph, and numpy under it) is imported
here, that is only when the window first opens.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from restic_monitor.jobs.kinds import KINDS
from restic_monitor.paths import Home
from restic_monitor.state.history import History, RunRecord
from restic_monitor.state.run_logs import find_run_log
from restic_monitor.tray.history_chart import HistoryChart
from restic_monitor.tray.runs_model import RunsModel

#: The most runs read for one choice of filters: ten thousand runs are years of backups.
HISTORY_LIMIT = 10_000
OUTCOMES = ("success", "failed", "incomplete", "interrupted", "error")


def history_title(count: int) -> str:
    """The window's title. Qt adds the application's name where the desktop shows it."""
    return f"Backup history ({count:,} run{'s' if count != 1 else ''})"


class _Loader(QObject):
    loaded = Signal(object)


class HistoryWindow(QDialog):
    def __init__(
        self,
        home: Home,
        parent: QWidget | None = None,
        *,
        profile: str | None = None,
        profiles: list[str] | None = None,
        open_log: Any = None,
    ) -> None:
        """``profile``: shown alone at first; ``profiles``: the names known already
        (the running engine's), so the filter is filled before the disk is read;
        ``open_log(path, title)``: how a run's log is shown."""
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("Backup history")
        self.resize(1000, 640)
        self.home = home
        self.open_log = open_log
        self.chart = HistoryChart(self)
        self.profile_filter = QComboBox(self)
        self.profile_filter.addItem("All profiles", None)
        self.kind_filter = QComboBox(self)
        self.kind_filter.addItem("All kinds", None)
        for kind in KINDS:
            self.kind_filter.addItem(kind, kind)
        self.outcome_filter = QComboBox(self)
        self.outcome_filter.addItem("All outcomes", None)
        for outcome in OUTCOMES:
            self.outcome_filter.addItem(outcome, outcome)
        self._add_profiles([*(profiles or []), *([profile] if profile else [])])
        if profile is not None:
            self.profile_filter.setCurrentIndex(self.profile_filter.findData(profile))
        filters = QHBoxLayout()
        for text, box in (
            ("&Profile:", self.profile_filter),
            ("&Kind:", self.kind_filter),
            ("&Outcome:", self.outcome_filter),
        ):
            label = QLabel(text, self)
            label.setBuddy(box)
            filters.addWidget(label)
            filters.addWidget(box)
        filters.addStretch(1)
        self.log_button = QPushButton("Show this run's &log", self)
        self.log_button.setEnabled(False)
        self.log_button.clicked.connect(self.show_selected_log)
        filters.addWidget(self.log_button)
        self.model = RunsModel()
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _index: self.show_selected_log())
        self.table.selectionModel().currentRowChanged.connect(self._on_row)
        self.summary = QLabel("Loading…", self)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        below = QWidget(self)
        below_layout = QVBoxLayout(below)
        below_layout.setContentsMargins(0, 0, 0, 0)
        below_layout.addWidget(self.summary)
        below_layout.addWidget(self.table, 1)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.chart)
        split.addWidget(below)
        split.setSizes([300, 340])
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(split, 1)
        self._loader = _Loader()
        self._loader.loaded.connect(self._on_loaded)
        #: Which query's answer is awaited: a later choice outdates earlier answers.
        self._query = 0
        for box in (self.profile_filter, self.kind_filter, self.outcome_filter):
            box.currentIndexChanged.connect(lambda _index: self.reload())
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
        choice = (
            self.profile_filter.currentData(),
            self.kind_filter.currentData(),
            self.outcome_filter.currentData(),
        )
        self.summary.setText("Loading…")
        threading.Thread(
            target=self._load,
            args=(self._query, choice, with_profiles),
            name="history-load",
            daemon=True,
        ).start()

    def _load(self, query: int, choice: tuple[Any, Any, Any], names: bool) -> None:
        profile, kind, outcome = choice
        path = self.home.history_db
        records = []
        if path.exists():  # (reading a home that has no history must not create one)
            records = History(path).recent(
                HISTORY_LIMIT, kind=kind, profile=profile, outcome=outcome
            )
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
        boxes = (self.profile_filter, self.kind_filter, self.outcome_filter)
        return any(box.currentIndex() > 0 for box in boxes)

    def show_records(self, records: list[RunRecord]) -> None:
        self.setWindowTitle(history_title(len(records)))
        # With every kind shown the chart is the backups': maintenance adds no data,
        # and its durations are another scale. One kind chosen: that kind.
        kind = self.kind_filter.currentData()
        self.chart.set_records([r for r in records if r.kind == (kind or "backup")])
        self.model.set_records(records)
        if records:
            self.table.resizeColumnsToContents()
            for column in range(self.model.columnCount()):  # a long reason stays one line
                if self.table.columnWidth(column) > 320:
                    self.table.setColumnWidth(column, 320)
        self.log_button.setEnabled(False)
        ok = sum(1 for r in records if r.counted_success or r.outcome == "success")
        runs = f"{len(records):,} run{'s' if len(records) != 1 else ''}"
        if records:
            more = " (the newest; narrow the choice to see older ones)"
            limited = more if len(records) >= HISTORY_LIMIT else ""
            self.summary.setText(f"{runs} shown{limited}, {ok:,} successful.")
        else:
            self.summary.setText("No runs of this choice." if self.filtered else "No backups yet.")

    def _on_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        record = self.model.record(current.row())
        self.log_button.setEnabled(record is not None and record.ended is not None)

    def selected(self) -> RunRecord | None:
        return self.model.record(self.table.currentIndex().row())

    def show_selected_log(self) -> None:
        """The chosen run's own log, or why there is none."""
        record = self.selected()
        if record is None:
            return
        path = find_run_log(self.home.profile(record.profile).logs, record.id)
        if path is None:
            self.summary.setText(
                f"The log of run {record.id} is no longer kept (keep_run_logs keeps the "
                "newest runs' logs; a run that could not start restic has none)."
            )
            return
        if self.open_log is not None:
            self.open_log(path, f"Log of the {record.kind} of {record.profile}, run {record.id}")

"""What the restore window's buttons do: ask, check in the worker, confirm, restore.

Every check that reads the repository (would this replace a file? which
versions are there? what is missing?) is a query for the window's worker;
the answer comes back here and leads to the next question or to the restore.
"Original location" always shows what it would replace before it does.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QModelIndex, QObject, Slot
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QDialog

from restic_monitor.humanize import human_bytes
from restic_monitor.restic.snapshots import Entry, Match, Snapshot
from restic_monitor.restore import compare, place
from restic_monitor.tray import restore_dialogs
from restic_monitor.tray.snapshot_tree import ENTRY_ROLE, modified_text

if TYPE_CHECKING:
    from PySide6.QtWidgets import QLabel, QLineEdit, QProgressBar, QPushButton, QWidget

    from restic_monitor.restic.browse import Browser
    from restic_monitor.tray.restore_jobs import RestoreRunner


class WindowParts(Protocol):
    """What the buttons' work uses of the restore window (which owns this flow)."""

    snapshot: Snapshot | None
    last_target: Path | None
    message: QLabel
    search: QLineEdit
    bar: QProgressBar
    stop: QPushButton
    open_target: QPushButton
    runner: RestoreRunner

    def ask(self, topic: str, query: Callable[[Browser], Any]) -> int: ...

    def selected(self) -> list[Entry]: ...

    def show_results(self, model: Any) -> None: ...

    def update_buttons(self) -> None: ...

    def dialog_parent(self) -> QWidget: ...


def results_model(parent: QObject) -> QStandardItemModel:
    model = QStandardItemModel(0, 3, parent)
    model.setHorizontalHeaderLabels(["Found", "Size", "Modified"])
    return model


def result_entry(index: QModelIndex) -> Entry | None:
    entry = index.siblingAtColumn(0).data(ENTRY_ROLE)
    return entry if isinstance(entry, Entry) else None


def conflicts_by_target(
    browser: Browser, snap: Snapshot, groups: dict[Path, list[Entry]]
) -> list[Path]:
    from restic_monitor.restore.check import planned_conflicts

    found: list[Path] = []
    for target, items in groups.items():
        found += planned_conflicts(browser, snap, items, target)
    return found


class RestoreFlow:
    def __init__(self, window: WindowParts) -> None:
        self.w = window
        #: The restore being prepared: snapshot, {target: items}, overwrite asked for.
        self.pending: tuple[Snapshot, dict[Path, list[Entry]], bool] | None = None

    # --- what the tests replace: the questions ---------------------------------------

    def ask_target(self, count: int) -> Path | None:
        dialog = restore_dialogs.TargetDialog(count, self.w.dialog_parent())
        return dialog.target() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def confirm(self, title: str, intro: str, paths: list[Path], ok: str) -> bool:
        dialog = restore_dialogs.ConfirmDialog(title, intro, paths, ok, self.w.dialog_parent())
        return dialog.exec() == QDialog.DialogCode.Accepted

    def choose(self, dialog: restore_dialogs.ListDialog) -> list[Any] | None:
        return dialog.chosen() if dialog.exec() == QDialog.DialogCode.Accepted else None

    # --- the buttons -----------------------------------------------------------------------

    def restore_to(self, _checked: bool = False, snap: Snapshot | None = None,
                   items: list[Entry] | None = None) -> None:  # fmt: skip
        snap = snap or self.w.snapshot
        items = items if items is not None else self.w.selected()
        if snap is None or not items:
            return
        try:
            place.check_names(e.path for e in items)
        except ValueError as exc:
            self.w.message.setText(f"{exc}: restore them one at a time.")
            return
        target = self.ask_target(len(items))
        if target is None:
            return
        self._check(snap, {target: items}, original=False)

    def restore_original(self, _checked: bool = False, items: list[Entry] | None = None) -> None:
        snap = self.w.snapshot
        items = items if items is not None else self.w.selected()
        if snap is None or not items:
            return
        groups: dict[Path, list[Entry]] = defaultdict(list)
        for entry in items:
            parent = entry.path.rsplit("/", 1)[0] or "/"
            groups[Path(compare.disk_path(parent))].append(entry)
        self._check(snap, dict(groups), original=True)

    def _check(self, snap: Snapshot, groups: dict[Path, list[Entry]], original: bool) -> None:
        self.pending = (snap, groups, original)
        self.w.message.setText("Checking what the restore would replace…")
        self.w.ask("conflicts", lambda b: conflicts_by_target(b, snap, groups))

    def versions(self) -> None:
        chosen = self.w.selected()
        if len(chosen) != 1:
            return
        entry = chosen[0]
        self.w.message.setText(f"Looking for every version of {entry.name}…")

        def query(b: Browser) -> tuple[Entry, list[compare.Version]]:
            from restic_monitor.restore.check import versions_of

            return entry, versions_of(b, entry.path)

        self.w.ask("versions", query)

    def missing(self) -> None:
        snap = self.w.snapshot
        if snap is None:
            return
        chosen = self.w.selected()
        folders = [e.path for e in chosen] or [compare.tree_path(p) for p in snap.paths[:1]]
        self.w.message.setText("Comparing the snapshot with the disk…")

        def query(b: Browser) -> tuple[str, list[compare.Missing]]:
            gone: list[compare.Missing] = []
            for folder in folders:
                gone += compare.missing(b.walk(snap.id, folder))
            return ", ".join(compare.disk_path(f) for f in folders), gone

        self.w.ask("missing", query)

    # --- answers from the worker ----------------------------------------------------------

    def answered(self, kind: str, result: Any, error: str | None) -> None:
        if error is not None:
            self.w.message.setText(f"Cannot {_doing(kind)}: {error}")
            return
        if kind == "conflicts":
            self._conflicts(result)
        elif kind == "find":
            self._found(result)
        elif kind == "versions":
            self._versions(*result)
        elif kind == "missing":
            self._missing(*result)

    def _conflicts(self, clashes: list[Path]) -> None:
        if self.pending is None:
            return
        snap, groups, original = self.pending
        self.pending = None
        overwrite = False
        if original:
            where = ", ".join(str(t) for t in groups)
            intro = (
                f"Restoring to where the items were ({where}) replaces these "
                f"{len(clashes)} file(s) with their version of {modified_text(snap.time)}:"
                if clashes
                else f"Restoring to where the items were ({where}) replaces no existing file."
            )
            if not self.confirm("Restore to original location", intro, clashes, "Restore"):
                self.w.message.setText("Nothing was restored.")
                return
            overwrite = bool(clashes)
        elif clashes:
            intro = (
                f"{len(clashes)} file(s) in the target exist already and would be replaced "
                "by the snapshot's version:"
            )
            if not self.confirm("Replace existing files?", intro, clashes, "Replace them"):
                self.w.message.setText("Nothing was restored.")
                return
            overwrite = True
        self._start(snap, groups, overwrite)

    def _start(self, snap: Snapshot, groups: dict[Path, list[Entry]], overwrite: bool) -> None:
        from restic_monitor.jobs.restore import RestoreRequest

        requests = [
            RestoreRequest(snap.id, tuple(e.path for e in items), str(target), overwrite).to_json()
            for target, items in groups.items()
        ]
        self.w.last_target = next(iter(groups))
        self.w.message.setText(f"Restoring into {self.w.last_target}…")
        self.w.bar.setRange(0, 0)
        self.w.bar.setVisible(True)
        self.w.stop.setVisible(True)
        self.w.open_target.setVisible(False)
        self.w.runner.start(requests)
        self.w.update_buttons()

    def _found(self, matches: list[Match]) -> None:
        model = results_model(self.w.dialog_parent())
        for m in sorted(matches, key=lambda m: m.entry.path):
            name = QStandardItem(m.entry.path + ("/" if m.entry.is_dir else ""))
            name.setData(m.entry, ENTRY_ROLE)
            size = human_bytes(m.entry.size) if m.entry.size is not None else ""
            row = [name, QStandardItem(size), QStandardItem(modified_text(m.entry.mtime))]
            for cell in row:
                cell.setEditable(False)
            model.appendRow(row)
        self.w.show_results(model)
        text = self.w.search.text().strip()
        self.w.message.setText(f"{len(matches)} found for {text!r}; clear the search for folders.")

    def _versions(self, entry: Entry, found: list[compare.Version]) -> None:
        self.w.message.setText(f"{len(found)} version(s) of {entry.name}.")
        chosen = self.choose(
            restore_dialogs.versions_dialog(entry.name, found, self.w.dialog_parent())
        )
        if chosen:
            version = chosen[0]
            assert isinstance(version, compare.Version)
            self.restore_to(snap=version.first, items=[entry])

    def _missing(self, where: str, gone: list[compare.Missing]) -> None:
        snap = self.w.snapshot
        assert snap is not None
        self.w.message.setText(f"{len(gone)} item(s) missing under {where}.")
        chosen = self.choose(
            restore_dialogs.missing_dialog(where, snap.short_id, gone, self.w.dialog_parent())
        )
        if chosen:
            self.restore_original(items=[m.entry for m in chosen if isinstance(m, compare.Missing)])

    # --- the restore under way --------------------------------------------------------------

    @Slot(object)
    def progress(self, info: Any) -> None:
        bar = self.w.bar
        if info is None:
            bar.setRange(0, 0)  # waiting its turn, or restic is starting
            return
        if info.fraction is not None and info.total_bytes:
            bar.setRange(0, 1000)
            bar.setValue(int(info.fraction * 1000))
            bar.setFormat(f"%p %  ({human_bytes(info.bytes_done or 0)})")
        else:
            bar.setRange(0, 0)
        done = info.files_done or 0
        self.w.message.setText(
            f"Restoring into {self.w.last_target}: {done:,} files, "
            f"{human_bytes(info.bytes_done or 0)} so far…"
        )

    @Slot(object, object)
    def finished(self, records: list[Any], error: str | None) -> None:
        self.w.runner.done()
        self.w.bar.setVisible(False)
        self.w.stop.setVisible(False)
        ok = error is None and records and all(r.counted_success for r in records)
        if error is not None:
            self.w.message.setText(error)
        elif records:
            self.w.message.setText(" ".join(r.message or "" for r in records))
        self.w.open_target.setVisible(bool(ok) and self.w.last_target is not None
                                      and os.path.isdir(self.w.last_target))  # fmt: skip
        self.w.update_buttons()


def _doing(kind: str) -> str:
    return {
        "conflicts": "check the target",
        "find": "search",
        "versions": "list the versions",
        "missing": "compare with the disk",
    }.get(kind, kind)

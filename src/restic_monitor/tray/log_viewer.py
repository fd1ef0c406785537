"""The log viewer: a read-only window on a log file that follows it while it grows.

The file is read in a thread (a log on a slow disk never freezes the tray);
the window opens at the newest line, wraps long lines, finds text and marks
the lines that report errors, so a failed run's reason is seen, not hunted.
"""

from __future__ import annotations

import contextlib
import re
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QKeySequence,
    QShortcut,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

FOLLOW_INTERVAL = 0.5
INITIAL_TAIL_BYTES = 512 * 1024
MAX_LOG_LINES = 20_000


class _Follower(QObject):
    """Reads a growing file in a thread; emits new text, or a reset when it shrinks."""

    appended = Signal(str)
    reset = Signal(str)

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="log-follow", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        position = 0
        identity: tuple[int, int] | None = None
        first = True
        while not self._stop.is_set():
            try:
                st = self.path.stat()
                current = (st.st_ino, st.st_dev)
                if first or current != identity or st.st_size < position:
                    start = max(0, st.st_size - INITIAL_TAIL_BYTES)
                    with self.path.open("rb") as fh:
                        fh.seek(start)
                        data = fh.read()
                    position = start + len(data)
                    identity = current
                    self._emit(self.reset, data, skipped=start > 0)
                    first = False
                elif st.st_size > position:
                    with self.path.open("rb") as fh:
                        fh.seek(position)
                        data = fh.read(4 * 1024 * 1024)
                    position += len(data)
                    self._emit(self.appended, data)
            except FileNotFoundError:
                if first or identity is not None:
                    self._emit(self.reset, b"(no log yet)\n")
                    identity = None
                    position = 0
                    first = False
            except OSError as exc:
                self._emit(self.reset, f"(cannot read {self.path}: {exc.strerror})\n".encode())
            self._stop.wait(FOLLOW_INTERVAL)

    def _emit(self, signal: Any, data: bytes, skipped: bool = False) -> None:
        text = data.decode("utf-8", "replace")
        if skipped:
            text = "(earlier lines not shown)\n" + text.split("\n", 1)[-1]
        with contextlib.suppress(RuntimeError):
            signal.emit(text)


#: Lines that report a failure: restic's own words, our log's levels, JSON error lines.
ERROR_LINE = re.compile(
    r"\b(error|errors|fatal|failed|failure|cannot|unable to|permission denied|"
    r"not found|does not exist)\b|\"message_type\":\s*\"error\"",
    re.IGNORECASE,
)
WARNING_LINE = re.compile(r"\b(warning|warn|skipping|stalled)\b", re.IGNORECASE)


def line_level(line: str) -> str | None:
    """``"error"``, ``"warning"`` or None: how a line is marked in the viewer."""
    if ERROR_LINE.search(line):
        return "error"
    if WARNING_LINE.search(line):
        return "warning"
    return None


class _Marker(QSyntaxHighlighter):
    """Errors in red and bold, warnings in amber: the line to read stands out."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self.formats: dict[str, QTextCharFormat] = {}
        for level, colour in (("error", "#b71c1c"), ("warning", "#8d5c00")):
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(colour))
            if level == "error":
                fmt.setFontWeight(QFont.Weight.Bold)
            self.formats[level] = fmt

    def highlightBlock(self, text: str) -> None:
        level = line_level(text)
        if level is not None:
            self.setFormat(0, len(text), self.formats[level])


class LogViewer(QDialog):
    """A read-only view of a log file that follows it while it grows."""

    def __init__(self, path: Path, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(title)  # (Qt adds the application's name where it is shown)
        self.resize(900, 560)
        self.path = path
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(MAX_LOG_LINES)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.marker = _Marker(self.text.document())
        label = QLabel(str(path), self)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Find in log (Ctrl+F; Enter: next, Shift+Enter: previous)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _text: self.find_text(from_end=True))
        self.search.returnPressed.connect(self.find_next)
        self.found = QLabel("", self)
        self.wrap = QCheckBox("&Wrap lines", self)
        self.wrap.setChecked(True)
        self.wrap.toggled.connect(self._set_wrap)
        tools = QHBoxLayout()
        tools.addWidget(self.search, 1)
        tools.addWidget(self.found)
        tools.addWidget(self.wrap)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addLayout(tools)
        layout.addWidget(self.text, 1)
        QShortcut(QKeySequence.StandardKey.Find, self, self._focus_search)
        QShortcut(QKeySequence.StandardKey.FindNext, self, self.find_next)
        QShortcut(QKeySequence.StandardKey.FindPrevious, self, self.find_previous)
        QShortcut(QKeySequence("Shift+Return"), self.search, self.find_previous)
        self.follower = _Follower(path)
        self.follower.appended.connect(self._append)
        self.follower.reset.connect(self._reset)
        self.follower.start()

    # --- showing the file ---------------------------------------------------------

    @Slot(str)
    def _reset(self, text: str) -> None:
        self.text.setPlainText(text.rstrip("\n"))
        self.show_newest()
        if self.search.text():
            self.find_text(from_end=True)

    def show_newest(self) -> None:
        """The newest line in view, at the left edge (not the end of a long last line)."""
        cursor = self.text.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.movePosition(QTextCursor.MoveOperation.StartOfBlock)
        self.text.setTextCursor(cursor)
        bar = self.text.verticalScrollBar()
        bar.setValue(bar.maximum())
        self.text.horizontalScrollBar().setValue(0)

    @Slot(str)
    def _append(self, text: str) -> None:
        bar = self.text.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        cursor = QTextCursor(self.text.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        if at_end:  # following the file; a user who scrolled up to read stays there
            bar.setValue(bar.maximum())

    def _set_wrap(self, on: bool) -> None:
        mode = QPlainTextEdit.LineWrapMode
        self.text.setLineWrapMode(mode.WidgetWidth if on else mode.NoWrap)
        self.text.horizontalScrollBar().setValue(0)

    # --- finding -------------------------------------------------------------------

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def find_next(self) -> None:
        self.find_text()

    def find_previous(self) -> None:
        self.find_text(backward=True)

    def find_text(self, backward: bool = False, from_end: bool = False) -> bool:
        """Select the next match of the search text; newest first when the text changes.

        Every match is marked; the count says how many (or that there are none).
        """
        needle = self.search.text()
        if not needle:
            self.text.setExtraSelections([])
            self.found.setText("")
            return False
        matches = self._mark_all(needle)
        if not matches:
            self.found.setText("not found")
            return False
        flags = QTextDocument.FindFlag.FindBackward if backward or from_end else None
        cursor = self.text.textCursor()
        if from_end:
            cursor.movePosition(QTextCursor.MoveOperation.End)
        found = self._find_from(needle, cursor, flags)
        if found.isNull():  # wrap around
            start = QTextCursor(self.text.document())
            if backward or from_end:
                start.movePosition(QTextCursor.MoveOperation.End)
            found = self._find_from(needle, start, flags)
        self.text.setTextCursor(found)
        self.text.ensureCursorVisible()
        self.found.setText(f"{matches} match{'es' if matches != 1 else ''}")
        return True

    def _find_from(
        self, needle: str, cursor: QTextCursor, flags: QTextDocument.FindFlag | None
    ) -> QTextCursor:
        document = self.text.document()
        if flags is None:
            return document.find(needle, cursor)
        return document.find(needle, cursor, flags)

    def _mark_all(self, needle: str) -> int:
        document = self.text.document()
        selections: list[QTextEdit.ExtraSelection] = []
        cursor = document.find(needle, 0)
        while not cursor.isNull() and len(selections) < 10_000:
            selection = QTextEdit.ExtraSelection()
            selection.cursor = cursor  # type: ignore[attr-defined]
            selection.format.setBackground(QColor("#fff59d"))  # type: ignore[attr-defined]
            selections.append(selection)
            cursor = document.find(needle, cursor)
        self.text.setExtraSelections(selections)
        return len(selections)

    def done(self, result: int) -> None:
        self.follower.stop()
        super().done(result)

    def closeEvent(self, event: Any) -> None:
        self.follower.stop()
        super().closeEvent(event)

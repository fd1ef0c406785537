"""The restore window's preview: the start of a text file, or a picture, from the snapshot.

Read with ``restic dump`` by the window's worker, never more than a preview
needs (64 KiB of a text, pictures up to 8 MiB), and dropped when another file
is chosen before it arrives.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QStackedWidget, QWidget

from restic_monitor.restic.browse import Browser
from restic_monitor.restic.snapshots import Entry

#: ``ask(topic, query)``: the window's worker runs the query; its ticket.
Ask = Callable[[str, Callable[[Browser], Any]], int]

TEXT_PREVIEW_BYTES = 64 * 1024
IMAGE_PREVIEW_BYTES = 8 * 1024 * 1024


class PreviewPane(QStackedWidget):
    def __init__(self, parent: QWidget, ask: Ask, drop: Callable[[str], None]) -> None:
        super().__init__(parent)
        self._ask = ask
        self._drop = drop
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.image = QLabel(self)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.none = QLabel("Choose a file to see it here.", self)
        self.none.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for widget in (self.none, self.text, self.image):
            self.addWidget(widget)
        self._ticket = 0

    def say(self, text: str) -> None:
        self.none.setText(text)
        self.setCurrentWidget(self.none)

    def clear(self) -> None:
        self._ticket = 0
        self.say("Choose a file to see it here.")

    def show_entry(self, entry: Entry, snapshot: str) -> None:
        kind = (mimetypes.guess_type(entry.name)[0] or "").split("/")[0]
        if kind == "image" and (entry.size or 0) > IMAGE_PREVIEW_BYTES:
            self.say("Too large to preview.")
            return
        limit = IMAGE_PREVIEW_BYTES if kind == "image" else TEXT_PREVIEW_BYTES
        self.say("Loading the preview…")
        self._drop("preview:")
        topic = f"preview:{'image' if kind == 'image' else 'text'}"
        self._ticket = self._ask(topic, lambda b: b.dump(snapshot, entry.path, limit))

    def loaded(self, ticket: int, kind: str, data: Any, error: str | None) -> None:
        if ticket != self._ticket:
            return
        if error is not None or not isinstance(data, bytes):
            self.say(f"No preview: {error}")
        elif kind == "image":
            pixmap = QPixmap()
            if not pixmap.loadFromData(data):
                self.say("Not a picture this window can show.")
                return
            self.image.setPixmap(
                pixmap.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio,
                              Qt.TransformationMode.SmoothTransformation)
            )  # fmt: skip
            self.setCurrentWidget(self.image)
        elif b"\0" in data[:4096]:
            self.say("A binary file: no preview.")
        else:
            self.text.setPlainText(data.decode("utf-8", "replace"))
            self.setCurrentWidget(self.text)

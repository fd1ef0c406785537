"""The problems window: the whole status in words, selectable and copyable.

The menu keeps its lines short (a long path or restic's message would make
it as wide as the screen); this window is where the full text lives, the
same text ``restic-monitor status`` prints, so what the user copies into a
bug report or a search is exactly what the command line would say.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


def problems_title(has_problems: bool) -> str:
    """Qt adds the application's name where the desktop shows it (so it is not here)."""
    return "Problems" if has_problems else "Status"


class ProblemsWindow(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(760, 420)
        self.heading = QLabel(self)
        self.heading.setWordWrap(True)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        copy = QPushButton("&Copy all", self)
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy_all)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)

    def show_text(self, text: str, has_problems: bool) -> None:
        """Replace the text, keeping the reader's place when it did not change."""
        self.setWindowTitle(problems_title(has_problems))
        self.heading.setText(
            "What restic-monitor knows now (the same as `restic-monitor status`). "
            "Select text to copy it."
            if has_problems
            else "Nothing is wrong. This is the status as `restic-monitor status` prints it."
        )
        if text != self.text.toPlainText():
            bar = self.text.verticalScrollBar()
            position = bar.value()
            self.text.setPlainText(text)
            bar.setValue(position)

    def copy_all(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())

"""The tray's reference: the least a PySide6 tray app can be (an icon and a small menu).

The tray's start-up and idle memory are measured against this, in the same run: the
difference is what restic-monitor itself costs, whatever Qt and the machine cost.
SIGTERM quits it, as it quits the tray.
"""

from __future__ import annotations

import signal
import socket
import sys

from PySide6.QtCore import QSocketNotifier
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon


def main() -> int:
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    pixmap = QPixmap(64, 64)
    pixmap.fill(QColor("#2e7d32"))
    tray = QSystemTrayIcon(QIcon(pixmap))
    menu = QMenu()
    for text in ("Last backup: 2 h ago", "Back up now", "Pause for 8 hours", "History…"):
        menu.addAction(text)
    menu.addSeparator()
    menu.addAction("Quit", app.quit)
    tray.setContextMenu(menu)
    tray.show()
    # SIGTERM wakes Qt's loop through a descriptor (no polling timer to cost CPU).
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(lambda: reader.recv(64))
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())

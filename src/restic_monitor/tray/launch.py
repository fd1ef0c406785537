"""Starting the tray: the icon first, everything else after.

At login the user waits for the icon. A minimal Qt tray shows it as soon as
Qt is up; ours also has the engine, the history and the control channel to
load, a few hundred modules. So the launcher takes the instance lock (a
second instance must not even flash an icon), shows the "starting" icon, and
only then, from the running event loop, imports and starts the rest.
"""

from __future__ import annotations

import logging
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from restic_monitor.exitcodes import EXIT_INSTANCE
from restic_monitor.instance import InstanceLock, already_running_message
from restic_monitor.paths import Home
from restic_monitor.platform.idle import IdleSource
from restic_monitor.tray import icons

log = logging.getLogger(__name__)


def run_tray_app(home: Home, idle_source: IdleSource) -> int:
    """Run the tray until Quit; the caller has set up logging and checked the display."""
    started = time.monotonic()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("restic-monitor")
    app.setApplicationDisplayName("restic-monitor")
    app.setQuitOnLastWindowClosed(False)
    lock = InstanceLock(home.lock)
    if not lock.acquire(wait=1.0):
        print(f"restic-monitor: {already_running_message(home, lock)}", file=sys.stderr)
        return EXIT_INSTANCE
    icon = QSystemTrayIcon(icons.starting_icon())
    icon.setToolTip("restic-monitor — starting")
    icon.show()
    shown = time.monotonic()
    parts: list[object] = []  # what must live as long as the event loop

    def load_the_rest() -> None:
        from restic_monitor.platform.process import release_free_memory
        from restic_monitor.tray.app import TrayApp
        from restic_monitor.tray.bridge import install_signal_handlers
        from restic_monitor.tray.view import Action

        app.setWindowIcon(icons.app_icon())
        tray = TrayApp(app, home, idle_source, tray=icon, lock=lock)
        parts.append(tray)
        install_signal_handlers(
            tray, reload=lambda: tray.perform(Action.RELOAD), quit_now=lambda: tray.quit(ask=False)
        )
        tray.start()
        # Start-up frees much of what it allocated (imports, Qt's set-up); hand it back.
        QTimer.singleShot(5000, release_free_memory)
        log.info(
            "tray icon shown %.0f ms after start, the rest loaded %.0f ms later",
            (shown - started) * 1000,
            (time.monotonic() - shown) * 1000,
        )

    QTimer.singleShot(0, load_the_rest)
    return int(app.exec())

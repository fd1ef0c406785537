"""The tray front end: a QSystemTrayIcon over the engine.

The tray is one client of the engine among others (the control channel
serves the CLI at the same time). Everything that may touch the disk or
wait runs off the UI thread: engine commands go to short worker threads,
history and logs are read in threads, and results come back as Qt signals.
Reading ``Engine.status()`` is a copy of memory and happens on the UI thread.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QCursor, QDesktopServices
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QSystemTrayIcon

from restic_monitor import __version__
from restic_monitor.daemon import Daemon
from restic_monitor.engine.scheduler import EngineError
from restic_monitor.notify import DesktopNotifier, LogNotifier, MultiNotifier, Notice
from restic_monitor.paths import Home
from restic_monitor.platform.idle import IdleSource
from restic_monitor.platform.process import release_free_memory
from restic_monitor.platform.terminal import (
    TerminalError,
    open_terminal,
    open_windows_shell,
    own_command,
)
from restic_monitor.tray import icons
from restic_monitor.tray.view import Action, Entry, IconState, TrayView, stopped_view, tray_view

log = logging.getLogger(__name__)

#: How often the tooltip and icon are refreshed while a backup runs.
RUNNING_REFRESH_MS = 1000
#: ...and otherwise, for relative times such as "2 h ago".
IDLE_REFRESH_MS = 60_000


class _Bridge(QObject):
    """Carries events from engine and worker threads to the UI thread."""

    engine_event = Signal(str, object)
    notice = Signal(object)
    command_done = Signal(str, object, object)  # name, result, error text
    ready = Signal()
    failed = Signal(str)
    open_url = Signal(str)
    shutdown_requested = Signal()
    qt_notice = Signal(object)


class _QtNotifier:
    """Engine notices as desktop notifications, shown from the UI thread."""

    def __init__(self, bridge: _Bridge) -> None:
        self._bridge = bridge

    def notify(self, notice: Notice) -> None:
        self._bridge.notice.emit(notice)


class TrayApp(QObject):
    def __init__(
        self,
        app: QApplication,
        home: Home,
        idle_source: IdleSource,
        *,
        kill_after: float | None = None,
    ) -> None:
        super().__init__()
        self.app = app
        self.home = home
        self.bridge = _Bridge()
        self._desktop = DesktopNotifier()
        self.daemon = Daemon(
            home,
            idle_source,
            notifier=MultiNotifier([LogNotifier(), _QtNotifier(self.bridge)]),
            kill_after=kill_after,
            on_shutdown_request=self.bridge.shutdown_requested.emit,
        )
        self.engine = self.daemon.engine
        self._status: dict[str, Any] | None = None
        self._view: TrayView = tray_view(None)
        self._quitting = False
        self._windows: list[Any] = []
        self._submenus: list[QMenu] = []
        #: Why the engine is not running (it could not start, or died), when so.
        self._stopped: str | None = None
        #: Problems of the tray's own parts that do not stop backups.
        self._problems: list[str] = []

        self.tray = QSystemTrayIcon(icons.icon(IconState.STARTING))
        self.menu = QMenu()
        self.menu.aboutToShow.connect(self._rebuild_menu)
        self.tray.setContextMenu(self.menu)
        self.tray.activated.connect(self._on_activated)
        self._rebuild_menu()
        self.tray.setToolTip(self._view.tooltip)

        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)

        self.bridge.engine_event.connect(self._on_engine_event)
        self.bridge.notice.connect(self._show_notice)
        self.bridge.qt_notice.connect(self._qt_message)
        self.bridge.command_done.connect(self._on_command_done)
        self.bridge.ready.connect(self._on_ready)
        self.bridge.failed.connect(self._on_failed)
        self.bridge.open_url.connect(self._open_url)
        self.bridge.shutdown_requested.connect(lambda: self.quit(ask=False))
        self.engine.subscribe(self.bridge.engine_event.emit)

    # --- lifecycle --------------------------------------------------------------

    def start(self) -> None:
        """Show the icon at once; load state and start the engine in the background."""
        self.tray.show()
        threading.Thread(target=self._start_engine, name="tray-start", daemon=True).start()

    def _start_engine(self) -> None:
        try:
            self.daemon.start()
        except Exception as exc:
            log.exception("restic-monitor failed to start")
            message = f"{exc.__class__.__name__}: {exc}"
            if not self.engine.alive:
                self.bridge.failed.emit(message)
                return
            # Backups run; what failed is a part around the engine (the control channel).
            self._problems.append(f"the command line cannot reach this instance ({message})")
        self.bridge.ready.emit()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self._quitting or self._stopped is not None:
            return
        self._stopped = message
        self._view = stopped_view(message)
        self.tray.setIcon(icons.icon(self._view.state))
        self.tray.setToolTip(self._view.tooltip)
        self.timer.stop()
        self._message(
            "restic-monitor stopped",
            f"{message}\nNo backups run until it is started again.",
            "failure",
        )

    @Slot()
    def _on_ready(self) -> None:
        log.info("tray ready (restic-monitor %s, home %s)", __version__, self.home.root)
        self.refresh()

    def quit(self, ask: bool = True) -> None:
        if self._quitting:
            return
        status = self._status or {}
        if ask and status.get("running"):
            answer = QMessageBox.question(
                None,
                "restic-monitor",
                "A backup is running. Stop it and quit?\n\n"
                "restic is asked to stop cleanly, so the repository stays unlocked.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self._quitting = True
        self.tray.setToolTip("restic-monitor — stopping")
        self.timer.stop()

        def close() -> None:
            try:
                self.daemon.close()
            finally:
                self.bridge.command_done.emit("quit", None, None)

        threading.Thread(target=close, name="tray-quit", daemon=True).start()

    # --- state -------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Re-read the engine's status (memory only) and update icon and tooltip."""
        if self._quitting or self._stopped is not None or not self.engine.alive:
            return  # (the engine announces "stopped" a moment before its thread ends)
        self._status = self._current_status()
        self._view = tray_view(self._status)
        self.tray.setIcon(icons.icon(self._view.state, self._view.progress))
        self.tray.setToolTip(self._view.tooltip)
        interval = RUNNING_REFRESH_MS if self._status.get("running") else IDLE_REFRESH_MS
        if self.timer.interval() != interval or not self.timer.isActive():
            self.timer.start(interval)

    def _current_status(self) -> dict[str, Any]:
        status = self.engine.status().to_json()
        if self._problems:
            status["warnings"] = [*status.get("warnings", []), *self._problems]
        return status

    @Slot(str, object)
    def _on_engine_event(self, event: str, data: object) -> None:
        if event == "stopped":
            if not self._quitting:
                self._on_failed("the engine ended unexpectedly; see the application log")
            return
        if event == "progress" and self.timer.isActive():
            return  # the running timer refreshes once a second already
        self.refresh()

    @Slot()
    def _rebuild_menu(self) -> None:
        """The menu is rebuilt each time it opens, so it is always current."""
        if self.engine.alive and not self._quitting and self._stopped is None:
            self._status = self._current_status()
            self._view = tray_view(self._status)
        # clear() leaves submenus alive. (They are tracked here rather than found with
        # QAction.menu(), which in PySide6 6.12 loses a reference to None each call.)
        for sub in self._submenus:
            sub.deleteLater()
        self._submenus = []
        self.menu.clear()
        self._fill(self.menu, self._view.menu)

    def _fill(self, menu: QMenu, entries: tuple[Entry, ...]) -> None:
        for entry in entries:
            if entry.separator:
                menu.addSeparator()
            elif entry.children:
                sub = menu.addMenu(entry.text)
                self._submenus.append(sub)
                self._fill(sub, entry.children)
            else:
                text = entry.text if entry.action else entry.text.replace("&", "&&")
                action = QAction(text, menu)
                action.setEnabled(entry.enabled and entry.action is not None)
                if entry.action is not None:
                    chosen = entry.action
                    action.triggered.connect(lambda _=False, a=chosen: self.perform(a))
                menu.addAction(action)

    @Slot(QSystemTrayIcon.ActivationReason)
    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.menu.popup(QCursor.pos())  # aboutToShow rebuilds it

    # --- actions ---------------------------------------------------------------

    def perform(self, action: Action) -> None:
        handlers: dict[Action, Callable[[], None]] = {
            Action.BACKUP: lambda: self._command("backup", self.engine.backup),
            Action.STOP: lambda: self._command("stop", self.engine.stop),
            Action.PAUSE: lambda: self._command("pause", self.engine.pause),
            Action.RESUME: lambda: self._command("resume", self.engine.resume),
            Action.RELOAD: lambda: self._command("reload", self.engine.reload),
            Action.SHELL: self._open_shell,
            Action.HISTORY: self._open_history,
            Action.APP_LOG: lambda: self._open_log(self.home.app_log, "Application log"),
            Action.LAST_LOG: lambda: self._open_log(self.home.last_log, "Last restic log"),
            Action.LOGS_FOLDER: lambda: self._open_folder(self.home.logs),
            Action.CONFIG_FOLDER: lambda: self._open_folder(self.home.root),
            Action.QUIT: self.quit,
        }
        handlers[action]()

    def _command(self, name: str, fn: Callable[[], object]) -> None:
        def work() -> None:
            try:
                result = fn()
            except EngineError as exc:
                self.bridge.command_done.emit(name, None, str(exc))
            except Exception as exc:
                log.exception("%s failed", name)
                self.bridge.command_done.emit(name, None, f"{exc.__class__.__name__}: {exc}")
            else:
                self.bridge.command_done.emit(name, result, None)

        threading.Thread(target=work, name=f"tray-{name}", daemon=True).start()

    @Slot(str, object, object)
    def _on_command_done(self, name: str, result: object, error: object) -> None:
        if name == "quit":
            self.tray.hide()
            self.app.quit()
            return
        if error:
            self._message("restic-monitor", str(error), "failure")
        elif name == "reload" and not (isinstance(result, list) and result):
            # Problems are announced by the engine's own (de-duplicated) notice.
            self._message("restic-monitor", "Configuration reloaded.", "success")
        self.refresh()

    def _open_shell(self) -> None:
        """Finding a terminal scans PATH and starts a process: not on the UI thread."""

        def work() -> None:
            try:
                if sys.platform == "win32":
                    self._open_windows_shell()
                else:
                    open_terminal(own_command("--home", str(self.home.root), "shell"))
            except TerminalError as exc:
                self._message("Cannot open a terminal", str(exc), "failure")

        threading.Thread(target=work, name="tray-shell", daemon=True).start()

    def _open_windows_shell(self) -> None:
        config = self.engine.config()
        if config is None:
            raise TerminalError("the configuration is invalid; fix it first (see the menu)")
        from restic_monitor.restic.command import Restic, shell_welcome

        exe = config.settings.resolve_restic() or config.settings.restic_exe
        open_windows_shell(Restic(exe, config.env).shell_env(), shell_welcome(config.env))

    def _open_folder(self, folder: Any) -> None:
        def work() -> None:
            with contextlib.suppress(OSError):
                folder.mkdir(parents=True, exist_ok=True)
            self.bridge.open_url.emit(str(folder))

        threading.Thread(target=work, name="tray-folder", daemon=True).start()

    @Slot(str)
    def _open_url(self, folder: str) -> None:
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(folder)):
            self._message("restic-monitor", f"Cannot open {folder}", "failure")

    def _open_history(self) -> None:
        from restic_monitor.tray.windows import HistoryWindow  # loaded when first needed

        window = HistoryWindow(self.home)
        self._keep(window)

    def _open_log(self, path: Any, title: str) -> None:
        from restic_monitor.tray.windows import LogViewer

        window = LogViewer(path, title)
        self._keep(window)

    def _keep(self, window: Any) -> None:
        """Keep a reference while the window is open (Qt would not)."""
        self._windows.append(window)
        window.destroyed.connect(lambda *_: self._forget(window))
        window.show()
        window.raise_()
        window.activateWindow()

    def _forget(self, window: Any) -> None:
        with contextlib.suppress(ValueError):
            self._windows.remove(window)

    # --- notices ---------------------------------------------------------------------

    @Slot(object)
    def _show_notice(self, notice: Notice) -> None:
        self._message(notice.title, notice.body, notice.kind)

    def _message(self, title: str, body: str, kind: str) -> None:
        """A desktop notification: the session's service when there is one, else Qt's."""
        self._desktop.notify(Notice(kind, title, body), fallback=self.bridge.qt_notice.emit)

    @Slot(object)
    def _qt_message(self, notice: Notice) -> None:
        title, body, kind = notice.title, notice.body, notice.kind
        icon = {
            "warning": QSystemTrayIcon.MessageIcon.Warning,
            "failure": QSystemTrayIcon.MessageIcon.Critical,
            "config": QSystemTrayIcon.MessageIcon.Critical,
        }.get(kind, QSystemTrayIcon.MessageIcon.Information)
        self.tray.showMessage(title, body, icon, 15_000)


def _install_signal_handlers(tray: TrayApp) -> None:
    """SIGTERM/SIGINT quit cleanly, without a polling timer.

    Qt's event loop does not run Python code by itself; a wakeup file
    descriptor watched by a QSocketNotifier lets a signal wake it.
    """
    if sys.platform == "win32":  # pragma: no cover
        return
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, tray)
    requested: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        requested.append(signum)

    def on_wakeup() -> None:
        with contextlib.suppress(OSError):
            reader.recv(64)
        while requested:
            signum = requested.pop()
            if signum == getattr(signal, "SIGHUP", None):
                tray.perform(Action.RELOAD)
            else:
                tray.quit(ask=False)

    notifier.activated.connect(on_wakeup)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    tray._signal_parts = (reader, writer, notifier)  # type: ignore[attr-defined]


def run_tray_app(home: Home, idle_source: IdleSource) -> int:
    """Run the tray until Quit; the caller has set up logging and checked the display."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("restic-monitor")
    app.setApplicationDisplayName("restic-monitor")
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(icons.app_icon())
    tray = TrayApp(app, home, idle_source)
    if not tray.daemon.lock.acquire(wait=1.0):
        from restic_monitor.instance import already_running_message

        print(f"restic-monitor: {already_running_message(home, tray.daemon.lock)}", file=sys.stderr)
        return 4
    started = time.monotonic()
    _install_signal_handlers(tray)
    tray.start()
    # Start-up frees much of what it allocated (imports, Qt's set-up); hand it back.
    QTimer.singleShot(5000, release_free_memory)
    log.info("tray icon shown %.0f ms after start", (time.monotonic() - started) * 1000)
    code = app.exec()
    return int(code)

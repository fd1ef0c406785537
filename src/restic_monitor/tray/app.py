"""The tray front end: a QSystemTrayIcon over the engine.

The tray is one client of the engine among others (the control channel
serves the CLI at the same time). Everything that may touch the disk or
wait runs off the UI thread: engine commands go to short worker threads,
history and logs are read in threads, and results come back as Qt signals.
Reading ``Engine.status()`` is a copy of memory and happens on the UI thread.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QSystemTrayIcon

from restic_monitor import __version__
from restic_monitor.daemon import Daemon
from restic_monitor.engine.errors import EngineError
from restic_monitor.instance import InstanceLock
from restic_monitor.notify import LogNotifier, MultiNotifier, Notice
from restic_monitor.paths import Home
from restic_monitor.platform.desktop_notifications import DesktopNotifier
from restic_monitor.platform.idle import IdleSource
from restic_monitor.status.model import Status
from restic_monitor.tray import icons, opens, setup_actions
from restic_monitor.tray.bridge import Bridge, QtNotifier
from restic_monitor.tray.menu_fill import fill_menu
from restic_monitor.tray.open_windows import OpenWindows
from restic_monitor.tray.state import IconState
from restic_monitor.tray.view import (
    Action,
    TrayView,
    has_problems,
    stopped_view,
    tray_view,
)

log = logging.getLogger(__name__)

#: How often the tooltip and icon are refreshed while a backup runs.
RUNNING_REFRESH_MS = 1000
#: ...and otherwise, for relative times such as "2 h ago".
IDLE_REFRESH_MS = 60_000


class TrayApp(QObject):
    def __init__(
        self,
        app: QApplication,
        home: Home,
        idle_source: IdleSource,
        *,
        kill_after: float | None = None,
        tray: QSystemTrayIcon | None = None,
        lock: InstanceLock | None = None,
    ) -> None:
        """``tray`` and ``lock``: the icon already shown and the instance lock already
        held by the launcher (which shows the icon before this module is imported)."""
        super().__init__()
        self.app = app
        self.home = home
        self.bridge = Bridge()
        self._desktop = DesktopNotifier(on_action=self.bridge.notice_action.emit)
        #: The last notice shown as Qt's own balloon (its click has no other context).
        self._balloon: Notice | None = None
        self.daemon = Daemon(
            home,
            idle_source,
            notifier=MultiNotifier([LogNotifier(), QtNotifier(self.bridge, self._desktop)]),
            kill_after=kill_after,
            on_shutdown_request=self.bridge.shutdown_requested.emit,
            lock=lock,
        )
        self.engine = self.daemon.engine
        self._status: Status | None = None
        self._view: TrayView = tray_view(None)
        self._quitting = False
        self.windows = OpenWindows()
        self._submenus: list[QMenu] = []
        #: Why the engine is not running (it could not start, or died), when so.
        self._stopped: str | None = None
        #: Problems of the tray's own parts that do not stop backups.
        self._problems: list[str] = []
        #: Nothing was ever set up in this home (seen when the engine started).
        self._fresh = False

        self.tray = tray or QSystemTrayIcon(icons.icon(IconState.STARTING))
        self.menu = QMenu()
        self.menu.setToolTipsVisible(True)  # a shortened line shows its whole text
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
        self.bridge.notice_action.connect(self._on_notice_action)
        self.tray.messageClicked.connect(self._on_balloon_clicked)
        self.bridge.command_done.connect(self._on_command_done)
        self.bridge.ready.connect(self._on_ready)
        self.bridge.failed.connect(self._on_failed)
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
        self._fresh = setup_actions.is_fresh(self.home)
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
        self._update_problems_window()
        self._message(
            "restic-monitor stopped",
            f"{message}\nNo backups run until it is started again.",
            "failure",
        )

    @Slot()
    def _on_ready(self) -> None:
        log.info("tray ready (restic-monitor %s, home %s)", __version__, self.home.root)
        self.refresh()
        if self._fresh:  # nothing set up yet: the wizard, not a JSON file, comes first
            self.perform(Action.SETUP)

    def quit(self, ask: bool = True) -> None:
        if self._quitting:
            return
        running = self._status is not None and any(p.running for p in self._status.profiles)
        if ask and running:
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
        self.windows.close_all()  # a restore window's mount ends with it

        def close() -> None:
            try:
                self.daemon.close()  # (which withdraws the critical notifications too)
                self._desktop.close()
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
        self._update_problems_window()
        busy = self._status.current_job is not None
        interval = RUNNING_REFRESH_MS if busy else IDLE_REFRESH_MS
        if self.timer.interval() != interval or not self.timer.isActive():
            self.timer.start(interval)

    def _current_status(self) -> Status:
        status = self.engine.status()
        if self._problems:
            status = dataclasses.replace(status, warnings=[*status.warnings, *self._problems])
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
        fill_menu(self.menu, self._view.menu, self.perform, self._submenus)

    @Slot(QSystemTrayIcon.ActivationReason)
    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.menu.popup(QCursor.pos())  # aboutToShow rebuilds it

    # --- actions ---------------------------------------------------------------

    def perform(self, action: Action, profile: str | None = None) -> None:
        """Carry out a menu command; ``profile`` None: the whole home (or every profile)."""
        engine = self.engine
        files = self.home.profile(profile) if profile is not None else self.home
        handlers: dict[Action, Callable[[], None]] = {
            Action.BACKUP: lambda: self._command("backup", lambda: engine.backup(profile)),
            Action.BACKUP_ALL: lambda: self._command("backup", engine.backup_all),
            Action.STOP: lambda: self._command("stop", lambda: engine.stop(profile)),
            Action.PAUSE: lambda: self._command("pause", lambda: engine.pause(profile=profile)),
            Action.RESUME: lambda: self._command("resume", lambda: engine.resume(profile)),
            Action.RELOAD: lambda: self._command("reload", engine.reload),
            Action.SETUP: lambda: setup_actions.open_setup(
                self.windows, self.home, engine, self._command
            ),
            Action.SETTINGS: lambda: setup_actions.open_settings(
                self.windows, self.home, self._status, profile, self._command, engine
            ),
            Action.SHELL: lambda: self._open_shell(profile),
            Action.HISTORY: lambda: self._open_history(profile),
            Action.RESTORE: lambda: self._open_restore(profile),
            Action.PROBLEMS: self._show_problems,
            Action.APP_LOG: lambda: self.windows.log(self.home.app_log, "Application log"),
            Action.LAST_LOG: lambda: self.windows.log(files.last_log, self._log_title(profile)),
            Action.LOGS_FOLDER: lambda: self._open_folder(self.home.logs),
            Action.CONFIG_FOLDER: lambda: self._open_folder(files.root),
            Action.QUIT: self.quit,
        }
        handlers[action]()

    def _log_title(self, profile: str | None) -> str:
        several = self._status is not None and len(self._status.profiles) > 1
        return f"Last restic log ({profile})" if several and profile else "Last restic log"

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

    def _open_shell(self, profile: str | None) -> None:
        """Finding a terminal scans PATH and starts a process: not on the UI thread."""
        work = lambda: opens.open_shell(self.home, self.engine, profile, self._message)  # noqa: E731
        threading.Thread(target=work, name="tray-shell", daemon=True).start()

    def _open_folder(self, folder: Path) -> None:
        work = lambda: opens.open_folder(folder, self._message)  # noqa: E731
        threading.Thread(target=work, name="tray-folder", daemon=True).start()

    def _show_problems(self) -> None:
        """The whole status in a window: the menu's lines are short, this text is not."""
        self.windows.show_problems()
        self._update_problems_window()

    def _update_problems_window(self) -> None:
        if self._stopped is not None:
            self.windows.update_problems(f"restic-monitor stopped: {self._stopped}", True)
        elif self._status is None:
            self.windows.update_problems("restic-monitor is starting.", False)
        elif self.windows.problems is not None:
            from restic_monitor.status.text import format_status

            self.windows.update_problems(format_status(self._status), has_problems(self._status))

    def _open_restore(self, profile: str | None) -> None:
        if not self.windows.restore(
            self.engine, self.home, self._status, profile, self._open_folder
        ):
            self._message("restic-monitor", "No profile has a valid configuration.", "failure")

    def _open_history(self, profile: str | None) -> None:
        known = [p.name for p in self._status.profiles] if self._status is not None else []
        self.windows.history(self.home, profile, known)

    # --- notices ---------------------------------------------------------------------

    @Slot(object)
    def _show_notice(self, notice: Notice) -> None:
        self._notify(notice)

    def _message(self, title: str, body: str, kind: str) -> None:
        self._notify(Notice(kind, title, body))

    def _notify(self, notice: Notice) -> None:
        """A desktop notification: the session's service when there is one, else Qt's."""
        self._desktop.notify(notice, fallback=self.bridge.qt_notice.emit)

    @Slot(object, str)
    def _on_notice_action(self, notice: Notice, action: str) -> None:
        """A notification clicked (``default``) or one of its buttons chosen."""
        if self._quitting:
            return
        if action == "backup":
            self.perform(Action.BACKUP, notice.profile)
        elif action == "log" or (action == "default" and notice.kind == "success"):
            self.perform(Action.LAST_LOG, notice.profile)
        else:
            self._show_problems()

    @Slot()
    def _on_balloon_clicked(self) -> None:
        if self._balloon is not None:
            self._on_notice_action(self._balloon, "default")

    @Slot(object)
    def _qt_message(self, notice: Notice) -> None:
        title, body, kind = notice.title, notice.body, notice.kind
        icon = {
            "warning": QSystemTrayIcon.MessageIcon.Warning,
            "failure": QSystemTrayIcon.MessageIcon.Critical,
            "config": QSystemTrayIcon.MessageIcon.Critical,
        }.get(kind, QSystemTrayIcon.MessageIcon.Information)
        self._balloon = notice
        self.tray.showMessage(title, body, icon, 15_000)

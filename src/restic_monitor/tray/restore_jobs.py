"""The restore window's long work: restores queued in the engine, a mount for browsing.

A restore is a job of the engine like any other (queued behind a backup,
stoppable, in the history); this only asks for it from a thread, follows its
progress in the engine's status a few times a second, and says how it ended.
A mount is ``restic mount`` into a temporary folder, which the file manager
opens; it is unmounted when the window closes or the app quits.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from restic_monitor.engine.errors import EngineError
from restic_monitor.engine.queue import Cancelled
from restic_monitor.restic.command import Restic
from restic_monitor.restore.mount import Mount, MountError, Registry

if TYPE_CHECKING:
    from restic_monitor.engine.host import Engine
    from restic_monitor.paths import Home

log = logging.getLogger(__name__)


class RestoreRunner(QObject):
    #: The running restore's progress (a ProgressInfo), or None while it waits its turn.
    progress = Signal(object)
    #: How it ended: (the records of the restores, an error text or None).
    finished = Signal(object, object)

    def __init__(self, engine: Engine, profile: str) -> None:
        super().__init__()
        self.engine = engine
        self.profile = profile
        self.busy = False
        self._timer = QTimer(self)
        self._timer.setInterval(400)
        self._timer.timeout.connect(self._poll)

    def start(self, requests: Sequence[dict[str, Any]]) -> None:
        """Queue the restores (one per target folder) and wait for them, off the UI thread."""
        self.busy = True
        self._timer.start()
        threading.Thread(
            target=self._run, args=(list(requests),), name="tray-restore", daemon=True
        ).start()

    def _run(self, requests: list[dict[str, Any]]) -> None:
        records: list[Any] = []
        error: str | None = None
        try:
            for request in requests:
                ticket = self.engine.run("restore", self.profile, request)
                records.append(ticket.wait())
        except Cancelled:
            error = "The restore was stopped before it started; nothing was written."
        except EngineError as exc:
            error = str(exc)
        except Exception as exc:
            log.exception("the restore failed")
            error = f"{exc.__class__.__name__}: {exc}"
        with contextlib.suppress(RuntimeError):  # the window is gone; the history has it
            self.finished.emit(records, error)

    def stop(self) -> None:
        threading.Thread(
            target=lambda: self.engine.stop(self.profile, kind="restore"),
            name="tray-restore-stop",
            daemon=True,
        ).start()

    def done(self) -> None:
        self.busy = False
        self._timer.stop()

    def _poll(self) -> None:
        job = self.engine.status().current_job
        if job is not None and job.kind == "restore" and job.profile == self.profile:
            self.progress.emit(job.progress)
        else:
            self.progress.emit(None)


class BrowseMount(QObject):
    """The repository mounted in a temporary folder while the window wants it."""

    ready = Signal(object, object)  # (folder or None, error text or None)

    def __init__(self, home: Home, profile_logs: Path) -> None:
        super().__init__()
        self.home = home
        self.logs = profile_logs
        self.mount: Mount | None = None

    def start(self, restic: Restic) -> None:
        folder = Path(tempfile.mkdtemp(prefix="restic-monitor-browse-")) / "repository"
        mount = Mount(restic, folder, self.logs / "restic-mount.log",
                      Registry(self.home.root / "mounts.json"))  # fmt: skip
        self.mount = mount

        def work() -> None:
            try:
                mount.start()
                mount.wait_ready()
            except MountError as exc:
                self._say(None, str(exc))
                return
            self._say(folder, None)

        threading.Thread(target=work, name="tray-mount", daemon=True).start()

    def _say(self, folder: Path | None, error: str | None) -> None:
        with contextlib.suppress(RuntimeError):
            self.ready.emit(folder, error)

    def stop(self, wait: bool = False) -> None:
        """Unmount (``wait``: before returning, as when the app quits)."""
        mount, self.mount = self.mount, None
        if mount is None:
            return

        def work() -> None:
            mount.stop()
            with contextlib.suppress(OSError):
                mount.folder.parent.rmdir()

        if wait:
            work()
        else:
            threading.Thread(target=work, name="tray-unmount", daemon=True).start()

"""The setup wizard's answers and its work off the UI thread.

The wizard's pages share one :class:`Answers` rather than Qt's field
registry, so that the repository, the password and the selection reach
``write_profile`` as the same typed values the command line builds. Every
restic call, the keyring probe, the size walk and the writing of the files
run in threads (a restic over a slow network, a locked keyring or a home of
a million files would otherwise freeze the window); answers come back as Qt
signals, each with a ticket so that a late answer to an old question is
dropped.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

from restic_monitor.paths import Home, ProfileFiles

log = logging.getLogger(__name__)

#: How long the size walk may take before it says "at least".
ESTIMATE_SECONDS = 30.0


@dataclass
class Answers:
    home: Home
    profile: str
    restic_exe: str
    kind: str = "local"
    values: dict[str, str] = field(default_factory=dict)
    repository: str = ""
    #: The kind's other variables (keys, region), from ``build``.
    kind_env: dict[str, str] = field(default_factory=dict)
    password: str = ""
    keyring: bool = False
    folders: list[str] = field(default_factory=list)
    excludes: list[str] = field(default_factory=list)
    exclude_caches: bool = True
    nobackup: bool = True
    #: Set once the files are written.
    written: ProfileFiles | None = None

    def env(self) -> dict[str, str]:
        return {"RESTIC_REPOSITORY": self.repository, "RESTIC_PASSWORD": self.password,
                **self.kind_env}  # fmt: skip

    def where(self) -> str:
        """The repository as it may be shown: secrets (a REST password in the URL) masked."""
        from restic_monitor.restic.masking import Redactor, secrets_of
        from restic_monitor.setup.kinds import secret_values

        secrets = [*secrets_of(self.env()), *secret_values(self.kind, self.values)]
        return Redactor(secrets).text(self.repository)

    def backup_args(self) -> list[str]:
        from restic_monitor.setup.presets import backup_args

        return backup_args(self.folders, self.excludes, exclude_caches=self.exclude_caches,
                           nobackup=self.nobackup)  # fmt: skip


class Task(QObject):
    """One function at a time in a thread; ``finished(ticket, result, exception or None)``."""

    finished = Signal(int, object, object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._tickets = itertools.count(1)
        #: The ticket of the newest call: an answer with another one is stale.
        self.current = 0

    def start(self, work: Callable[[], Any]) -> int:
        ticket = self.current = next(self._tickets)

        def run() -> None:
            try:
                result, error = work(), None
            except Exception as exc:
                result, error = None, exc
            with contextlib.suppress(RuntimeError):  # the wizard is gone
                self.finished.emit(ticket, result, error)

        threading.Thread(target=run, name=self.name, daemon=True).start()
        return ticket

    def forget(self) -> None:
        """Answers of the calls made so far are stale from now on."""
        self.current = next(self._tickets)


class SizeEstimator(QObject):
    """The selection's size, walked again from scratch whenever the selection changes."""

    #: (generation, files, bytes) while the walk goes on: a lower bound.
    progressed = Signal(int, int, int)
    #: (generation, Estimate)
    finished = Signal(int, object)

    def __init__(self, parent: QObject | None = None, deadline: float = ESTIMATE_SECONDS) -> None:
        super().__init__(parent)
        self.deadline = deadline
        self.generation = 0
        self._stop: threading.Event | None = None

    def restart(
        self, folders: list[str], excludes: list[str], *, exclude_caches: bool, nobackup: bool
    ) -> int:
        from restic_monitor.setup.estimate import estimate

        self.stop()
        self.generation += 1
        generation, stop = self.generation, threading.Event()
        self._stop = stop

        def progress(files: int, size: int) -> None:
            if not stop.is_set():
                with contextlib.suppress(RuntimeError):
                    self.progressed.emit(generation, files, size)

        def run() -> None:
            try:
                found = estimate(list(folders), list(excludes), exclude_caches=exclude_caches,
                                 nobackup=nobackup, deadline_seconds=self.deadline, stop=stop,
                                 progress=progress)  # fmt: skip
            except Exception:  # a bug: the size is a help, never a reason to stop setting up
                log.exception("estimating the selection's size failed")
                return
            with contextlib.suppress(RuntimeError):
                self.finished.emit(generation, found)

        threading.Thread(target=run, name="setup-estimate", daemon=True).start()
        return generation

    def stop(self) -> None:
        """Stop the walk under way; its answer, if one still comes, is stale."""
        self.generation += 1
        if self._stop is not None:
            self._stop.set()
            self._stop = None


def keyring_problem() -> str | None:
    """Why the system keyring cannot keep the password (None: it can). Asks D-Bus on
    Linux, so it runs in a thread."""
    from restic_monitor.secrets_store import SecretStoreError, unavailable_reason

    try:
        return unavailable_reason()
    except SecretStoreError as exc:
        return str(exc)


def check_connection(restic_exe: str, env: dict[str, str]) -> Any:
    """The Verdict of ``restic cat config``, or ResticUnavailable raised."""
    from restic_monitor.restic.command import find_restic
    from restic_monitor.setup.connection import test_connection

    return test_connection(find_restic(restic_exe), env)


def create_repository(restic_exe: str, env: dict[str, str]) -> str | None:
    from restic_monitor.restic.command import find_restic
    from restic_monitor.setup.connection import init_repository

    return init_repository(find_restic(restic_exe), env)


def write_files(answers: Answers, force: bool) -> ProfileFiles:
    from restic_monitor.setup.write import settings_for, write_profile

    settings = settings_for(answers.backup_args(), answers.restic_exe)
    return write_profile(answers.home, answers.profile, answers.env(), settings,
                         keyring=answers.keyring, force=force)  # fmt: skip

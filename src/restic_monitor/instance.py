"""One instance per home: an OS-level lock on the ``lock`` file.

The OS releases the lock when the process dies, however it dies, so a crash
never leaves a stale lock behind. The holder's PID is written into the file
for messages only; the lock itself is what counts.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path
from typing import IO, Any

# On Windows the locked byte must not cover the PID text, or nobody could read it.
_WIN_LOCK_OFFSET = 4096


class InstanceLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._fh is not None

    def acquire(self, wait: float = 0.0, record_pid: bool = True) -> bool:
        """Take the lock; False when another process still holds it after ``wait`` seconds.

        A short wait lets a starting instance get past a CLI that is only
        probing the lock for a moment.
        """
        deadline = time.monotonic() + wait
        while not self._try_acquire(record_pid):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def held_elsewhere(self) -> bool:
        """Whether another process holds the lock (probes without recording a PID)."""
        if self._fh is not None:
            return False
        if not self.path.exists():
            return False
        if self._try_acquire(record_pid=False):
            self.release()
            return False
        return True

    def _try_acquire(self, record_pid: bool) -> bool:
        if self._fh is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held while locked
        try:
            if sys.platform == "win32":  # pragma: no cover
                import msvcrt

                fh.seek(_WIN_LOCK_OFFSET)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        if record_pid:
            with contextlib.suppress(OSError):
                fh.seek(0)
                fh.truncate()
                fh.write(f"{os.getpid()}\n")
                fh.flush()
        self._fh = fh
        return True

    def release(self) -> None:
        fh, self._fh = self._fh, None
        if fh is None:
            return
        with contextlib.suppress(OSError):
            if sys.platform == "win32":  # pragma: no cover
                import msvcrt

                fh.seek(_WIN_LOCK_OFFSET)
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()

    def holder_pid(self) -> int | None:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
            return int(text.split()[0]) if text else None
        except (OSError, ValueError, IndexError):
            return None

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def already_running_message(home: Any, lock: InstanceLock) -> str:
    pid = lock.holder_pid()
    who = f" (pid {pid})" if pid else ""
    return (
        f"restic-monitor is already running for {home.root}{who}. "
        f"Use `{home.command('status')}`, or stop it before starting another."
    )

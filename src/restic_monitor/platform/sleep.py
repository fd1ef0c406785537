"""Keeping the machine awake while a backup runs.

Windows: SetThreadExecutionState(ES_SYSTEM_REQUIRED) on the thread that runs
the backup. Linux: a logind "sleep" inhibitor lock, a file descriptor held for
the length of the backup. macOS: ``caffeinate -i -w <our pid>``. Each is
released when the backup ends, whatever its outcome; where none works the
backup runs anyway and the log says why once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import sys
from typing import Any, Protocol

log = logging.getLogger(__name__)

_warned: set[str] = set()


class Inhibition(Protocol):
    def release(self) -> None: ...


class _Nothing:
    def release(self) -> None:
        pass


class _WindowsInhibition:  # pragma: no cover - Windows only
    ES_CONTINUOUS = 0x80000000
    ES_SYSTEM_REQUIRED = 0x00000001

    def __init__(self) -> None:
        import ctypes

        self._kernel32: Any = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined]
        if not self._kernel32.SetThreadExecutionState(self.ES_CONTINUOUS | self.ES_SYSTEM_REQUIRED):
            raise OSError("SetThreadExecutionState failed")

    def release(self) -> None:
        self._kernel32.SetThreadExecutionState(self.ES_CONTINUOUS)


class _LogindInhibition:
    """A logind inhibitor lock; the lock lasts as long as we hold its descriptor."""

    def __init__(self, why: str) -> None:
        if not _system_bus_exists():  # (said as jeepney would: no socket to connect to)
            raise FileNotFoundError(SYSTEM_BUS_SOCKET)
        from jeepney import DBusAddress, MessageType, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        address = DBusAddress(
            "/org/freedesktop/login1",
            bus_name="org.freedesktop.login1",
            interface="org.freedesktop.login1.Manager",
        )
        message = new_method_call(
            address, "Inhibit", "ssss", ("sleep", "restic-monitor", why, "block")
        )
        with open_dbus_connection(bus="SYSTEM", enable_fds=True) as conn:
            reply = conn.send_and_get_reply(message, timeout=5)
        if reply.header.message_type == MessageType.error:
            raise OSError(f"logind refused: {reply.body[0] if reply.body else 'error'}")
        self._fd: int | None = reply.body[0].to_raw_fd()

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


class _Caffeinate:  # pragma: no cover - macOS only
    def __init__(self) -> None:
        exe = shutil.which("caffeinate")
        if exe is None:
            raise OSError("caffeinate not found")
        self._proc = subprocess.Popen(
            [exe, "-i", "-w", str(os.getpid())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def release(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(5)


def inhibit_sleep(why: str = "A backup is running") -> Inhibition:
    """Keep the machine awake until ``release()``; never raises."""
    try:
        if sys.platform == "win32":
            return _WindowsInhibition()
        if sys.platform == "darwin":
            return _Caffeinate()
        return _LogindInhibition(why)
    except Exception as exc:
        key = exc.__class__.__name__
        if key not in _warned:
            _warned.add(key)
            log.info("cannot keep the machine awake during backups: %s", _why_not(exc))
        return _Nothing()


def _why_not(exc: Exception) -> str:
    """In words, not as an exception's repr: this line is read by users in the log."""
    if isinstance(exc, (FileNotFoundError, ConnectionRefusedError)):
        return "there is no system D-Bus (logind) to ask"
    if isinstance(exc, PermissionError):
        return "the system D-Bus refused the connection"
    if isinstance(exc, ImportError):
        return f"a module it needs is missing ({exc.name})"
    if isinstance(exc, TimeoutError):
        return "logind did not answer within 5 s"
    return str(exc) or exc.__class__.__name__


#: Where the system bus listens when DBUS_SYSTEM_BUS_ADDRESS does not say (D-Bus's default).
SYSTEM_BUS_SOCKET = "/var/run/dbus/system_bus_socket"


def _system_bus_exists() -> bool:
    """Whether there is a system bus to ask (a container, a minimal server may have none):
    without one, the D-Bus client (0.7 MB of modules) is not even imported."""
    address = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS")
    if address:
        return True
    return os.path.exists(SYSTEM_BUS_SOCKET)


class ResumeWatcher:
    """Calls ``on_resume`` when the system wakes from sleep (logind's PrepareForSleep(false)).

    The engine sleeps on a monotonic clock, which on Linux stands still while
    the machine sleeps; this lets it re-plan at once after a resume instead
    of when its current wait ends. Where logind is not there, nothing
    happens and the engine's longest wait (a few minutes) bounds the delay.
    """

    def __init__(self, on_resume: Any) -> None:
        self.on_resume = on_resume
        self._conn: Any = None
        self._rule: Any = None
        self._stopped = False
        self._thread: Any = None

    def start(self) -> bool:
        if sys.platform != "linux" or not _system_bus_exists():
            return False
        import threading

        try:
            from jeepney import MatchRule
            from jeepney.bus_messages import message_bus
            from jeepney.io.blocking import open_dbus_connection

            self._rule = MatchRule(
                type="signal",
                interface="org.freedesktop.login1.Manager",
                member="PrepareForSleep",
                path="/org/freedesktop/login1",
            )
            self._conn = open_dbus_connection(bus="SYSTEM")
            self._conn.send_and_get_reply(message_bus.AddMatch(self._rule), timeout=5)
        except Exception as exc:
            log.debug("no resume notifications (%s)", exc)
            return False
        self._thread = threading.Thread(target=self._listen, name="resume-watch", daemon=True)
        self._thread.start()
        return True

    def _listen(self) -> None:
        try:
            with self._conn.filter(self._rule) as matches:
                while not self._stopped:
                    msg = self._conn.recv_until_filtered(matches)
                    if msg.body and msg.body[0] is False:
                        log.info("the system woke from sleep; re-planning")
                        self.on_resume()
        except Exception:
            if not self._stopped:
                log.debug("resume notifications ended", exc_info=True)

    def stop(self) -> None:
        self._stopped = True
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

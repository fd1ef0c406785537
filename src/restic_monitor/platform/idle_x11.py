"""X11 idle time: XScreenSaverQueryInfo (libXss) on one long-lived connection.

An X server that goes away makes Xlib call its I/O error handler and then
end the whole process. libX11 1.7 added a per-display "exit handler": with
it, and a global I/O error handler that answers for our displays only, the
process survives, the dead connection is dropped and the next look opens a
new one once the server is back. With an older libX11 every look opens and
closes its own connection instead (looks are rare, so that costs little),
which a restarting server cannot leave dead.

Never used in a Wayland session: there XScreenSaver only sees X clients.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from typing import Any

from restic_monitor.platform.display import load_library

log = logging.getLogger(__name__)

_IOErrorHandler = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
_ExitHandler = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)


class _XScreenSaverInfo(ctypes.Structure):
    _fields_ = [
        ("window", ctypes.c_ulong),
        ("state", ctypes.c_int),
        ("kind", ctypes.c_int),
        ("til_or_since", ctypes.c_ulong),
        ("idle", ctypes.c_ulong),
        ("eventMask", ctypes.c_ulong),
    ]


class _Xlib:
    """The libraries, loaded once per process, and the I/O error guard."""

    _instance: _Xlib | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        self.x11: Any = load_library("libX11.so.6", "X11")
        self.xss: Any = load_library("libXss.so.1", "Xss")
        x11, xss = self.x11, self.xss
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XDefaultRootWindow.restype = ctypes.c_ulong
        x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        x11.XFree.argtypes = [ctypes.c_void_p]
        xss.XScreenSaverAllocInfo.restype = ctypes.POINTER(_XScreenSaverInfo)
        xss.XScreenSaverQueryExtension.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_int),
            ctypes.POINTER(ctypes.c_int),
        ]
        xss.XScreenSaverQueryInfo.argtypes = [
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.POINTER(_XScreenSaverInfo),
        ]
        self.can_survive = hasattr(x11, "XSetIOErrorExitHandler")
        self.ours: set[int] = set()
        self.lost: set[int] = set()
        self._previous: Any = None
        if self.can_survive:
            x11.XSetIOErrorHandler.restype = ctypes.c_void_p
            x11.XSetIOErrorHandler.argtypes = [_IOErrorHandler]
            x11.XSetIOErrorExitHandler.argtypes = [ctypes.c_void_p, _ExitHandler, ctypes.c_void_p]
            self._io_handler = _IOErrorHandler(self._on_io_error)
            self._exit_handler = _ExitHandler(self._on_exit)
            previous = x11.XSetIOErrorHandler(self._io_handler)
            self._previous = _IOErrorHandler(previous) if previous else None

    @classmethod
    def get(cls) -> _Xlib:
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def _on_io_error(self, dpy: int | None) -> int:
        if dpy in self.ours:
            self.lost.add(dpy)
            return 0
        if self._previous is not None:  # someone else's display: their handler decides
            result: int = self._previous(dpy)
            return result
        return 0

    def _on_exit(self, dpy: int | None, _data: int | None) -> None:
        if dpy is not None:
            self.lost.add(dpy)  # returning keeps the process alive

    def open(self, display: str) -> int | None:
        dpy = self.x11.XOpenDisplay(display.encode() if display else None)
        if not dpy:
            return None
        self.lost.discard(dpy)
        if self.can_survive:
            self.ours.add(dpy)
            self.x11.XSetIOErrorExitHandler(dpy, self._exit_handler, None)
        result: int = dpy
        return result

    def close(self, dpy: int) -> None:
        if dpy in self.lost:
            # A dead connection: closing it would only raise the error again.
            self.ours.discard(dpy)
            return
        self.x11.XCloseDisplay(dpy)
        self.ours.discard(dpy)

    def query(self, dpy: int) -> float | None:
        event_base, error_base = ctypes.c_int(), ctypes.c_int()
        if not self.xss.XScreenSaverQueryExtension(
            dpy, ctypes.byref(event_base), ctypes.byref(error_base)
        ):
            return None
        info = self.xss.XScreenSaverAllocInfo()
        try:
            root = self.x11.XDefaultRootWindow(dpy)
            if not self.xss.XScreenSaverQueryInfo(dpy, root, info) or dpy in self.lost:
                return None
            return float(info.contents.idle) / 1000.0
        finally:
            self.x11.XFree(info)


class X11Idle:
    grows_on_its_own = True
    reports_activity = True
    refresh: float | None = None

    def __init__(self, display: str | None = None) -> None:
        self.display = display or os.environ.get("DISPLAY", "")
        self.name = "x11"
        self._lib = _Xlib.get()
        self._lock = threading.Lock()
        self._dpy: int | None = None
        if self.seconds() is None:
            raise OSError(f"cannot query idle time on X display {self.display!r}")

    @property
    def persistent(self) -> bool:
        """Whether one connection is kept (libX11 1.7+), rather than one per look."""
        return self._lib.can_survive

    def seconds(self) -> float | None:
        with self._lock:
            if not self._lib.can_survive:
                dpy = self._lib.open(self.display)
                if dpy is None:
                    return None
                try:
                    return self._lib.query(dpy)
                finally:
                    self._lib.close(dpy)
            for _attempt in range(2):
                if self._dpy is None:
                    self._dpy = self._lib.open(self.display)
                    if self._dpy is None:
                        return None  # no server (yet): unknown, never "idle"
                value = self._lib.query(self._dpy)
                if self._dpy in self._lib.lost:
                    log.info("X server %s went away; reconnecting", self.display)
                    self._lib.close(self._dpy)
                    self._dpy = None
                    continue
                return value
            return None

    def close(self) -> None:
        with self._lock:
            if self._dpy is not None:
                self._lib.close(self._dpy)
                self._dpy = None

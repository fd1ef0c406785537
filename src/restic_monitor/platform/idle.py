"""How long the user has been away: one small interface, one source per platform.

``seconds()`` returns None when the idle time cannot be known; the engine
then never starts an automatic backup, because treating "unknown" as "idle"
would start backups in the middle of someone's work.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import math
import os
import sys
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

ENV_VAR = "RESTIC_MONITOR_IDLE_SOURCE"


class IdleSource(Protocol):
    name: str
    #: A real idle counter grows by itself while nobody is there.
    grows_on_its_own: bool
    #: False when the source cannot see a user at all (a fixed value).
    reports_activity: bool
    #: Look at least this often (seconds), for sources whose value can change at any time.
    refresh: float | None

    def seconds(self) -> float | None: ...

    def close(self) -> None: ...


class FixedIdle:
    """A constant idle time: the natural choice for servers with no user."""

    grows_on_its_own = False
    reports_activity = False
    refresh: float | None = None

    def __init__(self, seconds: float) -> None:
        self.value = seconds
        self.name = f"fixed:{seconds:g}"

    def seconds(self) -> float | None:
        return self.value

    def close(self) -> None:
        pass


class FileIdle:
    """Idle seconds read from a file at each look: the seam tests use.

    A missing or unreadable file means "unknown". The engine re-reads it at
    least once a second so that a test writing a new value sees a reaction
    promptly.
    """

    grows_on_its_own = False
    reports_activity = True
    refresh: float | None = 1.0

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"file:{path}"
        self._warned = False

    def seconds(self) -> float | None:
        try:
            text = self.path.read_text(encoding="utf-8-sig").strip()
            value = float(text)
        except (OSError, ValueError) as exc:
            if not self._warned:
                log.warning("idle file %s unusable (%s); idle time unknown", self.path, exc)
                self._warned = True
            return None
        self._warned = False
        if math.isnan(value) or value < 0:
            return None
        return value

    def close(self) -> None:
        pass


class UnknownIdle:
    """No usable source on this system: idle time is unknown, never zero."""

    grows_on_its_own = False
    reports_activity = False
    refresh: float | None = None

    def __init__(self, why: str) -> None:
        self.why = why
        self.name = "none"

    def seconds(self) -> float | None:
        return None

    def close(self) -> None:
        pass


class _XScreenSaverInfo(ctypes.Structure):
    _fields_ = [
        ("window", ctypes.c_ulong),
        ("state", ctypes.c_int),
        ("kind", ctypes.c_int),
        ("til_or_since", ctypes.c_ulong),
        ("idle", ctypes.c_ulong),
        ("eventMask", ctypes.c_ulong),
    ]


class X11Idle:
    """XScreenSaverQueryInfo through libXss.

    A connection is opened for each look. Looks are rare (the engine sleeps
    until idle time could reach the threshold), and a fresh connection cannot
    be left dead by an X server restart, which with Xlib would end the whole
    process from inside its I/O error handler.
    """

    grows_on_its_own = True
    reports_activity = True
    refresh: float | None = None

    def __init__(self, display: str | None = None) -> None:
        self.display = display or os.environ.get("DISPLAY", "")
        self.name = "x11"
        x11_name = ctypes.util.find_library("X11") or "libX11.so.6"
        xss_name = ctypes.util.find_library("Xss") or "libXss.so.1"
        self._x11: Any = ctypes.CDLL(x11_name)
        self._xss: Any = ctypes.CDLL(xss_name)
        self._x11.XOpenDisplay.restype = ctypes.c_void_p
        self._x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self._x11.XDefaultRootWindow.restype = ctypes.c_ulong
        self._x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        self._x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self._x11.XFree.argtypes = [ctypes.c_void_p]
        self._xss.XScreenSaverAllocInfo.restype = ctypes.POINTER(_XScreenSaverInfo)
        self._xss.XScreenSaverQueryExtension.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_int),
            ctypes.POINTER(ctypes.c_int),
        ]
        self._xss.XScreenSaverQueryInfo.argtypes = [
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.POINTER(_XScreenSaverInfo),
        ]
        if self.seconds() is None:
            raise OSError(f"cannot query idle time on X display {self.display!r}")

    def seconds(self) -> float | None:
        dpy = self._x11.XOpenDisplay(self.display.encode() if self.display else None)
        if not dpy:
            return None
        info = None
        try:
            event_base, error_base = ctypes.c_int(), ctypes.c_int()
            if not self._xss.XScreenSaverQueryExtension(
                dpy, ctypes.byref(event_base), ctypes.byref(error_base)
            ):
                return None
            info = self._xss.XScreenSaverAllocInfo()
            root = self._x11.XDefaultRootWindow(dpy)
            if not self._xss.XScreenSaverQueryInfo(dpy, root, info):
                return None
            return float(info.contents.idle) / 1000.0
        finally:
            if info:
                self._x11.XFree(info)
            self._x11.XCloseDisplay(dpy)

    def close(self) -> None:
        pass


def windows_idle_ms(tick_count_64: int, last_input_tick: int) -> int:
    """Idle milliseconds from GetTickCount64 and LASTINPUTINFO.dwTime.

    dwTime is a 32-bit tick that wraps every 49.7 days; comparing it with the
    low 32 bits of the 64-bit tick, modulo 2**32, stays right across the
    wrap (the earlier tool compared signed values and broke after ~25 days).
    """
    return (tick_count_64 - last_input_tick) % (1 << 32)


class WindowsIdle:  # pragma: no cover - Windows only
    grows_on_its_own = True
    reports_activity = True
    refresh: float | None = None

    def __init__(self) -> None:
        self.name = "windows"

        class LastInputInfo(ctypes.Structure):
            _fields_ = [("cbSize", ctypes.c_uint), ("dwTime", ctypes.c_uint32)]

        self._info_type = LastInputInfo
        self._user32: Any = ctypes.WinDLL("user32")  # type: ignore[attr-defined]
        self._kernel32: Any = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined]
        self._kernel32.GetTickCount64.restype = ctypes.c_uint64
        if self.seconds() is None:
            raise OSError("GetLastInputInfo failed")

    def seconds(self) -> float | None:
        info = self._info_type()
        info.cbSize = ctypes.sizeof(info)
        if not self._user32.GetLastInputInfo(ctypes.byref(info)):
            return None
        now = int(self._kernel32.GetTickCount64())
        return windows_idle_ms(now, int(info.dwTime)) / 1000.0

    def close(self) -> None:
        pass


class MacIdle:  # pragma: no cover - macOS only
    grows_on_its_own = True
    reports_activity = True
    refresh: float | None = None
    _HID_SYSTEM_STATE = 1
    _ANY_INPUT = 0xFFFFFFFF

    def __init__(self) -> None:
        self.name = "macos"
        path = ctypes.util.find_library("ApplicationServices") or (
            "/System/Library/Frameworks/ApplicationServices.framework/ApplicationServices"
        )
        self._cg: Any = ctypes.CDLL(path)
        fn = self._cg.CGEventSourceSecondsSinceLastEventType
        fn.restype = ctypes.c_double
        fn.argtypes = [ctypes.c_int32, ctypes.c_uint32]
        if self.seconds() is None:
            raise OSError("CGEventSourceSecondsSinceLastEventType failed")

    def seconds(self) -> float | None:
        value = float(
            self._cg.CGEventSourceSecondsSinceLastEventType(self._HID_SYSTEM_STATE, self._ANY_INPUT)
        )
        return value if value >= 0 else None

    def close(self) -> None:
        pass


def _is_wayland_session() -> bool:
    return bool(os.environ.get("WAYLAND_DISPLAY")) or (
        os.environ.get("XDG_SESSION_TYPE", "").lower() == "wayland"
    )


def auto_source() -> IdleSource:
    """The platform's real source, or :class:`UnknownIdle` saying why there is none."""
    if sys.platform == "win32":
        try:
            return WindowsIdle()
        except OSError as exc:
            return UnknownIdle(f"Windows idle time unavailable: {exc}")
    if sys.platform == "darwin":
        try:
            return MacIdle()
        except OSError as exc:
            return UnknownIdle(f"macOS idle time unavailable: {exc}")
    if _is_wayland_session():
        return UnknownIdle(
            "Wayland session: XScreenSaver would only see X clients, and no Wayland idle "
            "source is available yet"
        )
    if not os.environ.get("DISPLAY"):
        return UnknownIdle("no graphical session (DISPLAY is not set)")
    try:
        return X11Idle()
    except OSError as exc:
        return UnknownIdle(f"X11 idle time unavailable: {exc}")


def make_idle_source(spec: str | None) -> IdleSource:
    """Build a source from ``auto``, ``fixed:SECONDS``, ``file:PATH`` or ``x11``."""
    spec = (spec or os.environ.get(ENV_VAR) or "auto").strip()
    kind, _, rest = spec.partition(":")
    kind = kind.lower()
    if kind == "auto" and not rest:
        return auto_source()
    if kind == "fixed":
        try:
            value = float(rest)
        except ValueError:
            raise ValueError(f"idle source {spec!r}: expected fixed:SECONDS") from None
        if value < 0 or math.isnan(value):
            raise ValueError(f"idle source {spec!r}: seconds must be 0 or more")
        return FixedIdle(value)
    if kind == "file":
        if not rest:
            raise ValueError(f"idle source {spec!r}: expected file:PATH")
        return FileIdle(Path(rest).expanduser())
    if kind == "x11":
        return X11Idle(rest or None)
    if kind == "none":
        return UnknownIdle("idle source disabled (none)")
    raise ValueError(
        f"unknown idle source {spec!r}: expected auto, fixed:SECONDS, file:PATH, x11 or none"
    )


def close_quietly(source: IdleSource) -> None:
    with contextlib.suppress(Exception):
        source.close()

"""Whether a graphical session can be reached, before Qt is asked to open it.

Qt ends the whole process when its platform plugin cannot connect to the
display (a stale ``DISPLAY`` after logging out, an X server that has gone).
The monitor must keep backing up then, so ``run`` checks first and falls back
to running headless.
"""

from __future__ import annotations

import ctypes
import os
import socket
import sys

#: The ordinary headless case (a server, an SSH session): nothing to explain.
NO_DISPLAY = "no display (neither DISPLAY nor WAYLAND_DISPLAY is set)"


def load_library(soname: str, name: str) -> ctypes.CDLL:
    """The library by its usual soname first; ``find_library`` only when that fails.

    ``find_library`` runs ``ldconfig -p`` and reads its whole output: tens of
    milliseconds at every start, and memory the idle monitor then keeps.
    """
    try:
        return ctypes.CDLL(soname)
    except OSError:
        from ctypes.util import find_library

        found = find_library(name)
        if found is None:
            raise
        return ctypes.CDLL(found)


def x11_reachable(display: str | None = None) -> bool:
    """Whether ``XOpenDisplay`` succeeds (and libX11 is there to try)."""
    name = display if display is not None else os.environ.get("DISPLAY")
    if not name:
        return False
    try:
        x11 = load_library("libX11.so.6", "X11")
    except OSError:
        return False
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    dpy = x11.XOpenDisplay(name.encode())
    if not dpy:
        return False
    x11.XCloseDisplay(dpy)
    return True


def wayland_reachable() -> bool:
    """Whether the compositor's socket accepts a connection."""
    if sys.platform == "win32" or not os.environ.get("WAYLAND_DISPLAY"):
        return False
    from restic_monitor.platform.idle_wayland import WaylandError, socket_path

    try:
        path = socket_path()
    except WaylandError:
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(2.0)
        try:
            sock.connect(path)
        except OSError:
            return False
    return True


def unreachable_reason() -> str | None:
    """Why no window can be shown here, or None when one can.

    Windows and macOS always have their desktop when the user runs the
    program; elsewhere ``QT_QPA_PLATFORM=offscreen`` (tests) needs no display.
    """
    if sys.platform in ("win32", "darwin"):
        return None
    if os.environ.get("QT_QPA_PLATFORM", "").split(";")[0] in ("offscreen", "minimal"):
        return None
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        return NO_DISPLAY
    if wayland_reachable() or x11_reachable():
        return None
    shown = ", ".join(
        f"{name}={os.environ[name]}"
        for name in ("WAYLAND_DISPLAY", "DISPLAY")
        if os.environ.get(name)
    )
    return f"the display cannot be opened ({shown})"

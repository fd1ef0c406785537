"""How long the user has been away: one small interface, one source per platform.

``seconds()`` returns None when the idle time cannot be known; the engine
then never starts an automatic backup, because treating "unknown" as "idle"
would start backups in the middle of someone's work.
"""

from __future__ import annotations

import logging
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from restic_monitor.platform.idle_specs import SPECS

if TYPE_CHECKING:
    from restic_monitor.platform.idle_dbus import DBusIdleSpec

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


def _is_wayland_session() -> bool:
    return bool(os.environ.get("WAYLAND_DISPLAY")) or (
        os.environ.get("XDG_SESSION_TYPE", "").lower() == "wayland"
    )


def auto_source() -> IdleSource:
    """The platform's real source, or :class:`UnknownIdle` saying why there is none.

    Linux and other Unix: X11 in an X session, then the D-Bus idle monitors
    (GNOME, Cinnamon, org.freedesktop.ScreenSaver); in a Wayland session the
    D-Bus monitors and the compositor's idle protocol, never XScreenSaver (it
    would only see X clients there).
    """
    if sys.platform == "win32":
        from restic_monitor.platform.idle_windows import WindowsIdle

        try:
            return WindowsIdle()
        except OSError as exc:
            return UnknownIdle(f"Windows idle time unavailable: {exc}")
    if sys.platform == "darwin":
        from restic_monitor.platform.idle_macos import IoregIdle, MacIdle

        reasons = []
        for source in (MacIdle, IoregIdle):
            try:
                return source()
            except OSError as exc:
                reasons.append(str(exc))
        return UnknownIdle("macOS idle time unavailable: " + "; ".join(reasons))
    if _is_wayland_session():
        return _wayland_source()
    reasons = []
    if not os.environ.get("DISPLAY"):
        reasons.append("no X display (DISPLAY is not set)")
    else:
        from restic_monitor.platform.idle_x11 import X11Idle

        try:
            return X11Idle()
        except OSError as exc:
            reasons.append(f"x11: {exc}")
    from restic_monitor.platform.idle_dbus import ALL

    return _dbus_source(ALL, reasons) or _unknown(reasons)


def _wayland_source() -> IdleSource:
    """GNOME's and Cinnamon's monitors give the true idle time, so they come first;
    then the compositor's idle protocol; org.freedesktop.ScreenSaver last, since
    it answers in whole seconds and several desktops refuse it."""
    from restic_monitor.platform.idle_dbus import CINNAMON, GNOME, SCREENSAVER
    from restic_monitor.platform.idle_wayland import WaylandError, WaylandIdle

    reasons = ["Wayland session, so not XScreenSaver"]
    source = _dbus_source((GNOME, CINNAMON), reasons)
    if source is not None:
        return source
    try:
        return WaylandIdle()
    except WaylandError as exc:
        reasons.append(f"wayland: {exc}")
    return _dbus_source((SCREENSAVER,), reasons) or _unknown(reasons)


def _dbus_source(specs: tuple[DBusIdleSpec, ...], reasons: list[str]) -> IdleSource | None:
    """The first of ``specs`` that answers on the session bus; why not goes to ``reasons``."""
    if not (os.environ.get("DBUS_SESSION_BUS_ADDRESS") or os.environ.get("XDG_RUNTIME_DIR")):
        if "no session D-Bus" not in reasons:
            reasons.append("no session D-Bus")
        return None
    from restic_monitor.platform.idle_dbus import first_working

    source, why = first_working(specs)
    reasons.extend(why)
    return source


def _unknown(reasons: list[str]) -> UnknownIdle:
    return UnknownIdle("no idle source answers (" + "; ".join(reasons) + ")")


def make_idle_source(spec: str | None) -> IdleSource:
    """Build a source from its spec (see :data:`SPECS`)."""
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
        from restic_monitor.platform.idle_x11 import X11Idle

        return X11Idle(rest or None)
    if kind in ("gnome", "cinnamon", "screensaver") and not rest:
        from restic_monitor.platform.idle_dbus import BY_NAME, DBusIdle

        return DBusIdle(BY_NAME[kind])
    if kind == "wayland":
        from restic_monitor.platform.idle_wayland import WaylandIdle

        return WaylandIdle(rest or None)
    if kind == "windows" and not rest:
        from restic_monitor.platform.idle_windows import WindowsIdle

        return WindowsIdle()
    if kind == "macos" and not rest:
        from restic_monitor.platform.idle_macos import MacIdle

        return MacIdle()
    if kind == "none":
        return UnknownIdle("idle source disabled (none)")
    raise ValueError(f"unknown idle source {spec!r}: expected {SPECS}")

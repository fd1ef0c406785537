"""macOS idle time: CoreGraphics' seconds since the last HID event, ioreg as a fallback."""

from __future__ import annotations

import ctypes
import ctypes.util
import re
import subprocess
from typing import Any

_HID_IDLE = re.compile(r'"HIDIdleTime"\s*=\s*(\d+)')


def parse_ioreg_idle(text: str) -> float | None:
    """Seconds from ``ioreg -c IOHIDSystem`` output (HIDIdleTime is in nanoseconds)."""
    match = _HID_IDLE.search(text)
    return int(match.group(1)) / 1e9 if match else None


class IoregIdle:  # pragma: no cover - macOS only
    """``ioreg``'s HIDIdleTime: slower (a process per look) but needs no framework."""

    grows_on_its_own = True
    reports_activity = True
    refresh: float | None = None

    def __init__(self) -> None:
        self.name = "macos-ioreg"
        if self.seconds() is None:
            raise OSError("ioreg reports no HIDIdleTime")

    def seconds(self) -> float | None:
        try:
            out = subprocess.run(
                ["ioreg", "-c", "IOHIDSystem", "-d", "4"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        return parse_ioreg_idle(out)

    def close(self) -> None:
        pass


class MacIdle:  # pragma: no cover - macOS only
    """CGEventSourceSecondsSinceLastEventType(HID system state, any input event)."""

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

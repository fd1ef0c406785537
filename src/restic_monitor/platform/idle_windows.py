"""Windows idle time: GetLastInputInfo through ctypes (no pywin32)."""

from __future__ import annotations

import ctypes
from typing import Any


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

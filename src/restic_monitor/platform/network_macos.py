"""macOS: is the current network path expensive (a phone's hotspot) or constrained (Low Data Mode)?

The Network framework answers through ``nw_path_monitor``, whose update
handler is an Objective-C block called on a dispatch queue. Python has no
block type, so a global block (no captured variables, never copied) is laid
out by hand with ctypes. A mistake there would crash the process rather
than raise, so the question is asked in a child process (``python -m
restic_monitor.platform.network_macos`` prints ``1``, ``0`` or nothing): the
monitor itself only ever reads a line, and a crash reads as unknown.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import subprocess
import sys
import threading

NETWORK_FRAMEWORK = "/System/Library/Frameworks/Network.framework/Network"
#: The block's flags: BLOCK_IS_GLOBAL, so that the runtime never copies or frees it.
BLOCK_IS_GLOBAL = 1 << 28
#: How long the child waits for the path's first update.
WAIT_SECONDS = 2.0


def path_metered(expensive: int, constrained: int) -> bool:
    """An expensive path (cellular, a personal hotspot) or Low Data Mode is metered."""
    return bool(expensive) or bool(constrained)


def answer_line(value: bool | None) -> str:
    return "" if value is None else ("1" if value else "0")


def parse_answer(text: str) -> bool | None:
    line = text.strip()
    return {"1": True, "0": False}.get(line)


class _BlockDescriptor(ctypes.Structure):
    _fields_ = [("reserved", ctypes.c_ulong), ("size", ctypes.c_ulong)]


_HANDLER = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)


class _BlockLiteral(ctypes.Structure):
    _fields_ = [
        ("isa", ctypes.c_void_p),
        ("flags", ctypes.c_int),
        ("reserved", ctypes.c_int),
        ("invoke", _HANDLER),
        ("descriptor", ctypes.POINTER(_BlockDescriptor)),
    ]


def ask_network_framework() -> bool | None:  # pragma: no cover - macOS only
    """In this process: start a path monitor, read its first path, stop it."""
    system = ctypes.CDLL(ctypes.util.find_library("System") or "/usr/lib/libSystem.dylib")
    network = ctypes.CDLL(NETWORK_FRAMEWORK)
    for name, restype, argtypes in (
        ("nw_path_monitor_create", ctypes.c_void_p, []),
        ("nw_path_monitor_set_queue", None, [ctypes.c_void_p, ctypes.c_void_p]),
        ("nw_path_monitor_set_update_handler", None, [ctypes.c_void_p, ctypes.c_void_p]),
        ("nw_path_monitor_start", None, [ctypes.c_void_p]),
        ("nw_path_monitor_cancel", None, [ctypes.c_void_p]),
        ("nw_path_is_expensive", ctypes.c_bool, [ctypes.c_void_p]),
        ("nw_path_is_constrained", ctypes.c_bool, [ctypes.c_void_p]),
    ):
        func = getattr(network, name)
        func.restype, func.argtypes = restype, argtypes
    system.dispatch_queue_create.restype = ctypes.c_void_p
    system.dispatch_queue_create.argtypes = [ctypes.c_char_p, ctypes.c_void_p]

    seen: list[bool] = []
    ready = threading.Event()

    def on_update(_block: int | None, path: int | None) -> None:
        if path and not seen:
            seen.append(
                path_metered(network.nw_path_is_expensive(path),
                             network.nw_path_is_constrained(path))
            )  # fmt: skip
        ready.set()

    invoke = _HANDLER(on_update)
    descriptor = _BlockDescriptor(0, ctypes.sizeof(_BlockLiteral))
    isa = ctypes.c_void_p.in_dll(system, "_NSConcreteGlobalBlock")
    block = _BlockLiteral(ctypes.addressof(isa), BLOCK_IS_GLOBAL, 0, invoke,
                          ctypes.pointer(descriptor))  # fmt: skip
    queue = system.dispatch_queue_create(b"restic-monitor.metered", None)
    monitor = network.nw_path_monitor_create()
    if not monitor or not queue:
        return None
    network.nw_path_monitor_set_queue(monitor, queue)
    network.nw_path_monitor_set_update_handler(monitor, ctypes.addressof(block))
    network.nw_path_monitor_start(monitor)
    ready.wait(WAIT_SECONDS)
    network.nw_path_monitor_cancel(monitor)
    return seen[0] if seen else None


def macos_metered(timeout: float = 10.0) -> bool | None:
    """Ask a child process (see the module's note); None when it cannot say."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "restic_monitor.platform.network_macos"],
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return parse_answer(done.stdout) if done.returncode == 0 else None


if __name__ == "__main__":  # pragma: no cover - the child process, macOS only
    value: bool | None = None
    if sys.platform == "darwin":
        try:
            value = ask_network_framework()
        except (OSError, AttributeError, ValueError):
            value = None
    print(answer_line(value))

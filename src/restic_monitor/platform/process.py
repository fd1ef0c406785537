"""Starting and stopping restic the right way on each OS.

POSIX: restic gets its own session (so a Ctrl-C in the monitor's terminal or
the monitor's death does not signal it behind our back) and is stopped with
SIGINT, on which restic removes its repository lock. Low priority is applied
by ``nice``/``ionice`` (``taskpolicy`` on macOS) in front of the command:
they exec restic, so the PID stays restic's, and the priority is in place
before restic starts its threads (changing it afterwards on Linux would only
affect the main thread).

Windows: restic gets a new process group, no console window, and
BELOW_NORMAL priority. Go maps CTRL_BREAK to SIGINT, but the event can only
be sent to a process sharing our console; a windowed app has none, so we
attach to restic's (hidden) console for the moment it takes to send it.
``Popen.terminate`` is a hard kill there and would leave the repository lock.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from typing import Any

#: How the programs this OS runs begin: ELF, Mach-O (32/64 bit, both byte orders, fat).
_BINARY_MAGIC = (
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa\xcf",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)


def not_a_program(path: str) -> str | None:
    """Why ``path`` cannot be started as a program here (None: it looks like one).

    What the OS would refuse: a folder, a file without execute permission, a
    text file without ``#!`` (POSIX runs only binaries and scripts that name
    their interpreter; a shell would guess, ``exec`` does not), an interpreter
    that is not there. On Windows: neither an .exe (``MZ``) nor a .bat/.cmd.
    """
    if os.path.isdir(path):
        return "it is a folder"
    if not os.path.isfile(path):
        return "it is not a regular file"
    if sys.platform != "win32" and not os.access(path, os.X_OK):
        return "it is not executable (chmod +x it, or point restic_exe at restic itself)"
    try:
        with open(path, "rb") as file:
            head = file.read(256)
    except OSError:
        return None  # execute-only: the OS will know
    if not head:
        return "it is empty"
    if sys.platform == "win32":
        if head.startswith(b"MZ") or path.lower().endswith((".bat", ".cmd")):
            return None
        return "it is not a Windows program (.exe)"
    if head.startswith(b"#!"):
        words = head[2:].split(b"\n", 1)[0].split()
        interpreter = os.fsdecode(words[0]) if words else ""
        if not interpreter or not os.access(interpreter, os.X_OK):
            return f"the interpreter its first line names ({interpreter or 'none'}) is not there"
        return None
    if head.startswith(_BINARY_MAGIC):
        return None
    return "it is neither a program nor a script starting with #!"


def popen_options(low_priority: bool) -> dict[str, Any]:
    """Keyword arguments for :class:`subprocess.Popen` on this OS."""
    if sys.platform == "win32":
        flags = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.CREATE_NO_WINDOW
        if low_priority:
            flags |= subprocess.BELOW_NORMAL_PRIORITY_CLASS
        return {"creationflags": flags}
    return {"start_new_session": True}


def priority_prefix(low_priority: bool) -> list[str]:
    """Commands that lower restic's CPU and I/O priority, then exec it."""
    if not low_priority or sys.platform == "win32":
        return []
    if sys.platform == "darwin":
        taskpolicy = shutil.which("taskpolicy")
        return [taskpolicy, "-b"] if taskpolicy else _nice()
    prefix = _nice()
    ionice = shutil.which("ionice")
    if ionice:
        prefix += [ionice, "-c", "2", "-n", "7"]
    return prefix


def _nice() -> list[str]:
    nice = shutil.which("nice")
    return [nice, "-n", "10"] if nice else []


def graceful_stop(proc: subprocess.Popen[bytes]) -> None:
    """Ask restic to stop and clean up (SIGINT / CTRL_BREAK)."""
    if proc.poll() is not None:
        return
    if sys.platform == "win32":
        _windows_ctrl_break(proc.pid)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGINT)


def hard_kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill restic and, on POSIX, what it started (its own session, see popen_options)."""
    if sys.platform != "win32" and proc.poll() is None:  # (the group id is restic's pid)
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
    if proc.poll() is None:
        with contextlib.suppress(OSError):
            proc.kill()


def _windows_ctrl_break(pid: int) -> None:  # pragma: no cover - Windows only
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    ctrl_break = 1
    if kernel32.GenerateConsoleCtrlEvent(ctrl_break, pid):
        return
    # No shared console (windowed app): borrow restic's for the moment.
    had_console = bool(kernel32.GetConsoleWindow())
    kernel32.FreeConsole()
    try:
        if kernel32.AttachConsole(pid):
            kernel32.SetConsoleCtrlHandler(None, True)  # do not stop ourselves
            try:
                kernel32.GenerateConsoleCtrlEvent(ctrl_break, pid)
                time.sleep(0.1)
            finally:
                kernel32.FreeConsole()
                kernel32.SetConsoleCtrlHandler(None, False)
    finally:
        if had_console:
            kernel32.AttachConsole(-1)  # ATTACH_PARENT_PROCESS


def process_alive(pid: int, started: float | None = None) -> bool:
    """Whether ``pid`` still runs, and is the process started at ``started``."""
    import psutil

    try:
        proc = psutil.Process(pid)
        if started is not None and abs(proc.create_time() - started) > 2.0:
            return False  # the PID was reused by another process
        return proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def process_start_time(pid: int) -> float | None:
    import psutil

    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def _exists(pid: int, started: float | None) -> bool:
    """Whether the process table still has ``pid`` (a zombie counts)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        return started is None or abs(proc.create_time() - started) <= 2.0
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def wait_gone(pid: int, started: float | None, timeout: float) -> bool:
    """Wait until ``pid`` has left the process table, zombie included.

    restic considers a lock stale only once its owner's PID no longer exists;
    a dead but not yet reaped restic would keep its lock "live" for unlock.
    """
    deadline = time.monotonic() + timeout
    while _exists(pid, started):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def stop_orphan(pid: int, started: float | None, timeout: float = 30.0) -> bool:
    """Stop a restic left running by a monitor that died. True if one was stopped."""
    import psutil

    if not process_alive(pid, started):
        wait_gone(pid, started, timeout)
        return False
    try:
        proc = psutil.Process(pid)
        if sys.platform == "win32":  # pragma: no cover
            _windows_ctrl_break(pid)
        else:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout)
        except psutil.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    except (psutil.NoSuchProcess, psutil.TimeoutExpired):
        pass
    wait_gone(pid, started, timeout)
    return True


def release_free_memory() -> None:
    """Return freed heap pages to the system (glibc keeps them otherwise).

    A long-running tray allocates most of its memory while starting; what it
    freed then would count against its resident size all day.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (musl): nothing to do
        pass

"""The control channel on Windows: a named pipe only the user can open, and a check of its server.

Loopback TCP, which the first release used, admits every local user and
cannot tell a client whose port it reached. A named pipe can do both:

- the instance creates a fresh unguessable name with
  ``FILE_FLAG_FIRST_PIPE_INSTANCE``, so it fails rather than join a pipe
  somebody created before it, and with the owner-only security descriptor of
  :func:`pipe_rules.owner_only_sddl`, so no other user can open it or add an
  instance to it; remote clients are rejected. The next instance is always
  created before the connected one is handed over, so the name never lapses;
- the client connects only to such a local name, with
  ``SECURITY_IDENTIFICATION`` (the server may not impersonate it), and checks
  that the process serving the pipe runs as the same user before it sends
  anything (see :func:`pipe_rules.server_problem`).

Pipe I/O uses the stdlib's ``_winapi`` overlapped calls (those of
``multiprocessing`` and ``asyncio``), so that reads and writes can time out and
a blocked accept can be woken; ctypes covers what ``_winapi`` lacks (security
descriptors, tokens, SIDs, events).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import sys
import threading
import time

from restic_monitor.platform.endpoint import Endpoint, UntrustedEndpoint
from restic_monitor.platform.pipe_rules import (
    is_local_pipe_name,
    owner_only_sddl,
    pipe_name,
    server_problem,
    untrusted_message,
)

assert sys.platform == "win32"  # mypy checks the rest with --platform win32 only

import _winapi  # noqa: E402 - Windows only, after the platform assertion

from restic_monitor.platform import win_security  # noqa: E402

log = logging.getLogger(__name__)

BUFSIZE = 64 * 1024
PIPE_TYPE_BYTE = 0
PIPE_READMODE_BYTE = 0
PIPE_REJECT_REMOTE_CLIENTS = 0x8
SECURITY_SQOS_PRESENT = 0x00100000
SECURITY_IDENTIFICATION = 0x00010000
ERROR_ACCESS_DENIED = 5


class PipeConnection:
    """One end of a connected pipe, with the few socket methods the control channel uses."""

    def __init__(self, handle: int) -> None:
        self._handle: int | None = handle
        self._timeout_ms = _winapi.INFINITE

    def settimeout(self, timeout: float | None, /) -> None:
        self._timeout_ms = _winapi.INFINITE if timeout is None else max(0, int(timeout * 1000))

    def _finish(self, ov: _winapi.Overlapped, err: int) -> tuple[int, int]:
        """Wait (at most the timeout) for an overlapped call: (bytes moved, error)."""
        timed_out = False
        if err == _winapi.ERROR_IO_PENDING:
            try:
                waited = _winapi.WaitForMultipleObjects([ov.event], False, self._timeout_ms)
            except BaseException:
                ov.cancel()
                raise
            if waited == _winapi.WAIT_TIMEOUT:
                timed_out = True
                ov.cancel()
        moved, err = ov.GetOverlappedResult(True)
        if timed_out and err == _winapi.ERROR_OPERATION_ABORTED:
            raise TimeoutError("timed out")
        return moved, err

    def _live(self) -> int:
        if self._handle is None:
            raise OSError("the pipe is closed")
        return self._handle

    def recv(self, size: int, /) -> bytes:
        try:
            ov, err = _winapi.ReadFile(self._live(), size, overlapped=True)
        except BrokenPipeError:
            return b""  # the other end has closed: end of stream
        _moved, err = self._finish(ov, err)
        if err == _winapi.ERROR_BROKEN_PIPE:
            return b""
        if err not in (0, _winapi.ERROR_MORE_DATA):
            raise ctypes.WinError(err)
        return ov.getbuffer() or b""

    def sendall(self, data: bytes, /) -> None:
        view = memoryview(data)
        while view:
            ov, err = _winapi.WriteFile(self._live(), view, overlapped=True)
            moved, err = self._finish(ov, err)
            if err:
                raise ctypes.WinError(err)
            if moved <= 0:
                raise BrokenPipeError("the pipe is closed")
            view = view[moved:]

    def shutdown(self, how: int, /) -> None:
        """Pipes cannot be half-closed; readers stop at the final answer line instead."""

    def close(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            _winapi.CloseHandle(handle)


class PipeListener:
    """The server side: hands out one connected pipe instance per client."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._security = win_security.PipeSecurity(owner_only_sddl(win_security.own_sid()))
        self._stop: int | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._accepting = False
        self._pending: int | None = None
        try:
            self._stop = win_security.create_event()  # wakes a waiting accept
            self._pending = self._create(first=True)
        except OSError:
            self._release()
            raise

    def _create(self, first: bool) -> int:
        mode = _winapi.PIPE_ACCESS_DUPLEX | _winapi.FILE_FLAG_OVERLAPPED
        if first:
            mode |= _winapi.FILE_FLAG_FIRST_PIPE_INSTANCE
        return self._security.create_pipe(
            self.name,
            mode,
            PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | _winapi.PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
            _winapi.PIPE_UNLIMITED_INSTANCES,
            BUFSIZE,
        )

    def accept(self) -> tuple[PipeConnection, None]:
        with self._lock:
            if self._closed:
                raise OSError("the control pipe is closed")
            if self._pending is None:
                # The last instance could not be replaced, so the name may have lapsed:
                # only a first instance will do (never an instance of somebody else's pipe).
                self._pending = self._create(first=True)
            handle = self._pending
            self._accepting = True
        try:
            self._wait_for_client(handle)
        except OSError:
            with self._lock:
                self._accepting = False
                if self._pending == handle:  # in an unknown state: start again from scratch
                    self._pending = None
                    _winapi.CloseHandle(handle)
                if self._closed:
                    self._release()
            raise
        with self._lock:
            self._accepting = False
            if self._closed:
                self._release()  # the handle is still the pending one: closed with the rest
                raise OSError("the control pipe is closed")
            # The next instance exists before this one is handed over: the name never lapses.
            self._pending = None
            try:
                self._pending = self._create(first=False)
            except OSError as exc:
                log.error("control: cannot create the next pipe instance: %s", exc)
        return PipeConnection(handle), None

    def _wait_for_client(self, handle: int) -> None:
        try:
            ov = _winapi.ConnectNamedPipe(handle, overlapped=True)
        except OSError as exc:
            if exc.winerror != _winapi.ERROR_NO_DATA:
                raise
            return  # a client came and went already; it is handed over and reads as ended
        stopped = True
        waits = [ov.event] if self._stop is None else [ov.event, self._stop]
        try:
            woke = _winapi.WaitForMultipleObjects(waits, False, _winapi.INFINITE)
            stopped = woke != _winapi.WAIT_OBJECT_0
        finally:
            if stopped:
                ov.cancel()
            _moved, err = ov.GetOverlappedResult(True)
        if not stopped and err:
            raise ctypes.WinError(err)

    def shutdown(self, how: int, /) -> None:
        with self._lock:
            self._closed = True
            if self._stop is not None:
                win_security.set_event(self._stop)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._stop is not None:
                win_security.set_event(self._stop)
            if not self._accepting:  # else accept releases them once it has woken
                self._release()

    def _release(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            _winapi.CloseHandle(pending)
        stop, self._stop = self._stop, None
        if stop is not None:
            win_security.close_handle(stop)
        self._security.free()


def listen() -> tuple[PipeListener, Endpoint]:
    name = pipe_name(os.urandom(16).hex())
    return PipeListener(name), Endpoint("pipe", name)


def connect(address: str, timeout: float) -> PipeConnection:
    """Open the published pipe and prove its server is the user's before anything is sent."""
    if not is_local_pipe_name(address):
        raise ValueError(f"not a control pipe of this machine: {address!r}")
    deadline = time.monotonic() + timeout
    flags = _winapi.FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION
    while True:
        try:
            handle = _winapi.CreateFile(
                address,
                _winapi.GENERIC_READ | _winapi.GENERIC_WRITE,
                0,
                _winapi.NULL,
                _winapi.OPEN_EXISTING,
                flags,
                _winapi.NULL,
            )
            break
        except OSError as exc:
            if exc.winerror == ERROR_ACCESS_DENIED:  # a pipe of ours always admits us
                raise UntrustedEndpoint(
                    untrusted_message(address, "it refuses you access")
                ) from None
            remaining = deadline - time.monotonic()
            if exc.winerror != _winapi.ERROR_PIPE_BUSY or remaining <= 0:
                raise
            with contextlib.suppress(OSError):  # every instance busy: wait for a free one
                _winapi.WaitNamedPipe(address, max(1, int(remaining * 1000)))
    conn = PipeConnection(handle)
    conn.settimeout(timeout)
    try:
        problem = server_problem(
            win_security.own_sid(),
            win_security.server_owner(handle),
            win_security.handle_owner(handle),
        )
    except BaseException:
        conn.close()
        raise
    if problem is not None:
        conn.close()
        raise UntrustedEndpoint(untrusted_message(address, problem))
    return conn

"""Windows calls through ctypes for the control pipe: who a process runs as, who owns a handle.

What :mod:`.named_pipe` needs and the stdlib's ``_winapi`` lacks: the user's
SID, the owner of the process serving a pipe and of the pipe itself, a pipe
created with a security descriptor written in SDDL, and an event to wake a
waiting thread. Every function is declared with its argument and result
types, so that ctypes passes handles and pointers at their full width.
"""

from __future__ import annotations

import ctypes
import functools
import sys
from typing import Any

assert sys.platform == "win32"  # mypy checks the rest with --platform win32 only

from ctypes import wintypes  # noqa: E402

SDDL_REVISION_1 = 1
TOKEN_QUERY = 0x0008
TOKEN_USER = 1  # TOKEN_INFORMATION_CLASS
PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
SE_KERNEL_OBJECT = 6
OWNER_SECURITY_INFORMATION = 0x1
INVALID_HANDLE = ctypes.c_void_p(-1).value


class _SecurityAttributes(ctypes.Structure):
    _fields_ = [
        ("nLength", wintypes.DWORD),
        ("lpSecurityDescriptor", ctypes.c_void_p),
        ("bInheritHandle", wintypes.BOOL),
    ]


class _SidAndAttributes(ctypes.Structure):  # TOKEN_USER is exactly this
    _fields_ = [("Sid", ctypes.c_void_p), ("Attributes", wintypes.DWORD)]


def _declare(func: Any, restype: Any, *argtypes: Any) -> Any:
    func.restype = restype
    func.argtypes = list(argtypes)
    return func


_k32 = ctypes.WinDLL("kernel32", use_last_error=True)
_adv = ctypes.WinDLL("advapi32", use_last_error=True)
_P = ctypes.POINTER
_void_p = ctypes.c_void_p
_BOOL = wintypes.BOOL
_DWORD = wintypes.DWORD
_CreateNamedPipeW = _declare(
    _k32.CreateNamedPipeW, _void_p, wintypes.LPCWSTR, *[_DWORD] * 6, _P(_SecurityAttributes)
)
_GetNamedPipeServerProcessId = _declare(
    _k32.GetNamedPipeServerProcessId, _BOOL, _void_p, _P(wintypes.ULONG)
)
_OpenProcess = _declare(_k32.OpenProcess, _void_p, _DWORD, _BOOL, _DWORD)
_GetCurrentProcess = _declare(_k32.GetCurrentProcess, _void_p)
_CloseHandle = _declare(_k32.CloseHandle, _BOOL, _void_p)
_LocalFree = _declare(_k32.LocalFree, _void_p, _void_p)
_CreateEventW = _declare(_k32.CreateEventW, _void_p, _void_p, _BOOL, _BOOL, _void_p)
_SetEvent = _declare(_k32.SetEvent, _BOOL, _void_p)
_OpenProcessToken = _declare(_adv.OpenProcessToken, _BOOL, _void_p, _DWORD, _P(_void_p))
_GetTokenInformation = _declare(
    _adv.GetTokenInformation, _BOOL, _void_p, ctypes.c_int, _void_p, _DWORD, _P(_DWORD)
)
_ConvertSidToStringSidW = _declare(_adv.ConvertSidToStringSidW, _BOOL, _void_p, _P(_void_p))
_ConvertStringSdToSd = _declare(
    _adv.ConvertStringSecurityDescriptorToSecurityDescriptorW,
    _BOOL,
    wintypes.LPCWSTR,
    _DWORD,
    _P(_void_p),
    _void_p,
)
_SetFileSecurityW = _declare(_adv.SetFileSecurityW, _BOOL, wintypes.LPCWSTR, _DWORD, _void_p)
_GetSecurityInfo = _declare(
    _adv.GetSecurityInfo, _DWORD, _void_p, ctypes.c_int, _DWORD, *[_P(_void_p)] * 5
)


def last_error() -> OSError:
    return ctypes.WinError(ctypes.get_last_error())


def _sid_string(psid: Any) -> str:
    out = _void_p()
    if not _ConvertSidToStringSidW(psid, ctypes.byref(out)) or not out.value:
        raise last_error()
    try:
        return ctypes.wstring_at(out.value)
    finally:
        _LocalFree(out)


def _token_user(process: Any) -> str:
    """The SID (as text) of the user a process runs as."""
    token = _void_p()
    if not _OpenProcessToken(process, TOKEN_QUERY, ctypes.byref(token)):
        raise last_error()
    try:
        size = _DWORD()
        _GetTokenInformation(token, TOKEN_USER, None, 0, ctypes.byref(size))  # asks the size
        buf = ctypes.create_string_buffer(max(size.value, ctypes.sizeof(_SidAndAttributes)))
        if not _GetTokenInformation(token, TOKEN_USER, buf, len(buf), ctypes.byref(size)):
            raise last_error()
        return _sid_string(_SidAndAttributes.from_buffer(buf).Sid)
    finally:
        _CloseHandle(token)


@functools.lru_cache(maxsize=1)
def own_sid() -> str:
    """The SID of the user this process runs as (the same when elevated)."""
    return _token_user(_GetCurrentProcess())


DACL_SECURITY_INFORMATION = 0x4
PROTECTED_DACL_SECURITY_INFORMATION = 0x80000000


def owner_only_sddl(sid: str) -> str:
    """A protected DACL (nothing inherited from the folder) that lets only ``sid`` in."""
    return f"D:P(A;;FA;;;{sid})"


def make_owner_only(path: str) -> None:
    """Replace a file's access list with one only its user may use (env.json's secrets).

    The file's POSIX mode bits mean nothing on Windows, and a file created in
    a shared folder inherits that folder's access list.
    """
    descriptor = _void_p()
    if not _ConvertStringSdToSd(
        owner_only_sddl(own_sid()), SDDL_REVISION_1, ctypes.byref(descriptor), None
    ):
        raise last_error()
    try:
        info = DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION
        if not _SetFileSecurityW(path, info, descriptor):
            raise last_error()
    finally:
        _LocalFree(descriptor)


def server_owner(pipe: int) -> str | None:
    """The user the process serving a pipe runs as; None when that cannot be read."""
    pid = wintypes.ULONG()
    if not _GetNamedPipeServerProcessId(pipe, ctypes.byref(pid)):
        return None
    process = _OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, False, pid.value)
    if not process:
        return None
    try:
        return _token_user(process)
    except OSError:  # e.g. the token of an elevated process, seen from an ordinary one
        return None
    finally:
        _CloseHandle(process)


def handle_owner(handle: int) -> str | None:
    """The owner of a kernel object (here: a pipe); None when that cannot be read."""
    owner, descriptor = _void_p(), _void_p()
    error = _GetSecurityInfo(
        handle,
        SE_KERNEL_OBJECT,
        OWNER_SECURITY_INFORMATION,
        ctypes.byref(owner),
        None,
        None,
        None,
        ctypes.byref(descriptor),
    )
    if error:
        return None
    try:
        return _sid_string(owner)
    except OSError:
        return None
    finally:
        _LocalFree(descriptor)


class PipeSecurity:
    """A security descriptor from SDDL, kept alive for every pipe instance created with it."""

    def __init__(self, sddl: str) -> None:
        descriptor = _void_p()
        if not _ConvertStringSdToSd(sddl, SDDL_REVISION_1, ctypes.byref(descriptor), None):
            raise last_error()
        self._descriptor = descriptor
        self._attributes = _SecurityAttributes(
            ctypes.sizeof(_SecurityAttributes), descriptor.value, False
        )

    def create_pipe(
        self, name: str, open_mode: int, pipe_mode: int, instances: int, bufsize: int
    ) -> int:
        """``CreateNamedPipeW`` with this descriptor; OSError when it fails."""
        if not self._descriptor.value:
            raise OSError("the pipe's security descriptor is freed")
        handle = _CreateNamedPipeW(
            name,
            open_mode,
            pipe_mode,
            instances,
            bufsize,
            bufsize,
            0,
            ctypes.byref(self._attributes),
        )
        if not handle or handle == INVALID_HANDLE:
            raise last_error()
        return int(handle)

    def free(self) -> None:
        descriptor, self._descriptor = self._descriptor, _void_p()
        if descriptor.value:
            _LocalFree(descriptor)


def create_event() -> int:
    """A manual-reset event, not set."""
    handle = _CreateEventW(None, True, False, None)
    if not handle:
        raise last_error()
    return int(handle)


def set_event(handle: int) -> None:
    _SetEvent(handle)


def close_handle(handle: int) -> None:
    _CloseHandle(handle)

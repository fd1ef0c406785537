"""The control channel on Linux and macOS: where its Unix socket may live, and who is behind it.

The socket normally lives in the home, which is the user's. A home whose path
is too long for a socket address (104-108 bytes) puts it in
``restic-monitor-<uid>`` under ``$XDG_RUNTIME_DIR`` or the temp folder instead:
a shared place, where another local user could create that name first, own
the socket's folder, move the socket away or put a listener of theirs in its
place. So that folder is used only when it is a real folder (not a link) of
this user's with no group or other access; otherwise the instance makes a
fresh private one (``mkdtemp``) and says so in its log.

Clients never work the path out for themselves: they take the address the
instance published in ``control.json``, and before they send anything (the
first line holds the token) they check that the socket is a socket of theirs,
that its folder is theirs (the home, or a private folder as above), and that
the process listening on it runs as their uid (``SO_PEERCRED`` on Linux,
``getpeereid`` elsewhere), which holds even if the file was swapped after the
checks.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import struct
import sys
from pathlib import Path

from restic_monitor.platform.endpoint import TYPE_CHECKING, Endpoint, UntrustedEndpoint

if TYPE_CHECKING:
    from restic_monitor.platform.endpoint import Connection

assert sys.platform != "win32"  # Windows uses named_pipe; mypy skips the rest there

#: Unix socket paths are limited to ~108 bytes (104 on macOS); stay well below.
MAX_SOCKET_PATH = 100


def folder_problem(folder: Path, uid: int) -> str | None:
    """Why ``folder`` may not hold a control socket of ``uid``'s, or None when it may.

    It must be a real folder (a link could be redirected), owned by ``uid``
    (the owner of a folder can rename what is in it), and closed to group and
    others (who could otherwise replace the socket).
    """
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        return "does not exist"
    except OSError as exc:
        return f"cannot be examined ({exc.strerror or exc})"
    if stat.S_ISLNK(st.st_mode):
        return "is a symbolic link"
    if not stat.S_ISDIR(st.st_mode):
        return "is not a folder"
    if st.st_uid != uid:
        return f"belongs to {_who(st.st_uid)}, not to you"
    if st.st_mode & 0o077:
        return f"is open to other users (mode {stat.S_IMODE(st.st_mode):04o})"
    return None


def _who(uid: int) -> str:
    try:
        import pwd

        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def _socket_name(socket_in_home: Path) -> str:
    """The socket's name outside the home: a hash of the home, so that homes never collide."""
    import hashlib  # only for long homes: keeps OpenSSL out of a short-home process

    return hashlib.sha256(os.fsencode(socket_in_home.parent)).hexdigest()[:20] + ".sock"


def _base(uid: int, name: str) -> Path:
    """The first of ``$XDG_RUNTIME_DIR``, the temp folder and /tmp where the socket's path fits."""
    import tempfile  # (the server's side only: a client connects where control.json says)

    longest = os.path.join(f"restic-monitor-{uid}-xxxxxxxx", name)  # a fresh folder's
    for candidate in (os.environ.get("XDG_RUNTIME_DIR"), tempfile.gettempdir()):
        if (
            candidate
            and os.path.isabs(candidate)
            and os.path.isdir(candidate)
            and len(os.fsencode(os.path.join(candidate, longest))) <= MAX_SOCKET_PATH
        ):
            return Path(candidate)
    return Path("/tmp")  # noqa: S108 - short, and every folder made in it is checked


def place(socket_in_home: Path) -> Endpoint:
    """Where the instance's socket goes; makes the folder outside the home when needed."""
    if len(os.fsencode(socket_in_home)) <= MAX_SOCKET_PATH:
        return Endpoint("unix", str(socket_in_home))
    uid = os.getuid()
    name = _socket_name(socket_in_home)
    base = _base(uid, name)
    shared = base / f"restic-monitor-{uid}"
    with contextlib.suppress(OSError):  # whatever is in the way is judged below
        os.mkdir(shared, 0o700)
    problem = folder_problem(shared, uid)
    if problem is None:
        return Endpoint("unix", str(shared / name))
    import tempfile

    fresh = Path(tempfile.mkdtemp(prefix=f"restic-monitor-{uid}-", dir=base))
    return Endpoint(
        "unix",
        str(fresh / name),
        note=f"{shared} {problem}; the control socket is in a new private folder instead: "
        f"{fresh / name}",
        own_folder=fresh,
    )


def listen(socket_in_home: Path) -> tuple[socket.socket, Endpoint]:
    """A listening socket only this user can reach, and where it is."""
    endpoint = place(socket_in_home)
    path = Path(endpoint.address)
    if path == socket_in_home:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(OSError):
            path.parent.chmod(0o700)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # stale: the caller holds the instance lock, and the folder is ours
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)  # the socket is born user-only
    try:
        sock.bind(str(path))
        sock.listen(16)
    except OSError:
        sock.close()
        remove(endpoint)
        raise
    finally:
        os.umask(old_umask)
    return sock, endpoint


def check(address: str, home_root: Path) -> None:
    """Raise :class:`UntrustedEndpoint` unless the socket and its folder are the user's own.

    OSError when there is no socket at all (no instance).
    """
    uid = os.getuid()
    st = os.lstat(address)
    if stat.S_ISLNK(st.st_mode):
        raise _untrusted(address, "it is a symbolic link")
    if not stat.S_ISSOCK(st.st_mode):
        raise _untrusted(address, "it is not a socket")
    if st.st_uid != uid:
        raise _untrusted(address, f"it belongs to {_who(st.st_uid)}")
    folder = Path(address).parent
    if _same_folder(folder, home_root):
        return  # the home is the user's; the socket in it was just checked
    problem = folder_problem(folder, uid)
    if problem is not None:
        raise _untrusted(address, f"its folder {folder} {problem}")


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _untrusted(address: str, why: str) -> UntrustedEndpoint:
    return UntrustedEndpoint(
        f"the control socket {address} is not owned by you ({why}); not sending anything"
    )


def connect(address: str, home_root: Path, timeout: float) -> socket.socket:
    """Connect to the published socket once it is proven to be this user's (see module doc)."""
    check(address, home_root)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(address)
        peer = peer_uid(sock)
    except OSError:
        sock.close()
        raise
    if peer is not None and peer != os.getuid():
        sock.close()
        raise _untrusted(address, f"the process listening on it runs as {_who(peer)}")
    return sock


def peer_uid(sock: socket.socket) -> int | None:
    """The uid of the process at the other end, or None where the OS cannot tell."""
    if sys.platform == "linux":
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("=iII"))
        _pid, uid, _gid = struct.unpack("=iII", creds)
        return int(uid)
    return _getpeereid(sock.fileno())


def _getpeereid(fd: int) -> int | None:
    """``getpeereid(2)`` (macOS, the BSDs), through ctypes; None when libc lacks it."""
    import ctypes

    try:
        func = ctypes.CDLL(None, use_errno=True).getpeereid
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_uint32), ctypes.POINTER(ctypes.c_uint32)]
    func.restype = ctypes.c_int
    uid, gid = ctypes.c_uint32(), ctypes.c_uint32()
    if func(fd, ctypes.byref(uid), ctypes.byref(gid)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return int(uid.value)


def peer_is_same_user(conn: Connection) -> bool:
    """Whether a client of the instance runs as our user; False when that cannot be read."""
    if not isinstance(conn, socket.socket):
        return False
    try:
        uid = peer_uid(conn)
    except OSError:
        return False
    # No way to ask (an unusual Unix): the socket's user-only folder and mode still hold.
    return uid is None or uid == os.getuid()


def remove(endpoint: Endpoint) -> None:
    with contextlib.suppress(OSError):
        Path(endpoint.address).unlink()
    if endpoint.own_folder is not None:
        with contextlib.suppress(OSError):
            endpoint.own_folder.rmdir()

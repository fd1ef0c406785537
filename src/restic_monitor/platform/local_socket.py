"""The control channel's transport: a user-only Unix socket, or loopback TCP on Windows.

The protocol on top (JSON lines, token check) lives in :mod:`restic_monitor.control`.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import sys
from pathlib import Path


def listen(socket_path: Path) -> tuple[socket.socket, str, str]:
    """A listening socket and its (family, address) for ``control.json``."""
    if sys.platform == "win32":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        host, port = sock.getsockname()[:2]
        sock.listen(16)
        return sock, "tcp", f"{host}:{port}"
    socket_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        socket_path.parent.chmod(0o700)
    with contextlib.suppress(FileNotFoundError):
        socket_path.unlink()  # stale: the caller holds the instance lock
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)  # the socket is born user-only
    try:
        sock.bind(str(socket_path))
    finally:
        os.umask(old_umask)
    sock.listen(16)
    return sock, "unix", str(socket_path)


def connect(family: str, address: str, timeout: float) -> socket.socket:
    """Connect to a published address; raises OSError or ValueError when that fails."""
    if family == "tcp":
        host, _, port = address.rpartition(":")
        return socket.create_connection((host, int(port)), timeout=timeout)
    if family == "unix" and sys.platform != "win32":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(address)
        except OSError:
            sock.close()
            raise
        return sock
    raise ValueError(f"unsupported control address family {family!r}")


def peer_is_same_user(conn: socket.socket) -> bool:
    """Whether the peer runs as our user, where the OS tells (Linux); else True."""
    if sys.platform == "win32" or not hasattr(socket, "SO_PEERCRED"):
        return True
    try:
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except OSError:
        return True
    _pid, uid, _gid = struct.unpack("3i", creds)
    return bool(uid == os.getuid())


def remove(family: str, address: str) -> None:
    if family == "unix":
        with contextlib.suppress(OSError):
            Path(address).unlink()

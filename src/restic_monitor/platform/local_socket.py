"""The control channel's transport: a user-only Unix socket, or a user-only named pipe on Windows.

The protocol on top (JSON lines, token check) lives in :mod:`restic_monitor.control`;
this module only knows how to listen, how to connect, and how to make sure both
ends belong to the same user. The instance chooses where it listens and
publishes that address in ``control.json``; a client connects only to that
address, and only after proving that the address and the process behind it are
its user's own, because the first thing it sends is the access token.

One implementation per OS: :mod:`.unix_socket` (Linux, macOS) and
:mod:`.named_pipe` (Windows).
"""

from __future__ import annotations

import sys
from pathlib import Path

from restic_monitor.platform.endpoint import TYPE_CHECKING, Endpoint, UntrustedEndpoint

if TYPE_CHECKING:
    from restic_monitor.platform.endpoint import Connection, Listener

__all__ = ["Endpoint", "UntrustedEndpoint", "connect", "listen"]


def listen(socket_in_home: Path) -> tuple[Listener, Endpoint]:
    """Listen where only this user can connect; ``socket_in_home`` is the preferred path."""
    if sys.platform == "win32":
        from restic_monitor.platform import named_pipe

        return named_pipe.listen()
    from restic_monitor.platform import unix_socket

    return unix_socket.listen(socket_in_home)


def connect(family: str, address: str, home_root: Path, timeout: float) -> Connection:
    """Connect to a published address, checked to be the user's own before anything is sent.

    Raises :class:`UntrustedEndpoint` when it is not, OSError or ValueError when
    nothing (usable) listens there.
    """
    if family == "tcp":
        # What the first release published on Windows: a port anyone on the machine
        # could have taken, so there is no telling who would receive the token.
        raise UntrustedEndpoint(
            f"the instance publishes a TCP address ({address}), which cannot prove it is "
            "yours (an older restic-monitor?); not sending anything. Restart it"
        )
    if family == "pipe" and sys.platform == "win32":
        from restic_monitor.platform import named_pipe

        return named_pipe.connect(address, timeout)
    if family == "unix" and sys.platform != "win32":
        from restic_monitor.platform import unix_socket

        return unix_socket.connect(address, home_root, timeout)
    raise ValueError(f"unsupported control address family {family!r}")


def peer_is_same_user(conn: Connection) -> bool:
    """Whether the client of a server-side connection runs as our user.

    A named pipe's DACL already admits this user only; a Unix socket's peer
    credentials are asked of the kernel.
    """
    if sys.platform == "win32":
        return True
    from restic_monitor.platform import unix_socket

    return unix_socket.peer_is_same_user(conn)


def remove(endpoint: Endpoint) -> None:
    """Remove what :func:`listen` left on disk (the socket, a private folder)."""
    if endpoint.family == "unix" and sys.platform != "win32":
        from restic_monitor.platform import unix_socket

        unix_socket.remove(endpoint)

"""What every transport of the control channel shares: a connection, a listener, an address.

Apart from :mod:`.local_socket` (which chooses the transport) so that each
transport can use these without importing the module that chooses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class Connection(Protocol):
    """What the control channel needs of a connected stream (a socket, or a pipe)."""

    def recv(self, size: int, /) -> bytes: ...

    def sendall(self, data: bytes, /) -> None: ...

    def settimeout(self, timeout: float | None, /) -> None: ...

    def shutdown(self, how: int, /) -> None: ...

    def close(self) -> None: ...


class Listener(Protocol):
    """A listening endpoint; ``shutdown`` wakes an ``accept`` blocked in another thread."""

    def accept(self) -> tuple[Connection, object]: ...

    def shutdown(self, how: int, /) -> None: ...

    def close(self) -> None: ...


class UntrustedEndpoint(Exception):
    """The published address, or whoever serves it, is not the user's own.

    Nothing may be sent there: the first line a client sends holds the token.
    """


@dataclass(frozen=True)
class Endpoint:
    """Where an instance listens, as published in ``control.json``."""

    family: str
    address: str
    #: Why the usual place could not be used and where the socket went instead (for the log).
    note: str | None = None
    #: A private folder made for this instance only, removed when it ends.
    own_folder: Path | None = None

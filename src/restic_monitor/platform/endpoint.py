"""What every transport of the control channel shares: a connection, a listener, an address.

Apart from :mod:`.local_socket` (which chooses the transport) so that each
transport can use these without importing the module that chooses it.
"""

from __future__ import annotations

from pathlib import Path

#: Not typing.TYPE_CHECKING: importing typing costs every `status` 2 ms.
TYPE_CHECKING = False


if TYPE_CHECKING:  # (only annotations use them: no class is made at run time)
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


class Endpoint:
    """Where an instance listens, as published in ``control.json``.

    A plain class: a dataclass or a named tuple costs every ``status`` a
    millisecond or more to define, for four fields.
    """

    __slots__ = ("address", "family", "note", "own_folder")

    def __init__(
        self, family: str, address: str, note: str | None = None, own_folder: Path | None = None
    ) -> None:
        self.family = family
        self.address = address
        #: Why the usual place could not be used and where the socket went instead (the log).
        self.note = note
        #: A private folder made for this instance only, removed when it ends.
        self.own_folder = own_folder

    def _values(self) -> tuple[str, str, str | None, Path | None]:
        return self.family, self.address, self.note, self.own_folder

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Endpoint) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return f"Endpoint({self.family!r}, {self.address!r}, {self.note!r}, {self.own_folder!r})"

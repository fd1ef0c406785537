"""The control channel's client: what the command line uses to ask the running instance.

Apart from the server (:mod:`restic_monitor.control`) so that asking costs
only what asking needs: ``status --json`` starts a whole interpreter for one
question, and the server's logging and threads are no part of it. The
protocol is described there.
"""

from __future__ import annotations

import contextlib
import json
import stat
from collections.abc import Callable, Iterator

from restic_monitor.paths import Home
from restic_monitor.platform import local_socket

#: Not typing.TYPE_CHECKING: importing typing costs every `status` 2 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from restic_monitor.platform.endpoint import Connection


class ControlError(Exception):
    """A refusal or failure to report to the client as text."""


class NoInstance(Exception):
    """Nothing answers on the control channel."""


class NoAnswer(ControlError):
    """An instance accepted the connection but did not answer in time (stuck or overloaded)."""


class Untrusted(ControlError):
    """The published address is not the user's own, so nothing (no token) was sent to it."""


def _lines(conn: Connection) -> Iterator[bytes]:
    """The lines of an answer as they arrive (the last one may lack its newline)."""
    buf = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            if buf:
                yield buf
            return
        buf += chunk
        *complete, buf = buf.split(b"\n")
        yield from complete


def _load_info(home: Home) -> dict[str, Any]:
    path = home.control_json
    try:
        st = path.stat()
        if st.st_size > 4096 or not stat.S_ISREG(st.st_mode):
            raise NoInstance
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise NoInstance from None
    if not isinstance(info, dict) or not all(
        isinstance(info.get(k), str) for k in ("family", "address", "token")
    ):
        raise NoInstance
    return info


class ControlClient:
    def __init__(self, home: Home, timeout: float = 5.0) -> None:
        self.home = home
        self.timeout = timeout
        self.info = _load_info(home)

    def _connect(self) -> Connection:
        try:
            return local_socket.connect(
                self.info["family"], self.info["address"], self.home.root, self.timeout
            )
        except local_socket.UntrustedEndpoint as exc:
            raise Untrusted(str(exc)) from None
        except (OSError, ValueError):
            raise NoInstance from None

    def events(
        self, command: str, args: dict[str, Any] | None = None, wait: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Send one request; yield every answer line (events, then the final one)."""
        sock = self._connect()
        try:
            yield from self._exchange(sock, command, args, wait)
        except (TimeoutError, ConnectionError) as exc:
            raise NoAnswer(f"the instance did not answer ({exc.__class__.__name__})") from None
        except OSError as exc:
            raise NoAnswer(f"the instance did not answer ({exc.strerror or exc})") from None

    def _exchange(
        self, sock: Connection, command: str, args: dict[str, Any] | None, wait: bool
    ) -> Iterator[dict[str, Any]]:
        with contextlib.closing(sock):
            request = {"token": self.info["token"], "command": command, "args": args or {}}
            # The instance may answer and hang up before reading (a refusal);
            # its answer is still waiting to be read.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(json.dumps(request).encode() + b"\n")
            if wait:
                sock.settimeout(None)
            for raw in _lines(sock):
                message = json.loads(raw)
                yield message
                if message.get("done"):
                    return
        raise ControlError("the instance closed the connection without an answer")

    def call(
        self,
        command: str,
        args: dict[str, Any] | None = None,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        wait: bool = False,
    ) -> Any:
        for message in self.events(command, args, wait=wait):
            if message.get("done"):
                if message.get("ok"):
                    return message.get("result")
                raise ControlError(str(message.get("error", "unknown error")))
            if on_event is not None:
                on_event(message)
        raise ControlError("no answer")


def connect(home: Home, timeout: float = 5.0) -> ControlClient:
    """A client for the running instance; raises :class:`NoInstance` when none answers."""
    client = ControlClient(home, timeout)
    client.call("ping")
    return client

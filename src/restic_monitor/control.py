"""Local control channel: the CLI (and scripts) talk to the running instance.

Newline-delimited JSON over a local stream: a Unix socket in a user-only
folder on Linux and macOS, a named pipe only the user can open on Windows
(:mod:`restic_monitor.platform.local_socket`). The instance publishes where it
listens in ``control.json`` (readable by the user only) with a random token;
clients connect to that address only, and only once it has proven to be the
user's own (socket, folder and peer uid; the pipe's server process), because
the token is the first thing they send. The server checks its peer's uid too,
and compares the token in constant time. Requests are small and bounded;
anything else is refused.

A request is one line: ``{"token": ..., "command": ..., "args": {...}}``.
The answer is one or more lines; the last one has ``"done": true`` and either
``"ok": true, "result": ...`` or ``"ok": false, "error": "..."``. Lines before
it are events (``{"event": "progress", ...}``) for commands that wait.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

from restic_monitor.control_client import (
    ControlClient,
    ControlError,
    NoAnswer,
    NoInstance,
    Untrusted,
    connect,
)
from restic_monitor.paths import Home
from restic_monitor.platform import local_socket
from restic_monitor.platform.endpoint import TYPE_CHECKING

if TYPE_CHECKING:
    from restic_monitor.platform.endpoint import Connection, Listener

__all__ = [
    "ControlClient",
    "ControlError",
    "ControlServer",
    "NoAnswer",
    "NoInstance",
    "Untrusted",
    "connect",
]

try:  # the constant-time comparison hmac.compare_digest uses when OpenSSL is absent;
    # importing hmac itself would map all of libcrypto into a process that only waits
    from _operator import _compare_digest as compare_digest
except ImportError:  # pragma: no cover - other Python implementations
    from hmac import compare_digest  # type: ignore[no-redef]

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 64 * 1024
REQUEST_TIMEOUT = 5.0

#: handler(command, args, send_event) -> result; raise ControlError for a refusal.
Handler = Callable[[str, dict[str, Any], Callable[[dict[str, Any]], None]], Any]


#: Pause after a failed accept (e.g. no file descriptors left) before trying again.
ACCEPT_RETRY = 0.5


class ControlServer:
    def __init__(self, home: Home, handler: Handler) -> None:
        self.home = home
        self.handler = handler
        self.token = os.urandom(32).hex()  # what secrets.token_hex does
        self._sock: Listener | None = None
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()
        self.address: str = ""
        self._endpoint: local_socket.Endpoint | None = None

    def start(self) -> None:
        sock, endpoint = local_socket.listen(self.home.control_socket)
        if endpoint.note:
            log.warning("control: %s", endpoint.note)
        self._endpoint = endpoint
        self.address = endpoint.address
        self._sock = sock
        info = {
            "family": endpoint.family,
            "address": endpoint.address,
            "token": self.token,
            "pid": os.getpid(),
        }
        from restic_monitor.state.files import atomic_write  # the server's side only

        atomic_write(self.home.control_json, json.dumps(info).encode(), mode=0o600)
        self._thread = threading.Thread(target=self._accept_loop, name="control", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        with contextlib.suppress(OSError):
            current = json.loads(self.home.control_json.read_text())
            if current.get("token") == self.token:
                self.home.control_json.unlink()
        if self._endpoint is not None:
            local_socket.remove(self._endpoint)
        # (A close racing start() may find the thread made but not yet started.)
        if self._thread is not None and self._thread.ident is not None:
            self._thread.join(2)

    def _accept_loop(self) -> None:
        failing = False
        while not self._closed.is_set():
            sock = self._sock
            if sock is None:
                return
            try:
                conn, _ = sock.accept()
            except OSError as exc:
                if self._closed.is_set():
                    return
                # Out of file descriptors (EMFILE) or similar: the pending connection
                # stays queued, so retrying at once would spin. Pause, say it once.
                if not failing:
                    log.error("control: cannot accept connections: %s", exc)
                failing = True
                self._closed.wait(ACCEPT_RETRY)
                continue
            if failing:
                log.info("control: accepting connections again")
                failing = False
            threading.Thread(
                target=self._serve, args=(conn,), name="control-conn", daemon=True
            ).start()

    def _serve(self, conn: Connection) -> None:
        with contextlib.closing(conn):
            conn.settimeout(REQUEST_TIMEOUT)

            def send(message: dict[str, Any]) -> None:
                conn.sendall(json.dumps(message).encode() + b"\n")

            try:
                if not local_socket.peer_is_same_user(conn):
                    log.warning("control: refused a connection from another user")
                    send({"done": True, "ok": False, "error": "permission denied"})
                    _drain(conn)
                    return
                request = _read_line(conn, MAX_REQUEST_BYTES)
                command, args = self._parse(request)
            except ControlError as exc:
                log.warning("control: rejected a request: %s", exc)
                with contextlib.suppress(OSError):
                    send({"done": True, "ok": False, "error": str(exc)})
                    _drain(conn)
                return
            except OSError:
                return
            conn.settimeout(None)
            try:
                result = self.handler(command, args, send)
                send({"done": True, "ok": True, "result": result})
            except ControlError as exc:
                with contextlib.suppress(OSError):
                    send({"done": True, "ok": False, "error": str(exc)})
            except OSError:
                log.debug("control: client went away during %s", command)
            except Exception as exc:
                log.exception("control: %s failed", command)
                with contextlib.suppress(OSError):
                    send({"done": True, "ok": False, "error": f"internal error: {exc}"})

    def _parse(self, raw: bytes) -> tuple[str, dict[str, Any]]:
        try:
            request = json.loads(raw)
        except ValueError:
            raise ControlError("invalid request: not JSON") from None
        if not isinstance(request, dict):
            raise ControlError("invalid request: expected a JSON object")
        token = request.get("token")
        if not isinstance(token, str) or not compare_digest(token, self.token):
            raise ControlError("invalid or missing token")
        command = request.get("command")
        args = request.get("args", {})
        if not isinstance(command, str) or not isinstance(args, dict):
            raise ControlError("invalid request: expected command (string) and args (object)")
        return command, args


def _drain(conn: Connection) -> None:
    """Read what a refused client still sends before hanging up on it.

    Closing a socket with unread data makes the peer's send fail, and over TCP
    it resets the connection, which can discard the refusal before the client
    reads it.  Reading a bounded amount for a short while lets the answer arrive.
    """
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(1.0)
        received = 0
        while received <= MAX_REQUEST_BYTES:
            chunk = conn.recv(4096)
            if not chunk:
                return
            received += len(chunk)


def _read_line(conn: Connection, limit: int) -> bytes:
    buf = bytearray()
    while True:
        chunk = conn.recv(4096)
        if not chunk:
            if buf:
                return bytes(buf)
            raise ControlError("empty request")
        newline = chunk.find(b"\n")
        if newline >= 0:
            buf += chunk[:newline]
            if len(buf) > limit:
                raise ControlError(f"request larger than {limit} bytes")
            return bytes(buf)
        buf += chunk
        if len(buf) > limit:
            raise ControlError(f"request larger than {limit} bytes")

"""Idle time from a Wayland compositor's idle-notification protocol.

In a Wayland session only the compositor sees input. Compositors built on
wlroots (sway, Hyprland, labwc, river…) and KDE Plasma 6 offer
``ext-idle-notify-v1``; older ones (sway 1.7, KDE Plasma 5) offer the same
idea as ``org_kde_kwin_idle``. Neither can be asked "how long has the user
been idle?": a client registers a timeout and is told when the seat has been
idle that long and when activity resumes. So this source registers a short
timeout (half a second) and keeps the time of the last "idle" event: the idle
time is the time since then plus that second, and zero after "resumed".

The wire protocol is small enough to speak directly over the compositor's
socket (no libwayland binding to load), and one reader thread records the
events as they arrive — their arrival time is the information, so they
cannot wait to be read until someone asks.

Idle inhibitors (a video playing full screen) keep the seat "active" for
this protocol, which suits backups: someone watching a film is not away.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

#: The registered timeout: a backup can start up to this much after the
#: threshold (the engine may look just before "idle" is reported). Shorter
#: means an event pair for every shorter pause in typing, which costs little.
TIMEOUT_MS = 500
CONNECT_TIMEOUT = 2.0
_HEADER = struct.Struct("=II")
_DISPLAY_ID = 1


class WaylandError(OSError):
    """The compositor is missing, refuses, or offers no idle protocol."""


@dataclass(frozen=True)
class IdleProtocol:
    """One of the two protocols: its global's name and how to ask it."""

    name: str
    interface: str
    #: Build the arguments of the request that creates a notification object.
    request: Callable[[int, int, int], bytes]
    #: Opcode of that request on the notifier.
    opcode: int


def _ext_request(new_id: int, timeout_ms: int, seat: int) -> bytes:
    # ext_idle_notifier_v1.get_idle_notification(new_id id, uint timeout, object seat)
    return struct.pack("=III", new_id, timeout_ms, seat)


def _kde_request(new_id: int, timeout_ms: int, seat: int) -> bytes:
    # org_kde_kwin_idle.get_idle_timeout(new_id id, object seat, uint timeout)
    return struct.pack("=III", new_id, seat, timeout_ms)


EXT = IdleProtocol("ext-idle-notify-v1", "ext_idle_notifier_v1", _ext_request, 1)
KDE = IdleProtocol("org_kde_kwin_idle", "org_kde_kwin_idle", _kde_request, 0)
#: Preferred first: the standard one.
PROTOCOLS = (EXT, KDE)


def encode(object_id: int, opcode: int, payload: bytes = b"") -> bytes:
    """One request: header (object, size << 16 | opcode) and its arguments."""
    return _HEADER.pack(object_id, (_HEADER.size + len(payload)) << 16 | opcode) + payload


def encode_string(text: str) -> bytes:
    """A Wayland string: length with the NUL, bytes, NUL, padded to 4 bytes."""
    raw = text.encode() + b"\0"
    return struct.pack("=I", len(raw)) + raw + b"\0" * (-len(raw) % 4)


def decode_string(payload: bytes, offset: int) -> tuple[str, int]:
    """A string argument at ``offset``, and the offset after it."""
    (length,) = struct.unpack_from("=I", payload, offset)
    offset += 4
    if length == 0:
        return "", offset
    if offset + length > len(payload):
        raise ValueError("string runs past the end of the message")
    text = payload[offset : offset + length - 1].decode("utf-8", "replace")
    return text, offset + length + (-length % 4)


class MessageReader:
    """Splits the byte stream from the compositor into (object, opcode, payload)."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, int, bytes]]:
        self._buf += data
        messages = []
        while len(self._buf) >= _HEADER.size:
            object_id, word = _HEADER.unpack_from(self._buf)
            size = word >> 16
            if size < _HEADER.size or size % 4:
                raise ValueError(f"malformed message of {size} bytes")
            if len(self._buf) < size:
                break
            messages.append((object_id, word & 0xFFFF, bytes(self._buf[_HEADER.size : size])))
            del self._buf[:size]
        return messages


def socket_path(environ: dict[str, str] | None = None) -> str:
    """Where the compositor listens, as libwayland-client works it out."""
    env = os.environ if environ is None else environ
    display = env.get("WAYLAND_DISPLAY") or "wayland-0"
    if display.startswith("/"):
        return display
    runtime = env.get("XDG_RUNTIME_DIR")
    if not runtime:
        raise WaylandError("XDG_RUNTIME_DIR is not set, so there is no Wayland socket to find")
    return os.path.join(runtime, display)


class _Connection:
    """One connection with an idle notification registered on it."""

    sock: socket.socket
    reader: MessageReader
    pending: list[tuple[int, int, bytes]]
    protocol: IdleProtocol
    notification: int
    _next_id: int

    def __init__(self, path: str, protocols: tuple[IdleProtocol, ...]) -> None:
        if sys.platform == "win32":
            raise WaylandError("Wayland is a Linux and Unix desktop")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.reader = MessageReader()
        self._next_id = 2
        self.pending: list[tuple[int, int, bytes]] = []
        try:
            self.sock.settimeout(CONNECT_TIMEOUT)
            self.sock.connect(path)
            self._set_up(protocols)
        except (OSError, ValueError, struct.error) as exc:
            self.sock.close()
            if isinstance(exc, WaylandError):
                raise
            raise WaylandError(f"Wayland compositor at {path}: {exc}") from None

    def _new_id(self) -> int:
        new_id = self._next_id
        self._next_id += 1
        return new_id

    def _roundtrip(self) -> list[tuple[int, int, bytes]]:
        """Everything the compositor says up to the answer of a sync request."""
        callback = self._new_id()
        self.sock.sendall(encode(_DISPLAY_ID, 0, struct.pack("=I", callback)))
        received: list[tuple[int, int, bytes]] = []
        while True:
            data = self.sock.recv(65536)
            if not data:
                raise WaylandError("the compositor closed the connection")
            for message in self.reader.feed(data):
                object_id, opcode, payload = message
                if object_id == _DISPLAY_ID and opcode == 0:
                    text = decode_string(payload, 8)[0]
                    raise WaylandError(f"the compositor reported a protocol error: {text}")
                if object_id == callback:
                    return received
                received.append(message)

    def _set_up(self, protocols: tuple[IdleProtocol, ...]) -> None:
        registry = self._new_id()
        self.sock.sendall(encode(_DISPLAY_ID, 1, struct.pack("=I", registry)))
        globals_: dict[str, tuple[int, int]] = {}
        for object_id, opcode, payload in self._roundtrip():
            if object_id == registry and opcode == 0:
                (name,) = struct.unpack_from("=I", payload)
                interface, offset = decode_string(payload, 4)
                (version,) = struct.unpack_from("=I", payload, offset)
                globals_.setdefault(interface, (name, version))
        if "wl_seat" not in globals_:
            raise WaylandError("the compositor offers no seat")
        protocol = next((p for p in protocols if p.interface in globals_), None)
        if protocol is None:
            wanted = " or ".join(p.interface for p in protocols)
            raise WaylandError(f"the compositor offers no idle protocol ({wanted})")
        self.protocol = protocol
        seat = self._bind(registry, globals_["wl_seat"][0], "wl_seat")
        notifier = self._bind(registry, globals_[protocol.interface][0], protocol.interface)
        self.notification = self._new_id()
        self.sock.sendall(
            encode(notifier, protocol.opcode, protocol.request(self.notification, TIMEOUT_MS, seat))
        )
        # Events for the notification may come before the sync's answer.
        self.pending = [m for m in self._roundtrip() if m[0] == self.notification]

    def _bind(self, registry: int, name: int, interface: str) -> int:
        new_id = self._new_id()
        payload = struct.pack("=I", name) + encode_string(interface) + struct.pack("=II", 1, new_id)
        self.sock.sendall(encode(registry, 0, payload))
        return new_id

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class WaylandIdle:
    """Idle seconds from the compositor; ``None`` while it cannot be reached.

    The connection is made at construction (so ``auto`` can tell whether the
    compositor offers a protocol) and made again at the next look after the
    compositor went away.
    """

    name = "wayland"
    grows_on_its_own = True
    reports_activity = True
    refresh: float | None = None

    def __init__(
        self,
        path: str | None = None,
        protocols: tuple[IdleProtocol, ...] = PROTOCOLS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path or socket_path()
        self.protocols = protocols
        self.clock = clock
        self._lock = threading.Lock()
        #: Monotonic time the seat went idle (already TIMEOUT_MS earlier), or None while active.
        self._idle_since: float | None = None
        self._conn: _Connection | None = None
        self._reader: threading.Thread | None = None
        self._closed = False
        self._connect()
        log.info("Wayland idle: the compositor offers %s", self._protocol)

    @property
    def protocol(self) -> str:
        return self._protocol

    def _connect(self) -> None:
        conn = _Connection(self.path, self.protocols)
        self._protocol = conn.protocol.name
        with self._lock:
            self._conn = conn
            self._idle_since = None
        for _, opcode, _ in conn.pending:
            self._on_event(opcode)
        conn.sock.settimeout(None)
        self._reader = threading.Thread(
            target=self._read, args=(conn,), name="wayland-idle", daemon=True
        )
        self._reader.start()

    def _on_event(self, opcode: int) -> None:
        with self._lock:
            if opcode == 0:  # idled / idle
                self._idle_since = self.clock() - TIMEOUT_MS / 1000
            elif opcode == 1:  # resumed
                self._idle_since = None

    def _read(self, conn: _Connection) -> None:
        try:
            while True:
                data = conn.sock.recv(65536)
                if not data:
                    break
                for object_id, opcode, payload in conn.reader.feed(data):
                    if object_id == conn.notification:
                        self._on_event(opcode)
                    elif object_id == _DISPLAY_ID and opcode == 0:
                        log.warning("Wayland idle: protocol error %r", payload[8:].split(b"\0")[0])
        except (OSError, ValueError) as exc:
            if not self._closed:
                log.debug("Wayland idle connection failed: %s", exc)
        with self._lock:
            if self._conn is conn:
                self._conn = None
                self._idle_since = None
        if not self._closed:
            log.warning("the Wayland compositor went away; idle time unknown until it is back")
        conn.close()

    def seconds(self) -> float | None:
        with self._lock:
            connected = self._conn is not None
        if not connected and not self._closed:
            try:
                self._connect()
                log.info("Wayland idle: connected again (%s)", self._protocol)
            except WaylandError:
                return None
        with self._lock:
            if self._conn is None:
                return None
            if self._idle_since is None:
                return 0.0
            return max(0.0, self.clock() - self._idle_since)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(timeout=2)

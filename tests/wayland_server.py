"""A minimal Wayland compositor socket for protocol tests: globals, sync, and idle notifications.

It checks what a real compositor would check — that a seat argument names a
bound ``wl_seat``, that a notification object is a fresh id — and answers with
a ``wl_display.error`` otherwise, so a request with its arguments in the wrong
order fails here as it would against a real compositor.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from pathlib import Path

from restic_monitor.platform.idle_wayland import MessageReader, decode_string, encode, encode_string

#: Request opcode that creates a notification, per notifier interface, and where its
#: arguments are: (index of new_id, index of timeout, index of seat).
NOTIFIERS = {
    "ext_idle_notifier_v1": (1, (0, 1, 2)),
    "org_kde_kwin_idle": (0, (0, 2, 1)),
}


class FakeCompositor:
    def __init__(self, path: Path, interfaces: tuple[str, ...]) -> None:
        self.path = path
        self.interfaces = interfaces
        self.requests: list[
            tuple[str, int, int]
        ] = []  # (interface, timeout, seat) per notification
        self.errors: list[str] = []
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(path))
        self._server.listen()
        self._clients: list[tuple[socket.socket, dict[int, str], list[int]]] = []
        self._lock = threading.Lock()
        self.connected = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        objects: dict[int, str] = {1: "wl_display"}
        notifications: list[int] = []
        with self._lock:
            self._clients.append((conn, objects, notifications))
        reader = MessageReader()
        try:
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                for object_id, opcode, payload in reader.feed(data):
                    self._handle(conn, objects, notifications, object_id, opcode, payload)
        except OSError:
            return
        finally:
            with self._lock:
                self._clients = [c for c in self._clients if c[0] is not conn]
            conn.close()

    def _error(self, conn: socket.socket, object_id: int, message: str) -> None:
        self.errors.append(message)
        payload = struct.pack("=II", object_id, 1) + encode_string(message)
        conn.sendall(encode(1, 0, payload))

    def _handle(
        self,
        conn: socket.socket,
        objects: dict[int, str],
        notifications: list[int],
        object_id: int,
        opcode: int,
        payload: bytes,
    ) -> None:
        interface = objects.get(object_id)
        if interface == "wl_display" and opcode == 1:  # get_registry
            (new_id,) = struct.unpack("=I", payload)
            objects[new_id] = "wl_registry"
            for name, global_interface in enumerate(("wl_compositor", *self.interfaces), 1):
                body = struct.pack("=I", name) + encode_string(global_interface)
                conn.sendall(encode(new_id, 0, body + struct.pack("=I", 1)))
        elif interface == "wl_display" and opcode == 0:  # sync
            (callback,) = struct.unpack("=I", payload)
            conn.sendall(encode(callback, 0, struct.pack("=I", 7)))
            conn.sendall(encode(1, 1, struct.pack("=I", callback)))  # delete_id
        elif interface == "wl_registry" and opcode == 0:  # bind
            (name,) = struct.unpack_from("=I", payload)
            bound, offset = decode_string(payload, 4)
            _version, new_id = struct.unpack_from("=II", payload, offset)
            offered = ("wl_compositor", *self.interfaces)
            if not 1 <= name <= len(offered) or offered[name - 1] != bound or new_id in objects:
                self._error(conn, object_id, f"invalid bind of {bound}")
                return
            objects[new_id] = bound
        elif interface in NOTIFIERS and opcode == NOTIFIERS[interface][0]:
            args = struct.unpack("=III", payload)
            new_at, timeout_at, seat_at = NOTIFIERS[interface][1]
            new_id, timeout, seat = args[new_at], args[timeout_at], args[seat_at]
            if objects.get(seat) != "wl_seat" or new_id in objects:
                self._error(conn, object_id, "invalid seat or object id")
                return
            objects[new_id] = interface + ".notification"
            notifications.append(new_id)
            self.requests.append((interface, timeout, seat))
            self.connected.set()
        else:
            self._error(conn, object_id, f"unexpected request {opcode} on {interface}")

    def _send_all(self, opcode: int) -> None:
        with self._lock:
            clients = list(self._clients)
        for conn, _objects, notifications in clients:
            for notification in notifications:
                with contextlib.suppress(OSError):
                    conn.sendall(encode(notification, opcode))

    def idle(self) -> None:
        self._send_all(0)

    def resume(self) -> None:
        self._send_all(1)

    def drop_clients(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients), []
        for conn, _, _ in clients:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.drop_clients()
        self._server.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

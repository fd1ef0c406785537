"""Test services on a real session D-Bus: a bus daemon and services that answer method calls."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .conftest import require_tool

#: A method handler gets the call's body; it returns (signature, values) or raises DBusFailure.
Handler = Callable[[tuple[Any, ...]], tuple[str, tuple[Any, ...]]]


class DBusFailure(Exception):
    """Answer the call with a D-Bus error of this name."""


class FakeService:
    """Owns ``bus_name`` and answers calls to ``methods`` on any path and interface."""

    def __init__(
        self,
        address: str,
        bus_name: str,
        methods: dict[str, Handler],
        enable_fds: bool = False,
    ) -> None:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.methods = methods
        self.conn = open_dbus_connection(bus=address, enable_fds=enable_fds)
        reply = self.conn.send_and_get_reply(message_bus.RequestName(bus_name))
        assert reply.body[0] == 1, f"could not own {bus_name}"
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        from jeepney import (
            HeaderFields,
            MessageType,
            new_error,
            new_method_return,
        )

        while not self._stop.is_set():
            try:
                msg = self.conn.receive(timeout=0.2)
            except TimeoutError:
                continue
            except Exception:
                return
            if msg.header.message_type != MessageType.method_call:
                continue
            member = msg.header.fields.get(HeaderFields.member)
            self.calls.append((member, tuple(msg.body)))
            handler = self.methods.get(member)
            try:
                if handler is None:
                    raise DBusFailure("org.freedesktop.DBus.Error.UnknownMethod")
                signature, values = handler(tuple(msg.body))
            except DBusFailure as exc:
                self.conn.send(new_error(msg, str(exc), "s", ("refused",)))
                continue
            self.conn.send(new_method_return(msg, signature, values))

    def emit(self, path: str, interface: str, member: str, signature: str, body: Any) -> None:
        """Broadcast a signal, as a service does (to every matching client)."""
        from jeepney import DBusAddress, new_signal

        self.conn.send(new_signal(DBusAddress(path, interface=interface), member, signature, body))

    def close(self) -> None:
        self._stop.set()
        self.thread.join(5)
        self.conn.close()


def _bus(monkeypatch: pytest.MonkeyPatch, variable: str) -> Iterator[str]:
    daemon = require_tool("dbus-daemon")
    proc = subprocess.Popen(
        [daemon, "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        address = proc.stdout.readline().strip()
        assert address.startswith("unix:")
        monkeypatch.setenv(variable, address)
        yield address
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private session bus for this test, exported as DBUS_SESSION_BUS_ADDRESS."""
    yield from _bus(monkeypatch, "DBUS_SESSION_BUS_ADDRESS")


@pytest.fixture
def system_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private bus standing in for the system bus (DBUS_SYSTEM_BUS_ADDRESS)."""
    yield from _bus(monkeypatch, "DBUS_SYSTEM_BUS_ADDRESS")

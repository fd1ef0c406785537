"""Desktop notifications over a real session D-Bus, answered by a test service."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restic_monitor.notify import DesktopNotifier, Notice

from .conftest import (
    SECRET,
    DaemonProcess,
    FakeRestic,
    require_tool,
    start_daemon,
    wait_until,
    write_config,
)

jeepney = pytest.importorskip("jeepney")


class NotificationService:
    """Owns org.freedesktop.Notifications on the bus and records every Notify call."""

    def __init__(self, address: str) -> None:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        self.calls: list[tuple[Any, ...]] = []
        self.conn = open_dbus_connection(bus=address)
        self.conn.send_and_get_reply(message_bus.RequestName("org.freedesktop.Notifications"))
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        from jeepney import HeaderFields, MessageType, new_method_return

        while not self._stop.is_set():
            try:
                msg = self.conn.receive(timeout=0.2)
            except TimeoutError:
                continue
            except Exception:
                return
            header = msg.header
            if (
                header.message_type == MessageType.method_call
                and header.fields.get(HeaderFields.member) == "Notify"
            ):
                self.calls.append(tuple(msg.body))
                self.conn.send(new_method_return(msg, "u", (len(self.calls),)))

    def close(self) -> None:
        self._stop.set()
        self.thread.join(5)
        self.conn.close()


@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
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
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield address
    finally:
        proc.terminate()
        proc.wait(10)


def test_desktop_notifier_reaches_the_notification_service(session_bus: str) -> None:
    service = NotificationService(session_bus)
    try:
        DesktopNotifier().notify(Notice("failure", "Backup failed", "Wrong repository password."))
        wait_until(lambda: service.calls, timeout=10)
    finally:
        service.close()

    app, _replaces, _icon, title, body, _actions, hints, _timeout = service.calls[0]
    assert app == "restic-monitor"
    assert (title, body) == ("Backup failed", "Wrong repository password.")
    assert hints["urgency"] == ("y", 2)


def test_desktop_notifier_without_a_service_neither_raises_nor_blocks(session_bus: str) -> None:
    notifier = DesktopNotifier()
    notifier.notify(Notice("warning", "No recent backup", "x"))
    notifier.notify(Notice("warning", "No recent backup", "x"))  # nobody answers: fine


def test_headless_daemon_sends_the_no_backup_warning_to_the_desktop(
    session_bus: str,
    home: Any,
    fake_restic: FakeRestic,
    tmp_path: Path,
    daemons: list[DaemonProcess],
) -> None:
    service = NotificationService(session_bus)
    write_config(
        home,
        {"restic_exe": str(fake_restic.exe), "args": ["backup", "/data"]},
        {"RESTIC_REPOSITORY": "/repo", "RESTIC_PASSWORD": SECRET},
    )
    try:
        daemons.append(start_daemon(home, tmp_path / "idle"))
        wait_until(lambda: service.calls, timeout=15)
    finally:
        service.close()

    titles = [call[3] for call in service.calls]
    assert titles == ["No recent backup"]
    assert "No successful backup has been recorded yet." in service.calls[0][4]
    assert all(SECRET not in str(call) for call in service.calls)

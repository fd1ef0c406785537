"""Desktop notifications over a real session D-Bus, answered by a test service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from restic_monitor.notify import DesktopNotifier, Notice

from .conftest import (
    SECRET,
    DaemonProcess,
    FakeRestic,
    start_daemon,
    wait_until,
    write_config,
)
from .dbus_service import FakeService, session_bus

__all__ = ["session_bus"]  # the fixture

jeepney = pytest.importorskip("jeepney")


def notification_service(address: str) -> FakeService:
    """org.freedesktop.Notifications on the test bus; ``calls`` records each Notify."""
    return FakeService(address, "org.freedesktop.Notifications", {"Notify": lambda _b: ("u", (1,))})


def test_desktop_notifier_reaches_the_notification_service(session_bus: str) -> None:
    service = notification_service(session_bus)
    try:
        DesktopNotifier().notify(Notice("failure", "Backup failed", "Wrong repository password."))
        wait_until(lambda: service.calls, timeout=10)
    finally:
        service.close()

    app, _replaces, _icon, title, body, _actions, hints, _timeout = service.calls[0][1]
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
    service = notification_service(session_bus)
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

    titles = [body[3] for _member, body in service.calls]
    assert titles == ["No recent backup"]
    assert "No successful backup has been recorded yet." in service.calls[0][1][4]
    assert all(SECRET not in str(call) for call in service.calls)

"""Desktop notifications over a real session D-Bus, answered by a test service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from restic_monitor.notify import Notice
from restic_monitor.platform.desktop_notifications import DesktopNotifier

from .conftest import (
    SECRET,
    DaemonProcess,
    FakeRestic,
    cli,
    start_daemon,
    wait_until,
    write_config,
)
from .dbus_service import FakeService, session_bus

__all__ = ["session_bus"]  # the fixture

jeepney = pytest.importorskip("jeepney")


def notification_service(address: str) -> FakeService:
    """org.freedesktop.Notifications on the test bus; ``calls`` records each call.

    Like a real service, it gives each new notification the next id and keeps
    the id of one it replaces.
    """
    ids = iter(range(1, 10_000))

    def notify(body: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
        replaces = body[1]
        return "u", (replaces or next(ids),)

    return FakeService(
        address,
        "org.freedesktop.Notifications",
        {"Notify": notify, "CloseNotification": lambda _b: ("", ())},
    )


def _closed(service: FakeService) -> list[int]:
    return [body[0] for member, body in service.calls if member == "CloseNotification"]


def _shown(service: FakeService) -> list[tuple[Any, ...]]:
    return [body for member, body in service.calls if member == "Notify"]


def test_desktop_notifier_reaches_the_notification_service(session_bus: str) -> None:
    service = notification_service(session_bus)
    notifier = DesktopNotifier()
    try:
        notifier.notify(Notice("failure", "Backup failed", "Wrong repository password."))
        wait_until(lambda: service.calls, timeout=10)
    finally:
        notifier.close()  # (its connection's reader would outlive the bus otherwise)
        service.close()

    app, _replaces, _icon, title, body, _actions, hints, _timeout = _shown(service)[0]
    assert app == "restic-monitor"
    assert (title, body) == ("Backup failed", "Wrong repository password.")
    assert hints["urgency"] == ("y", 2)


def test_desktop_notifier_without_a_service_neither_raises_nor_blocks(session_bus: str) -> None:
    notifier = DesktopNotifier()
    notifier.notify(Notice("warning", "No recent backup", "x"))
    notifier.notify(Notice("warning", "No recent backup", "x"))  # nobody answers: fine
    notifier.close()


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

    titles = [body[3] for body in _shown(service)]
    assert titles == ["No recent backup"]
    assert "No successful backup has been recorded yet." in _shown(service)[0][4]
    assert all(SECRET not in str(call) for call in service.calls)


def test_a_notice_about_the_same_thing_replaces_the_last_and_is_withdrawn_when_over(
    session_bus: str,
) -> None:
    service = notification_service(session_bus)
    notifier = DesktopNotifier()
    try:
        notifier.notify(Notice("failure", "Backup failed", "one", topic="backup", profile="p"))
        notifier.notify(Notice("warning", "No recent backup", "x", topic="no-backup"))
        notifier.notify(Notice("failure", "Backup failed", "two", topic="backup", profile="p"))
        wait_until(lambda: len(_shown(service)) == 3, timeout=10)
        notifier.withdraw("p:backup")
        wait_until(lambda: _closed(service), timeout=10)
        notifier.withdraw_all()  # quitting: what is still on screen goes too
    finally:
        notifier.close()
        service.close()

    _first, _warning, second = _shown(service)
    assert second[1] == 1, "the second failure replaces the first instead of stacking up"
    assert _closed(service) == [1, 2]
    assert notifier.shown() == {}


def test_a_click_or_a_button_reaches_the_app_with_the_notice_it_was_on(
    session_bus: str,
) -> None:
    service = notification_service(session_bus)
    chosen: list[tuple[str | None, str]] = []
    notifier = DesktopNotifier(on_action=lambda n, action: chosen.append((n.profile, action)))
    iface = "org.freedesktop.Notifications"
    try:
        notifier.notify(Notice("failure", "Backup failed", "x", topic="backup", profile="cloud"))
        wait_until(lambda: _shown(service), timeout=10)
        actions = _shown(service)[0][5]
        assert actions == [
            "default", "Show details", "log", "Show log", "backup", "Back up now"
        ]  # fmt: skip
        service.emit("/org/freedesktop/Notifications", iface, "ActionInvoked", "us", (99, "x"))
        service.emit("/org/freedesktop/Notifications", iface, "ActionInvoked", "us", (1, "backup"))
        wait_until(lambda: chosen, timeout=10)
        service.emit("/org/freedesktop/Notifications", iface, "NotificationClosed", "uu", (1, 2))
        wait_until(lambda: not notifier.shown(), timeout=10)
    finally:
        notifier.close()
        service.close()

    assert chosen == [("cloud", "backup")], "another app's notification is not ours"


def test_critical_notices_are_withdrawn_when_their_problem_is_gone_and_when_the_app_quits(
    session_bus: str,
    home: Any,
    fake_restic: FakeRestic,
    tmp_path: Path,
    daemons: list[DaemonProcess],
) -> None:
    service = notification_service(session_bus)
    settings = {"restic_exe": str(fake_restic.exe), "args": ["backup", "/data"]}
    env = {"RESTIC_REPOSITORY": "/repo", "RESTIC_PASSWORD": SECRET}
    write_config(home, {**settings, "min_idle_seconds": "5 min"}, env)

    def shown_id(title: str) -> int:
        wait_until(lambda: any(b[3] == title for b in _shown(service)), timeout=15)
        return max(i for i, b in enumerate(_shown(service), 1) if b[3] == title)

    try:
        daemon = start_daemon(home, tmp_path / "idle")
        daemons.append(daemon)
        config_id = shown_id("restic-monitor: configuration error")
        write_config(home, {**settings, "min_idle_seconds": 3e8}, env)
        cli(home, "reload")
        wait_until(lambda: _closed(service) == [config_id], timeout=15)

        fake_restic.plan(exit=1, lines=["Fatal: unable to open repository"])
        cli(home, "backup")
        failed_id = shown_id("Backup failed")
        warning_id = shown_id("No recent backup")  # (no backup yet when the daemon started)
        fake_restic.plan(exit=0)
        cli(home, "backup")
        # After a success nothing failed, and no backup is overdue either.
        wait_until(lambda: {failed_id, warning_id} <= set(_closed(service)), timeout=15)

        fake_restic.plan(exit=1, lines=["Fatal: unable to open repository"])
        cli(home, "backup")
        wait_until(lambda: len([b for b in _shown(service) if b[3] == "Backup failed"]) == 2)
        still_failed = shown_id("Backup failed")
        daemon.proc.terminate()
        daemon.proc.wait(30)
    finally:
        service.close()

    assert sorted(_closed(service)) == sorted([config_id, warning_id, failed_id, still_failed])
    assert _shown(service)[-1][3:5] == ("Backup failed", "Fatal: unable to open repository")
    assert all(SECRET not in str(call) for call in service.calls)


def test_a_connected_notifier_waits_without_waking(session_bus: str) -> None:
    import threading
    import time

    service = notification_service(session_bus)
    notifier = DesktopNotifier(on_action=lambda _n, _a: None)
    try:
        notifier.notify(Notice("warning", "No recent backup", "x", topic="no-backup"))
        wait_until(lambda: _shown(service), timeout=10)
        ours = [t for t in threading.enumerate() if t.name.startswith("notifications")]
        assert ours

        def wakeups() -> int:
            total = 0
            for thread in ours:
                status = Path(f"/proc/self/task/{thread.native_id}/status").read_text()
                line = next(x for x in status.splitlines() if x.startswith("voluntary_ctxt"))
                total += int(line.split()[1])
            return total

        before = wakeups()
        time.sleep(2.5)
        assert wakeups() - before <= 1, "an idle app's notifier must not poll"
    finally:
        notifier.close()
        service.close()

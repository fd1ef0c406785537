"""The tray over StatusNotifierItem (KDE, GNOME with AppIndicator, most Wayland bars).

Desktops that host tray icons over D-Bus register an
``org.kde.StatusNotifierWatcher``; Qt then publishes the icon as a
StatusNotifierItem and its menu over ``com.canonical.dbusmenu`` instead of
docking an X window. Here a watcher on a private session bus receives the
real app's registration, and the test reads and clicks the exported menu the
way a panel does: the backup it asks for runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restic_monitor.paths import Home

from .conftest import SECRET, FakeRestic, cli, require_tool, wait_until, write_config
from .dbus_service import DBusFailure, FakeService, session_bus
from .desktop import free_display

__all__ = ["session_bus"]  # the fixture

pytest.importorskip("jeepney")
pytest.importorskip("PySide6")

WATCHER = "org.kde.StatusNotifierWatcher"


@pytest.fixture
def xvfb(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    exe = require_tool("Xvfb")
    number = free_display()
    proc = subprocess.Popen(
        [exe, f":{number}", "-noreset", "-screen", "0", "800x600x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: os.path.exists(f"/tmp/.X11-unix/X{number}"), timeout=15)
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(10)


class Watcher:
    """The panel's side: accepts item registrations and says a host is there."""

    def __init__(self, address: str) -> None:
        self.items: list[str] = []

        def register(body: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
            self.items.append(str(body[0]))
            return "", ()

        def get(body: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
            _interface, name = body
            values: dict[str, tuple[str, Any]] = {
                "IsStatusNotifierHostRegistered": ("b", True),
                "ProtocolVersion": ("i", 0),
                "RegisteredStatusNotifierItems": ("as", list(self.items)),
            }
            if name not in values:
                raise DBusFailure("org.freedesktop.DBus.Error.UnknownProperty")
            return "v", (values[name],)

        def get_all(_body: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
            return "a{sv}", (
                {
                    "IsStatusNotifierHostRegistered": ("b", True),
                    "ProtocolVersion": ("i", 0),
                    "RegisteredStatusNotifierItems": ("as", list(self.items)),
                },
            )

        self.service = FakeService(
            address,
            WATCHER,
            {
                "RegisterStatusNotifierItem": register,
                "RegisterStatusNotifierHost": lambda _b: ("", ()),
                "Get": get,
                "GetAll": get_all,
            },
        )

    def close(self) -> None:
        self.service.close()


class Panel:
    """Calls on the registered item, as a panel would."""

    def __init__(self, address: str, item: str) -> None:
        from jeepney.io.blocking import open_dbus_connection

        self.conn = open_dbus_connection(bus=address)
        service, _, path = item.partition("/")
        self.service = service
        self.path = "/" + path if path else "/StatusNotifierItem"

    def _call(self, path: str, interface: str, member: str, sig: str, body: tuple[Any, ...]) -> Any:
        from jeepney import DBusAddress, MessageType, new_method_call

        address = DBusAddress(path, bus_name=self.service, interface=interface)
        reply = self.conn.send_and_get_reply(new_method_call(address, member, sig, body), timeout=5)
        assert reply.header.message_type == MessageType.method_return, reply.body
        return reply.body

    def item_property(self, name: str) -> Any:
        body = self._call(
            self.path,
            "org.freedesktop.DBus.Properties",
            "Get",
            "ss",
            ("org.kde.StatusNotifierItem", name),
        )
        return body[0][1]

    def menu(self) -> dict[str, int]:
        """Open the menu (AboutToShow, as a panel does) and read its labels → ids."""
        menu_path = self.item_property("Menu")
        self._call(menu_path, "com.canonical.dbusmenu", "AboutToShow", "i", (0,))
        _revision, layout = self._call(
            menu_path, "com.canonical.dbusmenu", "GetLayout", "iias", (0, -1, [])
        )
        labels: dict[str, int] = {}

        def walk(node: Any) -> None:
            node_id, props, children = node
            label = props.get("label")
            if label is not None:
                labels[str(label[1]).replace("_", "")] = node_id
            for child in children:
                walk(child[1])

        walk(layout)
        return labels

    def click(self, item_id: int) -> None:
        menu_path = self.item_property("Menu")
        self._call(
            menu_path,
            "com.canonical.dbusmenu",
            "Event",
            "isvu",
            (item_id, "clicked", ("s", ""), int(time.time())),
        )

    def close(self) -> None:
        self.conn.close()


def test_the_tray_over_status_notifier_item_shows_its_menu_and_backs_up_on_click(
    session_bus: str, xvfb: str, home: Home, fake_restic: FakeRestic, tmp_path: Path
) -> None:
    write_config(
        home,
        {
            "restic_exe": str(fake_restic.exe),
            "args": ["backup", "/data"],
            "min_idle_seconds": 3600,
            "low_priority": False,
        },
        {"RESTIC_REPOSITORY": "/repo", "RESTIC_PASSWORD": SECRET},
    )
    idle = tmp_path / "idle"
    idle.write_text("0")
    watcher = Watcher(session_bus)
    notifications = FakeService(
        session_bus, "org.freedesktop.Notifications", {"Notify": lambda _body: ("u", (1,))}
    )
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=xvfb, DBUS_SESSION_BUS_ADDRESS=session_bus, XDG_CURRENT_DESKTOP="KDE")
    env.pop("RESTIC_MONITOR_HOME", None)
    log = (tmp_path / "tray-stderr.txt").open("w")
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "restic_monitor", "--home", str(home.root), "run"),
            *("--idle-source", f"file:{idle}"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        stdin=subprocess.DEVNULL,
    )
    panel = None
    try:

        def registered() -> bool:
            assert proc.poll() is None, (tmp_path / "tray-stderr.txt").read_text()
            return bool(watcher.items)

        wait_until(registered, timeout=30)
        panel = Panel(session_bus, watcher.items[0])
        assert panel.item_property("Status") in ("Active", "NeedsAttention")
        wait_until(lambda: panel is not None and "Back up now" in panel.menu(), timeout=20)

        labels = panel.menu()
        assert "Pause for 8 hours" in labels and "Quit" in labels
        assert any(label.startswith("Last backup: never") for label in labels)

        panel.click(labels["Back up now"])
        wait_until(lambda: fake_restic.starts() == 1, timeout=20)
        status = wait_until(
            lambda: (s := json.loads(cli(home, "status", "--json").stdout))["last_run"] and s,
            timeout=30,
        )
        assert status["last_run"]["outcome"] == "success"
        assert status["last_run"]["trigger"] == "manual"
        summaries = [body[3] for member, body in notifications.calls if member == "Notify"]
        assert "No recent backup" in summaries  # notices go to the desktop's service
        wait_until(
            lambda: (
                panel is not None
                and "Last backup just now" in json.dumps(panel.item_property("ToolTip"))
            ),
            timeout=10,
        )
    finally:
        if panel is not None:
            panel.close()
        proc.terminate()
        proc.wait(60)
        watcher.close()
        notifications.close()

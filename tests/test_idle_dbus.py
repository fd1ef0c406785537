"""Wayland idle sources over a real session bus, answered by test services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from restic_monitor.platform.idle import auto_source, make_idle_source
from restic_monitor.platform.idle_dbus import GNOME, DBusIdle

from .dbus_service import DBusFailure, FakeService, session_bus

__all__ = ["session_bus"]  # the fixture

pytest.importorskip("jeepney")


@pytest.fixture
def wayland(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")


@pytest.fixture
def services(session_bus: str) -> Iterator[list[FakeService]]:
    started: list[FakeService] = []
    yield started
    for service in started:
        service.close()


def _idle_ms(value: int) -> dict[str, Any]:
    return {"GetIdletime": lambda _body: ("t", (value,))}


def _refuse(_body: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    raise DBusFailure("org.freedesktop.DBus.Error.NotSupported")


def test_gnome_idle_monitor_milliseconds_become_seconds(
    session_bus: str, services: list[FakeService]
) -> None:
    services.append(FakeService(session_bus, GNOME.bus_name, _idle_ms(42_500)))

    source = make_idle_source("gnome")

    assert source.seconds() == 42.5
    assert services[0].calls[-1][0] == "GetIdletime"


@pytest.mark.usefixtures("wayland")
def test_wayland_auto_prefers_gnome_then_cinnamon_then_screensaver(
    session_bus: str, services: list[FakeService]
) -> None:
    services.append(
        FakeService(
            session_bus,
            "org.freedesktop.ScreenSaver",
            {"GetSessionIdleTime": lambda _b: ("u", (30,))},
        )
    )
    assert auto_source().name == "screensaver"
    assert auto_source().seconds() == 30

    services.append(FakeService(session_bus, "org.cinnamon.Muffin.IdleMonitor", _idle_ms(5_000)))
    assert auto_source().name == "cinnamon"

    services.append(FakeService(session_bus, GNOME.bus_name, _idle_ms(7_000)))
    source = auto_source()
    assert source.name == "gnome"
    assert source.seconds() == 7.0


@pytest.mark.usefixtures("wayland")
def test_a_refusing_service_is_skipped_and_unknown_is_not_zero(
    session_bus: str, services: list[FakeService]
) -> None:
    # KDE on Wayland answers GetSessionIdleTime with an error.
    services.append(
        FakeService(session_bus, "org.freedesktop.ScreenSaver", {"GetSessionIdleTime": _refuse})
    )

    source = auto_source()

    assert source.name == "none"
    assert source.seconds() is None
    assert "screensaver" in getattr(source, "why", "")


@pytest.mark.usefixtures("wayland")
def test_no_service_at_all_is_unknown_with_reasons(session_bus: str) -> None:
    source = auto_source()

    assert source.seconds() is None
    why = getattr(source, "why", "")
    assert "Wayland session" in why and "gnome" in why and "screensaver" in why


def test_the_source_follows_the_service_and_survives_its_departure(
    session_bus: str, services: list[FakeService]
) -> None:
    value = {"ms": 1_000}
    service = FakeService(
        session_bus, GNOME.bus_name, {"GetIdletime": lambda _b: ("t", (value["ms"],))}
    )
    source = DBusIdle(GNOME)
    assert source.seconds() == 1.0

    value["ms"] = 250_000
    assert source.seconds() == 250.0

    service.close()  # the compositor's service goes away
    assert source.seconds() is None

    services.append(FakeService(session_bus, GNOME.bus_name, _idle_ms(9_000)))
    assert source.seconds() == 9.0

"""Metered networks: automatic backups wait, manual ones run; unknown is not metered.

The decision with a scripted engine (no clock, no process), NetworkManager's
answer from a NetworkManager-shaped service on a real D-Bus, and the
Windows reading by its pure part.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from restic_monitor.platform import network
from restic_monitor.policy.backup import Reason

from .dbus_service import FakeService, system_bus
from .engine_rig import Rig

__all__ = ["system_bus"]  # the fixture


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    rig = Rig(tmp_path)
    rig.profile(skip_on_metered=True, min_idle_seconds=300, check_every_seconds=0)
    return rig


def test_automatic_backups_wait_while_metered_and_start_once_it_is_not(rig: Rig) -> None:
    rig.metered = True
    rig.idle.set(3600)  # away long enough
    rig.step()
    assert rig.runner.runs == []
    assert rig.of("default").reason == Reason.METERED.value
    assert "metered network connection (skip_on_metered" in (rig.of("default").reason_text or "")

    rig.metered = False
    rig.advance(10)  # the last reading is still fresh
    assert rig.runner.runs == []
    rig.advance(60)
    assert rig.started() == [("default", "backup")]


def test_a_manual_backup_runs_on_a_metered_connection(rig: Rig) -> None:
    rig.metered = True
    rig.engine.request("backup")
    assert rig.started() == [("default", "backup")]


def test_unknown_is_not_metered_and_the_setting_off_ignores_it(rig: Rig, tmp_path: Path) -> None:
    rig.metered = None  # NetworkManager absent
    rig.idle.set(3600)
    rig.step()
    assert rig.started() == [("default", "backup")]

    other = Rig(tmp_path / "other")
    other.profile(min_idle_seconds=300, check_every_seconds=0)  # skip_on_metered false
    other.metered = True
    other.idle.set(3600)
    other.step()
    assert other.started() == [("default", "backup")]


def _networkmanager(address: str, metered: list[int]) -> FakeService:
    def get(body: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
        interface, name = body
        assert (interface, name) == (network.NM_BUS_NAME, "Metered")
        return "v", (("u", metered[0]),)

    return FakeService(address, network.NM_BUS_NAME, {"Get": get})


def test_networkmanagers_metered_property_is_read_from_the_system_bus(system_bus: str) -> None:
    value = [1]
    service = _networkmanager(system_bus, value)
    try:
        assert network.networkmanager_metered() is True
        for nm, expected in ((2, False), (3, True), (4, False), (0, None)):
            value[0] = nm
            assert network.networkmanager_metered() is expected
        assert any(member == "Get" for member, _ in service.calls)
    finally:
        service.close()
    assert network.networkmanager_metered() is None  # NetworkManager gone: unknown


def test_windows_cost_is_read_from_powershells_words() -> None:
    assert network.windows_cost_metered("Unrestricted False False") is False
    assert network.windows_cost_metered("Fixed False False") is True
    assert network.windows_cost_metered("Variable False False") is True
    assert network.windows_cost_metered("Unrestricted True False") is True  # roaming
    assert network.windows_cost_metered("Unrestricted False True") is True  # over the limit
    assert network.windows_cost_metered("Unknown False False") is None
    assert network.windows_cost_metered("") is None


def test_macos_expensive_or_constrained_paths_are_metered_and_the_child_says_so() -> None:
    from restic_monitor.platform import network_macos as mac

    assert [mac.path_metered(e, c) for e, c in ((0, 0), (1, 0), (0, 1), (1, 1))] == [
        False, True, True, True,
    ]  # fmt: skip
    for value in (True, False, None):
        assert mac.parse_answer(mac.answer_line(value) + "\n") is value
    assert mac.parse_answer("garbage") is None
    # The real child process: away from macOS it cannot ask, and says so with an empty line.
    assert mac.macos_metered() is None
    # The block as Apple's Block ABI lays it out on 64 bits: isa, flags, reserved, invoke,
    # descriptor at offsets 0, 8, 12, 16, 24.
    import ctypes

    layout = mac._BlockLiteral
    offsets = [getattr(layout, f).offset for f in ("isa", "flags", "reserved", "invoke",
                                                    "descriptor")]  # fmt: skip
    assert (offsets, ctypes.sizeof(layout)) == ([0, 8, 12, 16, 24], 32)

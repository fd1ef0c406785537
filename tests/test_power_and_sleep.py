"""Conditions around a backup: battery, elevation, and keeping the machine awake."""

from __future__ import annotations

import os
import select
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restic_monitor.config.settings import Settings
from restic_monitor.engine.host import Engine
from restic_monitor.paths import Home
from restic_monitor.platform import power
from restic_monitor.platform.idle import FixedIdle
from restic_monitor.policy.backup import POWER_RECHECK, Facts, Reason, decide

from .conftest import SECRET, FakeRestic, wait_until, write_config
from .dbus_service import FakeService, system_bus

__all__ = ["system_bus"]  # the fixture

NOW = 1_800_000_000.0
SETTINGS = Settings(args=("backup", "/data"), min_idle_seconds=60, min_seconds_between_backups=0)


def test_on_battery_blocks_automatic_backups_and_looks_again_in_a_minute() -> None:
    facts = Facts(now=NOW, idle=1000, on_battery=True, last_success=NOW - 10)

    decision = decide(SETTINGS, facts)

    assert not decision.start
    assert decision.reason is Reason.ON_BATTERY
    assert decision.wake_at == pytest.approx(NOW + POWER_RECHECK)


def test_a_pause_is_reported_before_the_battery() -> None:
    facts = Facts(now=NOW, idle=1000, on_battery=True, paused_until=NOW + 600)

    assert decide(SETTINGS, facts).reason is Reason.PAUSED


def test_missing_elevation_blocks_and_needs_no_timer() -> None:
    facts = Facts(now=NOW, idle=1000, needs_elevation=True, last_success=NOW - 10)

    decision = decide(SETTINGS, facts)

    assert decision.reason is Reason.NEEDS_ELEVATION
    assert decision.wake_at == pytest.approx(NOW - 10 + SETTINGS.no_backup_warning_seconds + 0.001)


def test_elevation_matters_only_for_fs_snapshots_on_windows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert power.needs_elevation(["backup", "--use-fs-snapshot", "C:\\"]) is False  # not Windows
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(power, "is_elevated", lambda: False)
    assert power.needs_elevation(["backup", "--use-fs-snapshot", "C:\\"]) is True
    assert power.needs_elevation(["backup", "C:\\"]) is False
    monkeypatch.setattr(power, "is_elevated", lambda: True)
    assert power.needs_elevation(["backup", "--use-fs-snapshot", "C:\\"]) is False


def test_battery_reading_here_is_an_answer_or_unknown_never_an_error() -> None:
    assert power.on_battery() in (True, False, None)


@pytest.fixture
def engine_on(home: Home, fake_restic: FakeRestic) -> Iterator[Any]:
    engines: list[Engine] = []

    def make(on_battery: list[bool | None], **settings: Any) -> Engine:
        write_config(
            home,
            {
                "restic_exe": str(fake_restic.exe),
                "args": ["backup", "/data"],
                "min_idle_seconds": 1,
                "min_seconds_between_backups": 3600,
                **settings,
            },
            {"RESTIC_REPOSITORY": "/repo", "RESTIC_PASSWORD": SECRET},
        )
        engine = Engine(home, FixedIdle(100), power=lambda: on_battery[0], kill_after=2)
        engines.append(engine)
        engine.start()
        return engine

    yield make
    for engine in engines:
        engine.shutdown(20)


def _logind(address: str, read_ends: list[int], write_ends: list[int]) -> FakeService:
    """A stand-in for logind: Inhibit hands out the read end of a fresh pipe."""

    def inhibit(body: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
        assert body[0] == "sleep" and body[3] == "block"
        read_end, write_end = os.pipe()
        read_ends.append(read_end)
        write_ends.append(write_end)
        return "h", (read_end,)

    return FakeService(address, "org.freedesktop.login1", {"Inhibit": inhibit}, enable_fds=True)


def _released(write_end: int) -> bool:
    """The inhibitor is released once no copy of the pipe's read end is left open."""
    poller = select.poll()
    poller.register(write_end, select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


@pytest.mark.skipif(sys.platform != "linux", reason="logind is Linux")
def test_backup_holds_a_logind_sleep_inhibitor_only_while_it_runs(
    system_bus: str, engine_on: Any, fake_restic: FakeRestic
) -> None:
    read_ends: list[int] = []
    write_ends: list[int] = []
    service = _logind(system_bus, read_ends, write_ends)
    try:
        fake_restic.plan(sleep=3)
        engine = engine_on([False], min_idle_seconds=3600)
        ticket = engine.backup()
        wait_until(lambda: fake_restic.starts() == 1 and read_ends, timeout=10)
        for fd in read_ends:  # the service's own copy: only ours remains
            os.close(fd)
        assert not _released(write_ends[0]), "held while restic runs"

        ticket.wait(20)

        wait_until(lambda: _released(write_ends[0]), timeout=5)
        assert [call[0] for call in service.calls] == ["Inhibit"]
    finally:
        service.close()
        for fd in write_ends:
            os.close(fd)


@pytest.mark.skipif(sys.platform != "linux", reason="logind is Linux")
def test_prevent_sleep_false_takes_no_inhibitor(
    system_bus: str, engine_on: Any, fake_restic: FakeRestic, tmp_path: Path
) -> None:
    read_ends: list[int] = []
    write_ends: list[int] = []
    service = _logind(system_bus, read_ends, write_ends)
    try:
        engine = engine_on([False], min_idle_seconds=3600, prevent_sleep=False)
        engine.backup().wait(20)
        assert service.calls == []
    finally:
        service.close()


@pytest.mark.skipif(sys.platform != "linux", reason="logind is Linux")
def test_resume_from_sleep_wakes_the_engine_at_once(system_bus: str) -> None:
    from jeepney import DBusAddress, new_signal
    from jeepney.io.blocking import open_dbus_connection

    from restic_monitor.platform.sleep import ResumeWatcher

    woken: list[float] = []
    watcher = ResumeWatcher(lambda: woken.append(time.monotonic()))
    assert watcher.start()
    try:
        with open_dbus_connection(bus=system_bus) as logind:
            emitter = DBusAddress(
                "/org/freedesktop/login1", interface="org.freedesktop.login1.Manager"
            )
            logind.send(new_signal(emitter, "PrepareForSleep", "b", (True,)))  # going to sleep
            time.sleep(0.3)
            assert woken == []
            logind.send(new_signal(emitter, "PrepareForSleep", "b", (False,)))  # woke up
            wait_until(lambda: woken, timeout=5)
    finally:
        watcher.stop()


@pytest.mark.skipif(sys.platform != "linux", reason="logind is Linux")
def test_without_a_system_bus_the_sleep_adapters_load_no_dbus_client(tmp_path: Path) -> None:
    """A container or a minimal server has no system bus: the idle monitor should not
    hold the D-Bus client's modules for a connection that cannot be made."""
    import subprocess

    code = (
        "import sys\n"
        "from restic_monitor.platform import sleep\n"
        "from restic_monitor.platform.sleep import ResumeWatcher\n"
        "sleep.SYSTEM_BUS_SOCKET = sys.argv[1]\n"
        "watching = ResumeWatcher(lambda: None).start()\n"
        "sleep.inhibit_sleep().release()\n"
        "print(watching, 'jeepney' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SYSTEM_BUS_ADDRESS"}
    argv = [sys.executable, "-c", code, str(tmp_path / "no-bus")]
    out = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, check=True)
    assert out.stdout.split() == ["False", "False"]

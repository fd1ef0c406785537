"""The X11 idle source for real, on an Xvfb display driven with xdotool."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator

import pytest

from restic_monitor.platform.idle import auto_source, make_idle_source
from restic_monitor.platform.idle_x11 import X11Idle

from .conftest import require_tool, wait_until
from .desktop import free_display


@pytest.fixture
def display(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    xvfb = require_tool("Xvfb")
    require_tool("xdotool")
    number = free_display()
    name = f":{number}"
    # -noreset: otherwise the server resets (and zeroes its idle counter) whenever
    # its last client disconnects, which the per-look connections would trigger.
    proc = subprocess.Popen(
        [xvfb, name, "-noreset", "-screen", "0", "640x480x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: os.path.exists(f"/tmp/.X11-unix/X{number}"), timeout=15)
        monkeypatch.setenv("DISPLAY", name)
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        monkeypatch.setenv("XDG_SESSION_TYPE", "x11")
        yield name
    finally:
        proc.terminate()
        proc.wait(10)


def test_x11_idle_grows_while_away_and_resets_on_input(display: str) -> None:
    source = X11Idle(display)
    subprocess.run(["xdotool", "mousemove", "10", "10"], check=True)
    first = source.seconds()
    assert first is not None and first < 1.0

    time.sleep(1.5)
    later = source.seconds()
    assert later is not None and later >= 1.3

    subprocess.run(["xdotool", "mousemove", "200", "200"], check=True)
    after_input = source.seconds()
    assert after_input is not None and after_input < 0.5


def test_auto_picks_x11_in_an_x_session(display: str) -> None:
    source = auto_source()

    assert source.name == "x11"
    assert source.seconds() is not None


def test_auto_reports_unknown_without_a_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)

    source = make_idle_source("auto")

    assert source.seconds() is None
    assert source.name == "none"


def test_wayland_session_never_uses_xscreensaver(
    display: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")

    source = auto_source()

    assert source.name != "x11"
    assert source.seconds() is None


def _xvfb(number: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        ["Xvfb", f":{number}", "-noreset", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(lambda: os.path.exists(f"/tmp/.X11-unix/X{number}"), timeout=15)
    return proc


def test_x11_source_survives_an_x_server_restart_and_reconnects() -> None:
    require_tool("Xvfb")
    number = free_display(400)
    server = _xvfb(number)
    source = X11Idle(f":{number}")
    try:
        assert source.persistent, "libX11 1.7+ (Debian 12) keeps one connection"
        assert source.seconds() is not None

        server.terminate()
        server.wait(10)
        gone = source.seconds()  # the process must survive Xlib's I/O error
        assert gone is None, "no server: unknown, never idle"

        server = _xvfb(number)
        wait_until(lambda: source.seconds() is not None, timeout=10)
        value = source.seconds()
        assert value is not None and value < 60
    finally:
        source.close()
        server.terminate()
        server.wait(10)

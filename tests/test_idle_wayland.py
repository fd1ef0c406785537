"""The Wayland idle source: against a real compositor (sway, headless) and a protocol peer.

sway on Debian 12 (1.7) offers ``org_kde_kwin_idle``, newer ones
``ext-idle-notify-v1``; the source is tested on whichever the installed sway
has, and on both against :class:`FakeCompositor`, which checks the requests'
argument order the way a compositor does.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from restic_monitor.paths import Home
from restic_monitor.platform.idle import auto_source, make_idle_source
from restic_monitor.platform.idle_wayland import (
    EXT,
    KDE,
    TIMEOUT_MS,
    MessageReader,
    WaylandError,
    WaylandIdle,
    decode_string,
    encode,
    encode_string,
    socket_path,
)

from .conftest import SECRET, FakeRestic, cli, require_tool, wait_until, write_config
from .sway import Sway, missing_tools
from .wayland_server import FakeCompositor

# --- wire format ----------------------------------------------------------------------


def test_strings_are_nul_terminated_and_padded_to_four_bytes() -> None:
    for text in ("", "a", "abc", "wl_seat", "ext_idle_notifier_v1"):
        raw = encode_string(text)
        assert len(raw) % 4 == 0
        assert decode_string(raw, 0) == (text, len(raw))


def test_the_reader_splits_a_stream_at_any_boundary() -> None:
    stream = encode(5, 0) + encode(2, 1, encode_string("wl_seat")) + encode(9, 3, b"\1\0\0\0")
    reader = MessageReader()
    messages = []
    for i in range(len(stream)):
        messages += reader.feed(stream[i : i + 1])
    assert messages == [(5, 0, b""), (2, 1, encode_string("wl_seat")), (9, 3, b"\1\0\0\0")]


def test_a_malformed_size_is_refused() -> None:
    with pytest.raises(ValueError, match="malformed"):
        MessageReader().feed(encode(1, 0)[:4] + b"\x00\x00\x06\x00")


def test_socket_path_follows_libwayland() -> None:
    assert socket_path({"XDG_RUNTIME_DIR": "/run/user/1000"}) == "/run/user/1000/wayland-0"
    env = {"XDG_RUNTIME_DIR": "/run/user/1000", "WAYLAND_DISPLAY": "wayland-1"}
    assert socket_path(env) == "/run/user/1000/wayland-1"
    assert socket_path({"WAYLAND_DISPLAY": "/tmp/w"}) == "/tmp/w"
    with pytest.raises(WaylandError, match="XDG_RUNTIME_DIR"):
        socket_path({"WAYLAND_DISPLAY": "wayland-0"})


# --- against a protocol peer ------------------------------------------------------------


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """Socket paths must stay under 108 bytes: pytest's tmp_path can be longer."""
    path = Path(tempfile.mkdtemp(prefix="rm-wl-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("protocol", [EXT, KDE], ids=["ext", "kde"])
def test_idle_and_resumed_events_become_idle_seconds(short_dir: Path, protocol: object) -> None:
    interface = EXT.interface if protocol is EXT else KDE.interface
    server = FakeCompositor(short_dir / "wayland-0", ("wl_seat", interface))
    clock = Clock()
    source = WaylandIdle(str(short_dir / "wayland-0"), clock=clock)
    try:
        assert server.requests == [(interface, TIMEOUT_MS, server.requests[0][2])]
        assert server.errors == []
        assert source.seconds() == 0.0

        server.idle()
        wait_until(lambda: source.seconds() != 0.0, timeout=5)
        assert source.seconds() == TIMEOUT_MS / 1000
        clock.now += 250
        assert source.seconds() == 250 + TIMEOUT_MS / 1000

        server.resume()
        wait_until(lambda: source.seconds() == 0.0, timeout=5)
        clock.now += 10
        assert source.seconds() == 0.0
    finally:
        source.close()
        server.close()


def test_ext_is_preferred_when_both_are_offered(short_dir: Path) -> None:
    server = FakeCompositor(
        short_dir / "w", ("org_kde_kwin_idle", "wl_seat", "ext_idle_notifier_v1")
    )
    source = WaylandIdle(str(short_dir / "w"))
    try:
        assert source.protocol == "ext-idle-notify-v1"
        assert [r[0] for r in server.requests] == ["ext_idle_notifier_v1"]
    finally:
        source.close()
        server.close()


@pytest.mark.parametrize(
    ("interfaces", "message"),
    [
        (("wl_seat",), "no idle protocol"),
        (("ext_idle_notifier_v1",), "no seat"),
    ],
)
def test_a_compositor_without_what_is_needed_is_refused_with_the_reason(
    short_dir: Path, interfaces: tuple[str, ...], message: str
) -> None:
    server = FakeCompositor(short_dir / "w", interfaces)
    try:
        with pytest.raises(WaylandError, match=message):
            WaylandIdle(str(short_dir / "w"))
    finally:
        server.close()


def test_no_compositor_is_an_error_naming_the_socket(short_dir: Path) -> None:
    with pytest.raises(WaylandError, match=str(short_dir / "missing")):
        WaylandIdle(str(short_dir / "missing"))


def test_the_source_is_unknown_while_the_compositor_is_gone_and_reconnects(
    short_dir: Path,
) -> None:
    path = short_dir / "w"
    server = FakeCompositor(path, ("wl_seat", "ext_idle_notifier_v1"))
    source = WaylandIdle(str(path))
    try:
        server.idle()
        wait_until(lambda: (source.seconds() or 0) > 0, timeout=5)
        server.close()
        wait_until(lambda: source.seconds() is None, timeout=5)
        assert source.seconds() is None  # still gone: unknown, never "idle"

        server = FakeCompositor(path, ("wl_seat", "ext_idle_notifier_v1"))
        assert source.seconds() == 0.0  # a new connection starts as "active"
        assert len(server.requests) == 1
    finally:
        source.close()
        server.close()


def test_auto_in_a_wayland_session_uses_the_compositor_when_no_monitor_answers(
    short_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = FakeCompositor(short_dir / "wayland-5", ("wl_seat", "ext_idle_notifier_v1"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(short_dir))
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-5")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={short_dir}/no-bus")
    monkeypatch.setenv("DISPLAY", ":0")  # Xwayland: must not be used
    try:
        source = auto_source()
        assert source.name == "wayland"
        source.close()
        server.close()
        unknown = auto_source()
        assert unknown.name == "none"
        assert unknown.seconds() is None
        assert "wayland:" in getattr(unknown, "why", "")
    finally:
        server.close()


# --- against a real compositor ----------------------------------------------------------


@pytest.fixture
def sway() -> Iterator[Sway]:
    for tool in missing_tools():
        require_tool(tool)
    compositor = Sway(Path(tempfile.mkdtemp(prefix="rm-sway-")))
    try:
        yield compositor.start()
    finally:
        compositor.cleanup()


def test_real_compositor_idle_grows_while_away_and_resets_on_input(sway: Sway) -> None:
    source = WaylandIdle(str(sway.socket))
    try:
        assert source.protocol in ("ext-idle-notify-v1", "org_kde_kwin_idle")
        sway.type_key()
        wait_until(lambda: source.seconds() == 0.0, timeout=5)

        time.sleep(2.5)
        away = source.seconds()
        assert away is not None and 1.9 <= away <= 3.0, away

        sway.type_key()
        wait_until(lambda: source.seconds() == 0.0, timeout=5)

        time.sleep(1.6)
        again = source.seconds()
        assert again is not None and 1.0 <= again <= 2.0, again
    finally:
        source.close()


def test_real_compositor_restart_is_unknown_then_followed_again(sway: Sway) -> None:
    source = make_idle_source(f"wayland:{sway.socket}")
    try:
        wait_until(lambda: (source.seconds() or 0) >= 1.0, timeout=10)
        sway.stop()
        wait_until(lambda: source.seconds() is None, timeout=10)

        sway.start()
        wait_until(lambda: source.seconds() is not None, timeout=10)
        wait_until(lambda: (source.seconds() or 0) >= 1.0, timeout=10)
    finally:
        source.close()


def _fake_config(home: Home, fake: FakeRestic, min_idle: int) -> None:
    settings = {
        "restic_exe": str(fake.exe),
        "args": ["backup", "/data"],
        "min_idle_seconds": min_idle,
        "min_seconds_between_backups": 3600,
    }
    write_config(home, settings, {"RESTIC_REPOSITORY": "/repo", "RESTIC_PASSWORD": SECRET})


def test_a_backup_starts_only_once_the_user_has_left_the_wayland_session(
    sway: Sway, home: Home, fake_restic: FakeRestic
) -> None:
    _fake_config(home, fake_restic, min_idle=3)
    env = sway.env()
    env.pop("RESTIC_MONITOR_HOME", None)
    env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={sway.runtime}/no-bus"
    proc = subprocess.Popen(
        [sys.executable, "-m", "restic_monitor", "--home", str(home.root), "run", "--headless"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    try:
        wait_until(home.control_json.exists, timeout=30)
        status = json.loads(cli(home, "status", "--json").stdout)
        assert status["idle_source"] == "wayland"

        # Someone at the keyboard for six seconds: twice the threshold, no backup.
        typing_until = time.monotonic() + 6
        while time.monotonic() < typing_until:
            sway.type_key()
            time.sleep(0.5)
        assert fake_restic.starts() == 0

        left = time.monotonic()
        wait_until(lambda: fake_restic.starts() == 1, timeout=15)
        waited = time.monotonic() - left
        assert 2.5 <= waited <= 6.0, waited
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        proc.wait(60)

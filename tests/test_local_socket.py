"""The control transport's rules, without a second user: socket placement, checks, pipe rules.

The Windows named pipe cannot run here; its decisions live in
``platform/pipe_rules.py`` so that they are checked on every OS.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from restic_monitor.paths import Home
from restic_monitor.platform import pipe_rules
from restic_monitor.platform.local_socket import UntrustedEndpoint, connect

from .conftest import cli

posix = pytest.mark.skipif(sys.platform == "win32", reason="Unix sockets")


@pytest.fixture
def run_dir() -> Iterator[Path]:
    """A private runtime folder short enough for socket paths (tmp_path is too long)."""
    path = Path(tempfile.mkdtemp(prefix="rm-run-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _bound(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.listen(1)
    return sock


# --- POSIX: where the socket goes, and what a client accepts ------------------------------


@posix
def test_folder_problem_accepts_only_a_private_real_folder_of_the_user(tmp_path: Path) -> None:
    from restic_monitor.platform.unix_socket import folder_problem

    uid = os.getuid()
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o750)
    link = tmp_path / "link"
    link.symlink_to(private)
    plain = tmp_path / "file"
    plain.write_text("")

    assert folder_problem(private, uid) is None
    assert folder_problem(shared, uid) == "is open to other users (mode 0750)"
    assert folder_problem(link, uid) == "is a symbolic link"
    assert folder_problem(plain, uid) == "is not a folder"
    assert folder_problem(tmp_path / "missing", uid) == "does not exist"
    assert folder_problem(private, uid + 1) is not None and "not to you" in str(
        folder_problem(private, uid + 1)
    )


@posix
def test_a_short_home_keeps_its_socket_and_a_long_one_uses_the_shared_private_folder(
    tmp_path: Path, run_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from restic_monitor.platform.unix_socket import place

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run_dir))
    short = Home(tmp_path / "h").control_socket
    long = Home(tmp_path / ("x" * 120)).control_socket

    assert place(short).address == str(short)
    chosen = place(long)
    assert Path(chosen.address).parent == run_dir / f"restic-monitor-{os.getuid()}"
    assert chosen.note is None and chosen.own_folder is None
    assert place(long) == chosen  # the same place every time for the same home


@posix
def test_a_runtime_dir_too_long_for_a_socket_falls_back_to_the_temp_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from restic_monitor.platform.unix_socket import MAX_SOCKET_PATH, place

    runtime = tmp_path / ("r" * 80)
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    chosen = place(Home(tmp_path / ("x" * 120)).control_socket)

    assert not chosen.address.startswith(str(runtime))
    assert chosen.address.startswith(tempfile.gettempdir()) or chosen.address.startswith("/tmp")
    assert len(os.fsencode(chosen.address)) <= MAX_SOCKET_PATH


@posix
def test_an_open_shared_folder_gets_a_fresh_private_one_named_in_the_note(
    tmp_path: Path, run_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from restic_monitor.platform.unix_socket import listen, remove

    base = run_dir
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(base))
    shared = base / f"restic-monitor-{os.getuid()}"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)

    sock, endpoint = listen(Home(tmp_path / ("x" * 120)).control_socket)
    try:
        folder = Path(endpoint.address).parent
        assert endpoint.own_folder == folder and folder.parent == base and folder != shared
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert endpoint.note is not None
        assert f"{shared} is open to other users (mode 0755)" in endpoint.note
        assert endpoint.address in endpoint.note
    finally:
        sock.close()
        remove(endpoint)
    assert not folder.exists()


@posix
@pytest.mark.parametrize("kind", ["link", "file", "open-folder"])
def test_a_client_refuses_what_is_not_a_private_socket_of_its_user(
    tmp_path: Path, kind: str
) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    real = elsewhere / "real.sock"
    server = _bound(real)
    try:
        if kind == "link":
            address = home / "control.sock"
            address.symlink_to(real)
            why = "it is a symbolic link"
        elif kind == "file":
            address = home / "control.sock"
            address.write_text("")
            why = "it is not a socket"
        else:
            elsewhere.chmod(0o755)
            address = real
            why = f"its folder {elsewhere} is open to other users (mode 0755)"
        with pytest.raises(UntrustedEndpoint) as refused:
            connect("unix", str(address), home, 5)
        assert str(refused.value) == (
            f"the control socket {address} is not owned by you ({why}); not sending anything"
        )
    finally:
        server.close()


@posix
def test_a_client_accepts_its_socket_in_its_home_even_when_the_home_is_open(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o777)  # the socket file and the peer are still checked
    server = _bound(home / "control.sock")
    try:
        connect("unix", str(home / "control.sock"), home, 5).close()
        with pytest.raises(UntrustedEndpoint):  # the same socket, seen from another home
            connect("unix", str(home / "control.sock"), tmp_path, 5)
    finally:
        server.close()


def test_a_published_tcp_address_is_refused_with_exit_4_and_never_contacted(home: Home) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    home.control_json.write_text(
        json.dumps({"family": "tcp", "address": f"127.0.0.1:{port}", "token": "t" * 64})
    )
    try:
        result = cli(home, "status")
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody ever connected
    finally:
        listener.close()

    assert result.returncode == 4, result.stderr
    assert "TCP address" in result.stderr and "not sending anything" in result.stderr


# --- Windows: the pure rules of the named pipe ------------------------------------------------


def test_pipe_names_are_random_local_names_and_nothing_else_is_accepted() -> None:
    name = pipe_rules.pipe_name("0123456789abcdef0123456789abcdef")

    assert name == "\\\\.\\pipe\\restic-monitor-0123456789abcdef0123456789abcdef"
    assert pipe_rules.is_local_pipe_name(name)
    for address in (
        "\\\\server\\pipe\\restic-monitor-0123456789abcdef0123456789abcdef",  # remote
        "\\\\.\\pipe\\restic-monitor-0123456789ABCDEF0123456789ABCDEF",
        "\\\\.\\pipe\\restic-monitor-0123",
        "\\\\.\\pipe\\other-0123456789abcdef0123456789abcdef",
        "127.0.0.1:4000",
    ):
        assert not pipe_rules.is_local_pipe_name(address), address
    with pytest.raises(ValueError):
        pipe_rules.pipe_name("../../x")


def test_the_pipe_descriptor_gives_the_user_alone_all_access() -> None:
    sid = "S-1-5-21-1004336348-1177238915-682003330-512"

    assert pipe_rules.owner_only_sddl(sid) == f"O:{sid}D:P(A;;GA;;;{sid})S:(ML;;NW;;;ME)"
    for bad in ("", "WD", f"{sid})(A;;GA;;;WD", "S-1-5-21-x"):
        with pytest.raises(ValueError):
            pipe_rules.owner_only_sddl(bad)


@pytest.mark.parametrize(
    ("process_owner", "pipe_owner", "trusted"),
    [
        ("S-1-5-21-1-2-3-1001", None, True),
        ("s-1-5-21-1-2-3-1001", "S-1-5-32-544", True),  # the process decides when known
        ("S-1-5-21-1-2-3-1002", "S-1-5-21-1-2-3-1001", False),
        (None, "S-1-5-21-1-2-3-1001", True),  # an elevated instance: its pipe's owner
        (None, "S-1-5-21-1-2-3-1002", False),
        (None, None, False),
    ],
)
def test_a_pipe_server_is_trusted_only_when_it_runs_as_the_user(
    process_owner: str | None, pipe_owner: str | None, trusted: bool
) -> None:
    problem = pipe_rules.server_problem("S-1-5-21-1-2-3-1001", process_owner, pipe_owner)

    assert (problem is None) is trusted
    if not trusted:
        message = pipe_rules.untrusted_message("\\\\.\\pipe\\x", str(problem))
        assert "is not owned by you" in message and message.endswith("not sending anything")

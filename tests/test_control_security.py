"""Another local user against the control channel: squatted socket folders and impostor listeners.

A real second user (``rm-intruder``, created when absent) prepares the traps,
with real processes on both sides: the instance must not put its socket where
that user could reach it, and the CLI must send nothing, least of all its
token, to a listener that is not its user's.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from restic_monitor.paths import Home

from .conftest import (
    SECRET,
    DaemonProcess,
    FakeRestic,
    cli,
    require_tool,
    start_daemon,
    wait_until,
    write_config,
)

OTHER_USER = "rm-intruder"
USERADD_OPTIONS = ("--system", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin")

#: What the other user runs to listen in place of the instance: it records every
#: connection (what it received) and answers like an instance would.
IMPOSTOR = r"""
import json, os, socket, sys
path, record, replace = sys.argv[1], sys.argv[2], sys.argv[3] == "replace"
if replace:
    os.unlink(path)
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
os.chmod(path, 0o777)
server.listen(8)
print("listening", flush=True)
while True:
    conn, _ = server.accept()
    conn.settimeout(2)
    received = b""
    try:
        while b"\n" not in received:
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
    except OSError:
        pass
    with open(record, "a") as out:
        out.write(json.dumps({"received": received.decode("latin-1")}) + "\n")
    if received:
        try:
            conn.sendall(b'{"done": true, "ok": true, "result": {"pong": true}}\n')
        except OSError:
            pass
    conn.close()
"""
MKDIR = "import os, sys; os.mkdir(sys.argv[1]); os.chmod(sys.argv[1], int(sys.argv[2], 8))"
SYMLINK = (
    "import os, sys; os.mkdir(sys.argv[2]); os.chmod(sys.argv[2], 0o777); "
    "os.symlink(sys.argv[2], sys.argv[1])"
)
MOVE_AWAY = (
    "import os, sys\n"
    "try:\n    os.rename(sys.argv[1], sys.argv[1] + '.moved')\n"
    "except OSError as e:\n    print('refused', e.errno)\nelse:\n    print('moved')\n"
)


@dataclass(frozen=True)
class OtherUser:
    name: str
    uid: int
    gid: int
    setpriv: str

    def argv(self, code: str, *args: str | Path) -> list[str]:
        return [
            self.setpriv,
            f"--reuid={self.uid}",
            f"--regid={self.gid}",
            "--clear-groups",
            sys.executable,
            "-c",
            code,
            *map(str, args),
        ]

    def run(self, code: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            self.argv(code, *args),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            cwd="/",
            env={"PATH": os.environ["PATH"]},
        )
        assert result.returncode == 0, result.stderr
        return result

    def start(self, code: str, *args: str | Path) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.argv(code, *args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd="/",
            env={"PATH": os.environ["PATH"]},
        )


@pytest.fixture(scope="session")
def other_user() -> OtherUser:
    """A second local user; created (a system account without home or shell) when absent."""
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("needs root on Linux to act as another user (CI runs as root)")
    setpriv = require_tool("setpriv")
    try:
        entry = pwd.getpwnam(OTHER_USER)
    except KeyError:
        useradd = require_tool("useradd")
        for _ in range(40):  # other test workers may be adding it at the same moment
            added = subprocess.run(
                [useradd, *USERADD_OPTIONS, OTHER_USER],
                capture_output=True,
                text=True,
                check=False,
            )
            if added.returncode in (0, 9):  # 9: it exists (another worker was quicker)
                break
            time.sleep(0.25)  # 10: /etc/passwd is locked by another worker
        entry = pwd.getpwnam(OTHER_USER)
    assert entry.pw_uid != os.getuid()
    return OtherUser(OTHER_USER, entry.pw_uid, entry.pw_gid, setpriv)


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A short temp folder shared by every user, like /tmp (mode 1777), for this test only."""
    base = Path(tempfile.mkdtemp(prefix="rm-tmp-"))
    base.chmod(0o1777)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _fake_config(home: Home, fake: FakeRestic) -> None:
    settings = {"restic_exe": str(fake.exe), "args": ["backup", "/data"], "min_idle_seconds": 3600}
    write_config(home, settings, {"RESTIC_REPOSITORY": "/repo", "RESTIC_PASSWORD": SECRET})


def _long_home(tmp_path: Path) -> Home:
    home = Home(tmp_path / ("a-rather-long-folder-name-" * 6) / "home")
    home.ensure()
    assert len(os.fsencode(_socket_in(home))) > 108
    return home


def _socket_in(home: Home) -> Path:
    return home.root / "control.sock"


def _published(home: Home) -> dict[str, Any]:
    info: dict[str, Any] = json.loads(home.control_json.read_text())
    return info


# --- the instance: a squatted folder in the temp dir is never used ------------------------


@pytest.mark.parametrize("variable", ["TMPDIR", "XDG_RUNTIME_DIR"])
@pytest.mark.parametrize("trap", ["theirs", "link", "open"])
def test_a_socket_folder_prepared_by_another_user_is_not_used_and_a_private_one_is(
    other_user: OtherUser,
    shared_tmp: Path,
    tmp_path: Path,
    fake_restic: FakeRestic,
    daemons: list[DaemonProcess],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    trap: str,
) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv(variable, str(shared_tmp))
    squat = shared_tmp / f"restic-monitor-{os.getuid()}"
    inside = squat
    if trap == "theirs":  # their folder, open to all
        other_user.run(MKDIR, squat, "777")
    elif trap == "link":  # a link to their folder
        inside = shared_tmp / "decoy"
        other_user.run(SYMLINK, squat, inside)
    else:  # the user's own name, but open to group and others
        squat.mkdir()
        squat.chmod(0o777)
    home = _long_home(tmp_path)
    _fake_config(home, fake_restic)

    daemon = start_daemon(home, tmp_path / "idle")
    daemons.append(daemon)

    address = Path(_published(home)["address"])
    folder = address.parent
    assert folder.parent == shared_tmp
    assert folder.name.startswith(f"restic-monitor-{os.getuid()}-"), address
    st = folder.lstat()
    assert stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid()
    assert stat.S_IMODE(st.st_mode) == 0o700
    assert os.listdir(inside) == []
    log = home.app_log.read_text()
    assert str(squat) in log and str(address) in log and "private folder" in log
    assert daemon.status()["instance_running"] is True
    assert other_user.run(MOVE_AWAY, address).stdout.startswith("refused 13")

    assert daemon.stop() == 0
    assert not folder.exists()


# --- the CLI: nothing is sent to a listener that is not the user's -------------------------


@dataclass
class Impostor:
    proc: subprocess.Popen[str]
    record: Path
    path: Path

    def received(self) -> list[str]:
        """What every connection before now sent it (a last connection of ours flushes them)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.settimeout(10)
            probe.connect(str(self.path))
            probe.sendall(b"sentinel\n")
            probe.recv(1024)
        wait_until(lambda: self.record.exists() and "sentinel" in self.record.read_text())
        lines = [json.loads(line)["received"] for line in self.record.read_text().splitlines()]
        assert lines[-1] == "sentinel\n"
        return lines[:-1]

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(10)


@pytest.fixture
def impostors() -> Iterator[list[Impostor]]:
    started: list[Impostor] = []
    yield started
    for impostor in started:
        impostor.stop()


def _impostor(
    other: OtherUser, path: Path, record: Path, started: list[Impostor], *, replace: bool
) -> Impostor:
    proc = other.start(IMPOSTOR, path, record, "replace" if replace else "plain")
    impostor = Impostor(proc, record, path)
    started.append(impostor)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line == "listening\n", line + (proc.stderr.read() if proc.stderr else "")
    return impostor


def _assert_refused(result: subprocess.CompletedProcess[str], path: Path, why: str) -> None:
    assert result.returncode == 4, result.stdout + result.stderr
    assert f"the control socket {path} is not owned by you" in result.stderr, result.stderr
    assert why in result.stderr and "not sending anything" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_listener_of_another_user_in_place_of_the_socket_in_an_open_home_gets_nothing(
    other_user: OtherUser,
    shared_tmp: Path,
    fake_restic: FakeRestic,
    daemons: list[DaemonProcess],
    impostors: list[Impostor],
) -> None:
    home = Home(shared_tmp / "home")
    home.ensure()
    _fake_config(home, fake_restic)
    daemon = start_daemon(home, shared_tmp / "idle")
    daemons.append(daemon)
    token = _published(home)["token"]
    home.root.chmod(0o777)  # a home opened up by mistake: others can replace what is in it
    record = shared_tmp / "received.jsonl"
    impostor = _impostor(other_user, _socket_in(home), record, impostors, replace=True)

    result = cli(home, "status")

    received = impostor.received()
    assert token not in "".join(received)
    assert received == []
    _assert_refused(
        result, _socket_in(home), f"it belongs to {other_user.name} (uid {other_user.uid})"
    )
    assert daemon.proc.poll() is None


@pytest.mark.parametrize("disguised", [False, True], ids=["theirs", "disguised-as-yours"])
def test_a_stale_address_whose_folder_another_user_recreated_gets_nothing(
    disguised: bool,
    other_user: OtherUser,
    shared_tmp: Path,
    tmp_path: Path,
    fake_restic: FakeRestic,
    daemons: list[DaemonProcess],
    impostors: list[Impostor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(shared_tmp))
    home = _long_home(tmp_path)
    _fake_config(home, fake_restic)
    daemon = start_daemon(home, tmp_path / "idle")
    daemons.append(daemon)
    info = _published(home)
    address = Path(info["address"])
    daemon.proc.kill()  # a crash leaves control.json behind
    daemon.proc.wait(10)
    shutil.rmtree(address.parent)  # a temp cleaner
    other_user.run(MKDIR, address.parent, "755")
    record = shared_tmp / "received.jsonl"
    impostor = _impostor(other_user, address, record, impostors, replace=False)
    why = f"it belongs to {other_user.name} (uid {other_user.uid})"
    if disguised:  # the socket file looks like yours: only its folder gives it away
        os.chown(address, os.getuid(), os.getgid())
        why = f"its folder {address.parent} belongs to {other_user.name} (uid {other_user.uid})"

    result = cli(home, "status")

    received = impostor.received()
    assert info["token"] not in "".join(received)
    assert received == []
    _assert_refused(result, address, why)


def test_a_socket_of_yours_served_by_another_users_process_is_refused_by_peer_credentials(
    other_user: OtherUser,
    shared_tmp: Path,
    fake_restic: FakeRestic,
    daemons: list[DaemonProcess],
    impostors: list[Impostor],
) -> None:
    home = Home(shared_tmp / "home")
    home.ensure()
    _fake_config(home, fake_restic)
    daemon = start_daemon(home, shared_tmp / "idle")
    daemons.append(daemon)
    token = _published(home)["token"]
    lair = shared_tmp / "lair"
    other_user.run(MKDIR, lair, "755")
    record = shared_tmp / "received.jsonl"
    impostor = _impostor(other_user, lair / "control.sock", record, impostors, replace=False)
    # The file now looks like the instance's in every way: yours, a socket, in your home.
    os.chown(lair / "control.sock", os.getuid(), os.getgid())
    os.chmod(lair / "control.sock", 0o600)
    os.replace(lair / "control.sock", _socket_in(home))
    impostor.path = _socket_in(home)

    result = cli(home, "status")

    why = f"the process listening on it runs as {other_user.name} (uid {other_user.uid})"
    received = impostor.received()
    assert token not in "".join(received)
    assert received and set(received) == {""}  # it connected, checked, and sent nothing
    _assert_refused(result, _socket_in(home), why)

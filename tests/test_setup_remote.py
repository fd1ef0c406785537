"""``restic-monitor setup`` against real remote servers: S3 (moto's server) and SFTP (OpenSSH).

Each success ends with the monitor running and a backup through it landing in
that repository, read back by the real restic byte for byte; each failure names
its cause, exits non-zero, writes nothing and never shows a secret.

For SFTP the user is who a real one would be: an ``~/.ssh`` with a host alias,
a key and the server's host key in known_hosts. OpenSSH finds ``~`` in the user
database, not in ``$HOME``, so the setup, the monitor and the restic and ssh they
start get a home of their own through nss_wrapper (libnss-wrapper).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from restic_monitor.paths import Home

from .conftest import (
    IN_CI,
    SECRET,
    DaemonProcess,
    require_tool,
    wait_until,
)
from .processes import stop_process
from .test_remote_faults import _free_port
from .test_setup_command import backs_up_through_the_monitor, nothing_written, restic_in, setup

KEY_ID = "AKIASETUPTEST0000001"
S3_SECRET = "s3-secret-planted-d0-not-leak"
S3_ENV = {"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": S3_SECRET}
#: The ssh host alias the user has in ~/.ssh/config.
ALIAS = "backupbox"


def _answers(port: int) -> bool:
    with (
        contextlib.suppress(OSError),
        socket.create_connection(("127.0.0.1", port), timeout=0.5),
    ):
        return True
    return False


# --- S3: moto's server ----------------------------------------------------------------


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3 server on 127.0.0.1: its endpoint, ``http://127.0.0.1:PORT``."""
    port = _free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    endpoint = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        assert proc.poll() is None, f"moto exited with {proc.returncode}: see {log.name}"
        try:
            with urllib.request.urlopen(endpoint + "/", timeout=1) as answer:  # noqa: S310
                return bool(answer.status == 200)
        except OSError:
            return False

    try:
        wait_until(ready, timeout=60, interval=0.2)
        yield endpoint
    finally:
        stop_process(proc)
        log.close()


def s3_setup(home: Home, password: str, where: str, *args: str) -> subprocess.CompletedProcess[str]:
    keys = [x for name, value in S3_ENV.items() for x in ("--env", f"{name}={value}")]
    return setup(home, password, "--repository", where, "--password-stdin", *keys, *args)


def new_bucket(endpoint: str) -> str:
    return f"s3:{endpoint}/setup-{uuid.uuid4().hex[:12]}"


def no_secret_in(done: subprocess.CompletedProcess[str], *secrets: str) -> bool:
    return not any(s in done.stdout + done.stderr for s in secrets)


def test_s3_with_init_then_the_monitor_backs_up_there(
    home: Home,
    sample: Path,
    tmp_path: Path,
    restic_exe: str,
    moto: str,
    daemons: list[DaemonProcess],
) -> None:
    where = new_bucket(moto)
    started = time.monotonic()
    done = s3_setup(home, SECRET, where, "--folder", str(sample), "--init",
                    "--restic-exe", restic_exe)  # fmt: skip
    assert done.returncode == 0, done.stderr
    # A bucket that does not exist yet is "no repository there yet", at once (restic
    # 0.17+ retries that for 15 minutes).
    assert time.monotonic() - started < 30
    assert f"Created a new repository at {where}." in done.stderr
    assert no_secret_in(done, SECRET, S3_SECRET)
    env = {"RESTIC_REPOSITORY": where, "RESTIC_PASSWORD": SECRET, **S3_ENV}
    assert json.loads(home.env_json.read_text()) == env
    assert json.loads(home.settings_json.read_text())["args"][-1] == str(sample)

    repo = restic_in(env, restic_exe)
    backs_up_through_the_monitor(home, sample, tmp_path, daemons, repo, S3_SECRET)


def test_s3_wrong_password_says_so_and_writes_nothing(
    home: Home, restic_exe: str, moto: str
) -> None:
    where = new_bucket(moto)
    repo = restic_in({"RESTIC_REPOSITORY": where, "RESTIC_PASSWORD": SECRET, **S3_ENV}, restic_exe)
    repo.run("init")
    config = repo.run("cat", "config").stdout

    done = s3_setup(home, "not-the-password", where, "--init", "--restic-exe", restic_exe)

    assert done.returncode == 1, done.stderr
    assert f"The password does not open the repository at {where}" in done.stderr
    assert "Nothing was written" in done.stderr
    assert no_secret_in(done, "not-the-password", S3_SECRET)
    assert nothing_written(home)
    assert repo.run("cat", "config").stdout == config  # --init left the repository alone


def test_s3_endpoint_nobody_answers_says_cannot_reach_at_once_and_writes_nothing(
    home: Home, restic_exe: str
) -> None:
    where = f"s3:http://127.0.0.1:{_free_port()}/setup-nobody-there"
    started = time.monotonic()

    done = s3_setup(home, SECRET, where, "--init", "--restic-exe", restic_exe)

    assert done.returncode == 1, done.stderr
    # restic 0.17+ retries a refused connection for 15 minutes; setup answers from
    # its first try.
    assert time.monotonic() - started < 30
    assert f"Cannot reach {where}: nothing answers there (connection refused)" in done.stderr
    assert "Nothing was written" in done.stderr
    assert no_secret_in(done, SECRET, S3_SECRET)
    assert nothing_written(home)


# --- SFTP: OpenSSH's sshd ---------------------------------------------------------------


@dataclass
class Sshd:
    port: int
    user: str
    key: Path  # the user's private key, authorized by the server
    host_key: str  # the server's public host key, for known_hosts
    log: Path


def _sshd_exe() -> str:
    return shutil.which("sshd", path="/usr/sbin:/usr/local/sbin") or require_tool("sshd")


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """A real sshd on 127.0.0.1 with throwaway keys, letting in the current user."""
    exe, keygen = _sshd_exe(), require_tool("ssh-keygen")
    folder = tmp_path_factory.mktemp("sshd")
    for name in ("host_key", "user_key"):
        subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-C", name, "-f",
                        str(folder / name)], check=True)  # fmt: skip
    shutil.copy(folder / "user_key.pub", folder / "authorized_keys")
    if os.geteuid() == 0:
        # Its privilege separation folder; the systemd unit makes it at boot, a container
        # without systemd lacks it.
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    port, user = _free_port(), pwd.getpwuid(os.getuid()).pw_name
    config = folder / "sshd_config"
    config.write_text(
        f"ListenAddress 127.0.0.1:{port}\nHostKey {folder / 'host_key'}\n"
        f"PidFile {folder / 'sshd.pid'}\nAuthorizedKeysFile {folder / 'authorized_keys'}\n"
        "UsePAM no\nStrictModes no\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
        f"AllowUsers {user}\nSubsystem sftp internal-sftp\nLogLevel VERBOSE\n"
    )
    log = folder / "sshd.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LD_", "NSS_WRAPPER"))}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [exe, "-D", "-e", "-f", str(config)],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
        )  # fmt: skip
    try:
        wait_until(lambda: _answers(port) or proc.poll() is not None, timeout=30)
        assert proc.poll() is None, f"sshd exited with {proc.returncode}: {log.read_text()}"
        host_key = (folder / "host_key.pub").read_text().split()
        yield Sshd(port, user, folder / "user_key", " ".join(host_key[:2]), log)
    finally:
        stop_process(proc)


def _nss_wrapper() -> str:
    found = sorted(
        glob.glob("/usr/lib/*/libnss_wrapper.so") + glob.glob("/usr/lib*/libnss_wrapper.so")
    )
    if not found:
        message = "libnss_wrapper.so is not installed (Debian: libnss-wrapper)"
        if IN_CI:
            pytest.fail(message + " (CI=true: .ci/run must install it)")
        pytest.skip("SKIPPED LOUDLY: " + message + "; install it to run this test")
    return found[0]


@pytest.fixture
def ssh_user(tmp_path: Path, sshd: Sshd, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's processes (setup, the monitor, restic, ssh) run as a user whose home
    holds an ~/.ssh that reaches the server as ``ALIAS``, like anyone's; returns it."""
    ssh, wrapper = require_tool("ssh"), _nss_wrapper()
    me = pwd.getpwuid(os.getuid())
    home = tmp_path / "user-home"
    dot_ssh = home / ".ssh"
    dot_ssh.mkdir(parents=True, mode=0o700)
    shutil.copy(sshd.key, dot_ssh / "id_ed25519")
    (dot_ssh / "id_ed25519").chmod(0o600)
    (dot_ssh / "config").write_text(
        f"Host {ALIAS}\n    HostName 127.0.0.1\n    Port {sshd.port}\n    User {sshd.user}\n"
        "    IdentityFile ~/.ssh/id_ed25519\n    IdentitiesOnly yes\n    BatchMode yes\n"
    )
    (dot_ssh / "known_hosts").write_text(f"[127.0.0.1]:{sshd.port} {sshd.host_key}\n")
    users = tmp_path / "nss"
    users.mkdir()
    (users / "passwd").write_text(
        f"{me.pw_name}:x:{me.pw_uid}:{me.pw_gid}:{me.pw_gecos}:{home}:{me.pw_shell}\n"
    )
    (users / "group").write_text(f"{me.pw_name}:x:{me.pw_gid}:\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("LD_PRELOAD", wrapper)
    monkeypatch.setenv("NSS_WRAPPER_PASSWD", str(users / "passwd"))
    monkeypatch.setenv("NSS_WRAPPER_GROUP", str(users / "group"))
    # The alias resolves from that ~/.ssh, and the host key is known (no prompt, BatchMode).
    probe = subprocess.run([ssh, ALIAS, "true"], capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL, check=False)  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    return home


def test_sftp_with_init_then_the_monitor_backs_up_there(
    home: Home, sample: Path, tmp_path: Path, restic_exe: str, sshd: Sshd, ssh_user: Path,
    daemons: list[DaemonProcess],
) -> None:  # fmt: skip
    folder = tmp_path / "on-the-server" / "repo"
    where = f"sftp:{ALIAS}:{folder}"
    done = setup(home, SECRET, "--repository", where, "--password-stdin", "--folder",
                 str(sample), "--init", "--restic-exe", restic_exe)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"Created a new repository at {where}." in done.stderr
    assert no_secret_in(done, SECRET)
    env = {"RESTIC_REPOSITORY": where, "RESTIC_PASSWORD": SECRET}
    assert json.loads(home.env_json.read_text()) == env
    assert (folder / "config").is_file()
    said = sshd.log.read_text()  # it went through sshd, as the user, with the key
    assert f"Accepted publickey for {sshd.user}" in said
    assert f"Starting session: subsystem 'sftp' for {sshd.user}" in said

    backs_up_through_the_monitor(home, sample, tmp_path, daemons, restic_in(env, restic_exe))
    assert len(list((folder / "snapshots").iterdir())) == 1

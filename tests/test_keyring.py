"""Secrets from the OS keyring: a real Secret Service (GNOME Keyring) on a private session bus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from restic_monitor.config.files import ConfigError
from restic_monitor.config.profile import load_config
from restic_monitor.paths import Home

from .conftest import Repo, files_containing, require_tool, write_config

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="Secret Service is Linux")

KEYRING_SECRET = "keyring-only-s3cret-value"


def _stop_keyring_daemons_of(runtime: Path) -> None:
    """Only the daemon this test started (found by its runtime dir), never the user's own."""
    import psutil

    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] != "gnome-keyring-daemon":
            continue
        try:
            if proc.environ().get("XDG_RUNTIME_DIR") == str(runtime):
                proc.terminate()
        except psutil.Error:
            continue


@pytest.fixture
def secret_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    dbus = require_tool("dbus-daemon")
    keyringd = require_tool("gnome-keyring-daemon")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {
        **os.environ,
        "HOME": str(tmp_path / "user"),
        "XDG_DATA_HOME": str(tmp_path / "user" / "data"),
        "XDG_RUNTIME_DIR": str(runtime),
    }
    bus = subprocess.Popen(
        [dbus, "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert bus.stdout is not None
    env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
    # --unlock reads the login keyring's password from stdin (and creates it).
    subprocess.run(
        [keyringd, "--unlock", "--components=secrets", "--daemonize"],
        input="unlock-pw",
        text=True,
        env=env,
        check=True,
        capture_output=True,
    )
    time.sleep(0.3)
    for key in ("HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS"):
        monkeypatch.setenv(key, env[key])
    try:
        yield env
    finally:
        _stop_keyring_daemons_of(runtime)
        bus.terminate()
        bus.wait(10)


def _cli(
    env: dict[str, str], home: Home, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    run_env = {k: v for k, v in env.items() if k != "RESTIC_MONITOR_HOME"}
    return subprocess.run(
        [sys.executable, "-m", "restic_monitor", "--home", str(home.root), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=run_env,
        timeout=120,
        check=False,
    )


def test_password_from_the_keyring_backs_up_and_never_lands_in_a_file(
    secret_service: dict[str, str],
    home: Home,
    repo: Repo,
    tmp_path: Path,
    restic_exe: str,
) -> None:
    subprocess.run(
        [restic_exe, "key", "passwd", "--new-password-file", "/dev/stdin"],
        input=KEYRING_SECRET,
        env={**os.environ, **repo.env},
        check=True,
        capture_output=True,
        text=True,
    )
    stored = _cli(
        secret_service, home, "secret", "set", "repo-password", stdin=KEYRING_SECRET + "\n"
    )
    assert stored.returncode == 0, stored.stderr
    assert "SecretService" in stored.stdout or "Secret" in stored.stdout
    source = tmp_path / "data"
    source.mkdir()
    (source / "file.txt").write_text("kept safe\n")
    write_config(
        home,
        {"restic_exe": restic_exe, "args": ["backup", str(source)]},
        {"RESTIC_REPOSITORY": str(repo.path)},
    )
    home.env_json.write_text(
        json.dumps(
            {
                "RESTIC_REPOSITORY": str(repo.path),
                "RESTIC_PASSWORD": {"keyring": "repo-password"},
            }
        )
    )

    config = load_config(home)
    backup = _cli(secret_service, home, "backup")

    assert config.env["RESTIC_PASSWORD"] == KEYRING_SECRET
    assert backup.returncode == 0, backup.stdout + backup.stderr
    assert files_containing(home.root, KEYRING_SECRET) == []
    assert KEYRING_SECRET not in repr(config)


def test_a_missing_keyring_entry_is_a_clear_configuration_problem(
    secret_service: dict[str, str], home: Home
) -> None:
    home.settings_json.write_text(json.dumps({"args": ["backup", "/x"]}))
    home.env_json.write_text(json.dumps({"RESTIC_PASSWORD": {"keyring": "never-stored"}}))

    with pytest.raises(ConfigError) as caught:
        load_config(home)

    message = str(caught.value)
    assert "env.json: RESTIC_PASSWORD: no keyring entry 'never-stored'" in message
    assert "restic-monitor secret set never-stored" in message


def test_secret_delete_removes_the_entry(secret_service: dict[str, str], home: Home) -> None:
    assert _cli(secret_service, home, "secret", "set", "gone", stdin="x-value\n").returncode == 0

    first = _cli(secret_service, home, "secret", "delete", "gone")
    second = _cli(secret_service, home, "secret", "delete", "gone")

    assert first.returncode == 0
    assert second.returncode == 1 and "No keyring entry" in second.stdout


def test_no_secret_service_is_a_problem_not_a_crash(
    home: Home, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    write_config(home, {"args": ["backup", "/x"]}, {})
    home.env_json.write_text(json.dumps({"RESTIC_PASSWORD": {"keyring": "anything"}}))

    with pytest.raises(ConfigError) as caught:
        load_config(home)

    assert "keyring entry 'anything'" in str(caught.value)


def test_setup_with_keyring_keeps_the_password_out_of_every_file(
    secret_service: dict[str, str], home: Home, tmp_path: Path, restic_exe: str
) -> None:
    source = tmp_path / "data"
    source.mkdir()
    (source / "file.txt").write_text("kept safe\n")
    where = tmp_path / "new-repo"
    done = _cli(
        secret_service, home, "setup", "--repository", str(where), "--password-stdin",
        "--folder", str(source), "--init", "--keyring", "--restic-exe", restic_exe,
        stdin=KEYRING_SECRET + "\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    env = json.loads(home.env_json.read_text())
    assert env["RESTIC_PASSWORD"] == {"keyring": "restic-monitor default password"}
    backup = _cli(secret_service, home, "backup")
    assert backup.returncode == 0, backup.stdout + backup.stderr
    assert files_containing(home.root, KEYRING_SECRET) == []

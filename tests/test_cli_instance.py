"""The command line against a running instance, and without one."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from restic_monitor.control import ControlClient, ControlError
from restic_monitor.isotime import parse_iso
from restic_monitor.paths import Home
from restic_monitor.state.files import read_pause

if TYPE_CHECKING:
    from restic_monitor.platform.endpoint import Connection, Listener

from .conftest import (
    SECRET,
    DaemonProcess,
    FakeRestic,
    cli,
    cli_env,
    start_daemon,
    wait_until,
    write_config,
)


def _fake_config(home: Home, fake: FakeRestic, **extra: object) -> None:
    settings: dict[str, object] = {
        "restic_exe": str(fake.exe),
        "args": ["backup", "/data"],
        "min_idle_seconds": 300,
        "min_seconds_between_backups": 3600,
    }
    settings.update(extra)
    write_config(home, settings, {"RESTIC_REPOSITORY": "/repo", "RESTIC_PASSWORD": SECRET})


def test_second_run_for_the_same_home_exits_non_zero_with_a_clear_message(
    home: Home, fake_restic: FakeRestic, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    _fake_config(home, fake_restic)
    first = start_daemon(home, tmp_path / "idle")
    daemons.append(first)

    second = cli(home, "run", "--headless", "--idle-source", "fixed:0", timeout=30)

    assert second.returncode == 4
    assert "already running" in second.stderr
    assert str(first.proc.pid) in second.stderr
    assert first.proc.poll() is None


def test_backup_through_instance_waits_and_returns_the_outcome(
    home: Home, fake_restic: FakeRestic, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    _fake_config(home, fake_restic)
    fake_restic.plan(exit=3, sleep=1)
    daemons.append(start_daemon(home, tmp_path / "idle"))

    result = cli(home, "backup")

    assert result.returncode == 3
    assert "Backup incomplete" in result.stdout
    assert "ignore_exit_code_3" in result.stdout
    assert fake_restic.starts() == 1


def test_backup_while_one_runs_says_so_and_waits_for_that_one(
    home: Home, fake_restic: FakeRestic, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    _fake_config(home, fake_restic)
    fake_restic.plan(sleep=3)
    daemons.append(start_daemon(home, tmp_path / "idle"))
    started = cli(home, "backup", "--no-wait")
    assert started.returncode == 0, started.stderr

    joined = cli(home, "backup")

    assert joined.returncode == 0, joined.stderr
    assert "already running" in joined.stderr
    assert fake_restic.starts() == 1
    assert fake_restic.max_concurrent() == 1


def test_stop_pause_resume_through_instance(
    home: Home, fake_restic: FakeRestic, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    _fake_config(home, fake_restic)
    fake_restic.plan(sleep=60)
    daemon = start_daemon(home, tmp_path / "idle")
    daemons.append(daemon)
    assert cli(home, "backup", "--no-wait").returncode == 0
    wait_until(lambda: daemon.status()["running"], timeout=15)

    stopped = cli(home, "stop")
    status = wait_until(lambda: (s := daemon.status())["last_run"] and s, timeout=15)
    assert "Asked restic to stop" in stopped.stdout
    assert status["last_run"]["outcome"] == "interrupted"

    before = time.time()
    paused = cli(home, "pause", "--for", "10m")
    assert paused.returncode == 0
    until = read_pause(home)
    assert until is not None and 595 <= until - before <= 605
    assert daemon.status()["paused"] is True

    assert cli(home, "resume").returncode == 0
    assert read_pause(home) is None
    assert daemon.status()["paused"] is False
    assert cli(home, "stop").stdout.strip() == "No backup is running."


def test_status_json_has_the_documented_fields_with_and_without_instance(
    home: Home, fake_restic: FakeRestic, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    _fake_config(home, fake_restic)
    required = {
        "running",
        "progress",
        "paused_until",
        "last_success",
        "last_run",
        "warning",
        "next_backup_earliest",
        "config_error",
        "instance_running",
    }
    offline = json.loads(cli(home, "status", "--json").stdout)
    assert required <= offline.keys()
    assert offline["instance_running"] is False

    daemon = start_daemon(home, tmp_path / "idle")
    daemons.append(daemon)
    fake_restic.plan(sleep=60)
    cli(home, "backup", "--no-wait")
    live = wait_until(lambda: (s := daemon.status())["progress"] and s, timeout=15)

    assert required <= live.keys()
    assert live["instance_running"] is True
    assert live["running"] is True
    assert live["progress"]["fraction"] == 0.5
    assert live["progress"]["eta_seconds"] == 7
    cli(home, "stop")
    done = wait_until(lambda: (s := daemon.status())["last_run"] and s, timeout=15)
    run = done["last_run"]
    assert {"started", "ended", "exit_code", "outcome"} <= run.keys()
    assert run["outcome"] == "interrupted"
    assert done["running"] is False


def test_pause_and_resume_without_instance_edit_the_file(
    home: Home, fake_restic: FakeRestic
) -> None:
    _fake_config(home, fake_restic, pause_seconds=120)

    result = cli(home, "pause")

    until = read_pause(home)
    assert result.returncode == 0
    assert until is not None and 115 <= until - time.time() <= 121
    status = json.loads(cli(home, "status", "--json").stdout)
    assert parse_iso(status["paused_until"]) == pytest.approx(until, abs=1)
    assert cli(home, "resume").returncode == 0
    assert not home.pause_until.exists()


def test_control_channel_works_with_a_very_long_home_path(
    tmp_path: Path,
    fake_restic: FakeRestic,
    daemons: list[DaemonProcess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = Path(tempfile.mkdtemp(prefix="rm-tmp-"))  # the temp folder the instance sees
    monkeypatch.setenv("TMPDIR", str(base))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    deep = tmp_path / ("a-rather-long-folder-name-" * 6) / "restic-monitor-home"
    home = Home(deep)
    home.ensure()
    assert len(str(deep / "control.sock")) > 108
    _fake_config(home, fake_restic)

    try:
        daemon = start_daemon(home, tmp_path / "idle")
        daemons.append(daemon)

        assert daemon.status()["instance_running"] is True
        address = Path(json.loads(home.control_json.read_text())["address"])
        assert len(os.fsencode(address)) <= 100
        assert address.parent == base / f"restic-monitor-{os.getuid()}"
        folder = address.parent.lstat()
        assert stat.S_ISDIR(folder.st_mode) and folder.st_uid == os.getuid()
        assert stat.S_IMODE(folder.st_mode) == 0o700
        assert "private folder" not in home.app_log.read_text()
        assert daemon.stop() == 0
        assert not address.exists()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_control_channel_rejects_bad_tokens_garbage_and_oversized_requests(
    home: Home, fake_restic: FakeRestic, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    _fake_config(home, fake_restic)
    daemon = start_daemon(home, tmp_path / "idle")
    daemons.append(daemon)
    info = json.loads(home.control_json.read_text())
    assert home.control_json.stat().st_mode & 0o077 == 0
    assert Path(info["address"]).stat().st_mode & 0o077 == 0

    def ask(payload: bytes) -> dict[str, object]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10)
            sock.connect(info["address"])
            with contextlib.suppress(OSError):
                sock.sendall(payload)
            data = sock.makefile("rb").readline()
        answer: dict[str, object] = json.loads(data)
        return answer

    wrong = ask(json.dumps({"token": "0" * 64, "command": "stop"}).encode() + b"\n")
    garbage = ask(b"\x00\xffnot json\n")
    huge = ask(b'{"token": "' + b"x" * 200_000 + b'"}\n')

    assert wrong == {"done": True, "ok": False, "error": "invalid or missing token"}
    assert garbage["ok"] is False
    assert huge["ok"] is False and "larger than" in str(huge["error"])
    assert daemon.proc.poll() is None
    assert daemon.status()["instance_running"] is True


def _foreground_backup(home: Home, fake: FakeRestic) -> subprocess.Popen[str]:
    """`restic-monitor backup` in a terminal with no instance running, once restic runs."""
    backup = subprocess.Popen(
        [sys.executable, "-m", "restic_monitor", "--home", str(home.root), "backup"],
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_until(lambda: fake.starts() == 1, timeout=15)
    return backup


def test_foreground_backup_holds_the_instance_lock(
    home: Home, fake_restic: FakeRestic, tmp_path: Path
) -> None:
    _fake_config(home, fake_restic)
    fake_restic.plan(sleep=4)
    backup = _foreground_backup(home, fake_restic)
    try:
        run = cli(home, "run", "--headless", "--idle-source", "fixed:0", timeout=30)
        assert run.returncode == 4
        assert "already running" in run.stderr
    finally:
        out, err = backup.communicate(timeout=60)
    assert backup.returncode == 0, err
    assert "Backup succeeded" in out


def test_init_writes_examples_that_only_need_the_repository(home: Home) -> None:
    result = cli(home, "init")

    assert result.returncode == 0
    settings = json.loads(home.settings_json.read_text())
    assert settings["args"][0] == "backup"
    assert home.env_json.stat().st_mode & 0o077 == 0
    again = cli(home, "init")
    assert "Kept existing" in again.stdout
    check = cli(home, "check")
    assert "Configuration: ok" in check.stdout


def test_status_reports_every_configuration_problem(home: Home) -> None:
    home.settings_json.write_text(
        json.dumps({"args": "backup", "min_idle_second": 5, "ignore_exit_code_3": "false"})
    )
    home.env_json.write_text(json.dumps({"RESTIC_PASSWORD": 1234567}))

    result = cli(home, "status")

    assert result.returncode == 2
    assert "did you mean min_idle_seconds?" in result.stdout
    assert "ignore_exit_code_3" in result.stdout and "without quotes" in result.stdout
    assert "args: expected a list of strings" in result.stdout
    assert "env.json: RESTIC_PASSWORD: expected a string value" in result.stdout
    assert "1234567" not in result.stdout


def test_missing_configuration_points_to_init(home: Home) -> None:
    result = cli(home, "backup")

    assert result.returncode == 2
    assert f"restic-monitor --home {home.root} init" in result.stderr
    assert str(home.settings_json) in result.stderr


def test_idle_command_reports_source_and_seconds(home: Home, tmp_path: Path) -> None:
    idle = tmp_path / "idle"
    idle.write_text("42.5")

    result = cli(home, "idle", "--json", "--idle-source", f"file:{idle}")
    unknown = cli(home, "idle", "--json", "--idle-source", "none")

    assert json.loads(result.stdout) == {"seconds": 42.5, "source": f"file:{idle}"}
    assert json.loads(unknown.stdout)["seconds"] is None


def test_sigterm_stops_a_running_backup_gracefully(
    home: Home, fake_restic: FakeRestic, tmp_path: Path
) -> None:
    _fake_config(home, fake_restic)
    fake_restic.plan(sleep=60)
    daemon = start_daemon(home, tmp_path / "idle")
    try:
        cli(home, "backup", "--no-wait")
        wait_until(lambda: fake_restic.starts() == 1, timeout=15)
    finally:
        code = daemon.stop(timeout=30)

    assert code == 0
    events = [e[0] for e in fake_restic.events()]
    assert events.count("end") == 1, "restic must have ended before the monitor"
    history = json.loads(cli(home, "history", "--json", "--kind", "backup").stdout)
    assert history[0]["outcome"] == "interrupted"
    assert not home.control_json.exists()


def test_shell_has_the_restic_environment_and_prints_no_secret(
    home: Home, fake_restic: FakeRestic
) -> None:
    _fake_config(home, fake_restic)
    env = {**cli_env(), "SHELL": "/bin/sh"}

    result = subprocess.run(
        [sys.executable, "-m", "restic_monitor", "--home", str(home.root), "shell"],
        input='echo "repo=$RESTIC_REPOSITORY"; restic version; exit 7\n',
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )

    assert result.returncode == 7
    assert "repo=/repo" in result.stdout
    assert "compiled with fake" in result.stdout, "restic_exe's folder comes first on PATH"
    assert "RESTIC_PASSWORD" in result.stdout  # the banner names the variables...
    banner = result.stdout.splitlines()[0]
    assert SECRET not in banner  # ...but never shows a value
    assert "RESTIC_PASSWORD" not in os.environ


def test_restic_passthrough_hands_options_to_restic_untouched(
    home: Home, fake_restic: FakeRestic
) -> None:
    _fake_config(home, fake_restic)

    result = cli(home, "restic", "--json", "version")

    assert result.returncode == 0, result.stderr
    assert "compiled with fake" in result.stdout


def test_commands_reach_a_foreground_backup(home: Home, fake_restic: FakeRestic) -> None:
    _fake_config(home, fake_restic)
    fake_restic.plan(sleep=60)
    backup = _foreground_backup(home, fake_restic)
    try:
        status = json.loads(cli(home, "status", "--json").stdout)
        stopped = cli(home, "stop")
    finally:
        out, err = backup.communicate(timeout=60)

    assert status["running"] is True
    assert status["current_run"]["trigger"] == "manual"
    assert "Asked restic to stop" in stopped.stdout
    assert backup.returncode == 130, err
    assert "Backup interrupted" in out


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/PID/maps")
def test_headless_run_never_loads_qt(
    home: Home, fake_restic: FakeRestic, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    _fake_config(home, fake_restic)
    daemon = start_daemon(home, tmp_path / "idle")
    daemons.append(daemon)

    maps = Path(f"/proc/{daemon.proc.pid}/maps").read_text()

    assert "libQt6" not in maps
    assert "PySide6" not in maps


def test_client_reads_an_answer_sent_before_the_instance_read_the_request(
    home: Home, tmp_path: Path
) -> None:
    """A refusal that arrives before the request was sent is still the answer shown."""
    address = str(tmp_path / "s")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(address)
    server.listen()
    accepted = threading.Event()

    def refuse() -> None:
        conn, _ = server.accept()
        conn.sendall(b'{"done": true, "ok": false, "error": "permission denied"}\n')
        conn.close()
        accepted.set()

    threading.Thread(target=refuse, daemon=True).start()
    home.ensure()
    home.control_json.write_text(
        json.dumps({"family": "unix", "address": address, "token": "t" * 64})
    )
    client = ControlClient(home)
    original = client._connect

    def connect_then_wait() -> Connection:
        sock = original()
        assert accepted.wait(5)  # the instance has answered and hung up already
        return sock

    client._connect = connect_then_wait  # type: ignore[method-assign]
    with pytest.raises(ControlError, match="permission denied"):
        client.call("status", wait=False)
    server.close()


def _run_until_answering(
    home: Home, argv: list[str], env: dict[str, str]
) -> tuple[dict[str, object], str]:
    """Start ``run`` as given; once it answers, its status and what it printed."""
    err = home.root / "run-stderr.txt"
    with err.open("w") as stderr:
        proc = subprocess.Popen(
            argv, env=env, stdout=subprocess.DEVNULL, stderr=stderr, stdin=subprocess.DEVNULL
        )
    try:

        def answering() -> bool:
            assert proc.poll() is None, f"run exited with {proc.returncode}: {err.read_text()}"
            return home.control_json.exists() and cli(home, "status", "--json").returncode == 0

        wait_until(answering, timeout=30)
        status = json.loads(cli(home, "status", "--json").stdout)
    finally:
        proc.terminate()
        proc.wait(30)
    return status, err.read_text()


@pytest.mark.parametrize("display", [":87", "unix:/nonexistent/socket"])
def test_run_with_a_display_that_cannot_be_opened_backs_up_headless(
    home: Home, fake_restic: FakeRestic, tmp_path: Path, display: str
) -> None:
    _fake_config(home, fake_restic, min_idle_seconds=0)
    env = cli_env()
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("WAYLAND_DISPLAY", None)
    env["DISPLAY"] = display
    argv = [sys.executable, "-m", "restic_monitor", "--home", str(home.root), "run"]
    status, stderr = _run_until_answering(home, [*argv, "--idle-source", "fixed:0"], env)

    assert status["instance_running"] is True
    assert "no tray" in stderr and "cannot be opened" in stderr and display in stderr
    wait_until(lambda: fake_restic.starts() >= 1, timeout=15)  # and it backs up


def test_run_without_qt_backs_up_headless(
    home: Home, fake_restic: FakeRestic, tmp_path: Path
) -> None:
    _fake_config(home, fake_restic, min_idle_seconds=0)
    env = cli_env()
    env["QT_QPA_PLATFORM"] = "offscreen"
    hide_qt = (
        "import sys; sys.modules['PySide6'] = None; "
        "from restic_monitor.cli.main import main; sys.exit(main(sys.argv[1:]))"
    )
    argv = [sys.executable, "-c", hide_qt, "--home", str(home.root), "run"]
    status, stderr = _run_until_answering(home, [*argv, "--idle-source", "fixed:0"], env)

    assert status["instance_running"] is True
    assert "no tray (Qt cannot be loaded" in stderr
    wait_until(lambda: fake_restic.starts() >= 1, timeout=15)


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_foreground_backup_killed_or_hung_up_stops_restic_first(
    home: Home, fake_restic: FakeRestic, signame: str
) -> None:
    _fake_config(home, fake_restic)
    fake_restic.plan(sleep=60)
    backup = _foreground_backup(home, fake_restic)
    backup.send_signal(getattr(signal, signame))
    _out, err = backup.communicate(timeout=60)

    assert backup.returncode == 130, err
    assert [e[0] for e in fake_restic.events()].count("end") == 1  # restic was stopped
    status = json.loads(cli(home, "status", "--json").stdout)
    assert status["running"] is False
    assert status["last_run"]["outcome"] == "interrupted"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="tgkill is Linux's")
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_a_stop_signal_landing_on_another_thread_stops_the_daemon_at_once(
    home: Home, fake_restic: FakeRestic, tmp_path: Path, signame: str
) -> None:
    """The kernel hands a process's signal to any of its threads. The main thread, which
    waits for the stop, must learn of it whichever thread it landed on (it did not: a
    SIGTERM taken by the engine's thread was answered only when something else woke it)."""
    import ctypes

    _fake_config(home, fake_restic)
    daemon = start_daemon(home, tmp_path / "idle")
    try:
        pid = daemon.proc.pid
        others = sorted(int(t) for t in os.listdir(f"/proc/{pid}/task") if int(t) != pid)
        assert others, "the daemon runs its engine and control channel in threads"
        libc = ctypes.CDLL(None, use_errno=True)
        assert libc.tgkill(pid, others[0], getattr(signal, signame)) == 0
        assert daemon.proc.wait(10) == 0
    finally:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.proc.wait()
    assert "restic-monitor stopped" in home.app_log.read_text()


def test_control_server_out_of_file_descriptors_waits_instead_of_spinning(home: Home) -> None:
    import errno

    from restic_monitor.control import ControlServer, connect

    home.ensure()
    server = ControlServer(home, lambda command, args, send: {"pong": True})
    server.start()

    class OutOfDescriptors:
        def __init__(self, real: Listener) -> None:
            self.real = real
            self.failing = True

        def accept(self) -> tuple[Connection, Any]:
            if self.failing:
                raise OSError(errno.EMFILE, "Too many open files")
            return self.real.accept()

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

    try:
        assert server._sock is not None
        proxy = OutOfDescriptors(server._sock)
        server._sock = proxy  # type: ignore[assignment]
        connect(home)  # its ping is served by the accept already waiting; the next one fails
        cpu = time.process_time()
        time.sleep(1.5)
        assert time.process_time() - cpu < 0.5, "the accept loop spins"

        proxy.failing = False
        assert connect(home).call("status") == {"pong": True}
    finally:
        server.close()


def test_an_instance_that_accepts_but_never_answers_gives_exit_4(
    home: Home, tmp_path: Path
) -> None:
    from restic_monitor.instance import InstanceLock

    home.ensure()
    address = str(tmp_path / "stuck.sock")
    stuck = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stuck.bind(address)
    stuck.listen(8)  # connections queue up; nobody ever reads them
    home.control_json.write_text(json.dumps({"family": "unix", "address": address, "token": "t"}))
    lock = InstanceLock(home.lock)
    assert lock.acquire()
    try:
        result = cli(home, "status", timeout=60)
    finally:
        lock.release()
        stuck.close()

    assert result.returncode == 4, result.stderr
    assert "did not answer" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["inf", "nan", "1e12"])
def test_pause_for_an_impossible_duration_is_a_usage_error(home: Home, value: str) -> None:
    result = cli(home, "pause", "--for", value)

    assert result.returncode == 2
    assert "pause --for" in result.stderr and "Traceback" not in result.stderr
    assert not home.pause_until.exists()


@pytest.mark.parametrize("value", ["0", "-1", "x"])
def test_history_limit_must_be_a_positive_number(home: Home, value: str) -> None:
    result = cli(home, "history", "--limit", value)

    assert result.returncode == 2
    assert "--limit" in result.stderr


def test_status_without_an_instance_does_not_ask_the_keyring(
    home: Home, fake_restic: FakeRestic
) -> None:
    home.ensure()
    home.settings_json.write_text(
        json.dumps({"restic_exe": str(fake_restic.exe), "args": ["backup", "/data"]})
    )
    home.env_json.write_text(json.dumps({"RESTIC_PASSWORD": {"keyring": "no-such-entry-here"}}))
    home.env_json.chmod(0o600)
    env_before = cli_env()
    env_before["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

    status = subprocess.run(
        [sys.executable, "-m", "restic_monitor", "--home", str(home.root), "status", "--json"],
        capture_output=True,
        text=True,
        env=env_before,
        timeout=60,
        check=False,
    )
    checked = subprocess.run(
        [sys.executable, "-m", "restic_monitor", "--home", str(home.root), "check"],
        capture_output=True,
        text=True,
        env=env_before,
        timeout=60,
        check=False,
    )

    assert status.returncode == 0, status.stdout + status.stderr
    assert json.loads(status.stdout)["config_error"] is None
    assert checked.returncode == 2  # check does look, and says what is missing
    assert "no-such-entry-here" in checked.stdout + checked.stderr


def test_history_json_is_written_as_it_is_read_in_the_same_form_as_before(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    import json as json_module

    from restic_monitor.cli.commands import _json_array

    items = [{"id": i, "kind": "backup", "nested": {"a": [1, 2]}} for i in range(3)]
    for chosen in (items, []):
        _json_array(iter(chosen))
        assert capsys.readouterr().out == json_module.dumps(chosen, indent=2) + "\n"


def test_status_json_of_a_running_instance_imports_only_what_asking_needs(
    home: Home, fake_restic: FakeRestic, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    """The command scripts and status bars call every few seconds stays near the
    interpreter's own start: no typing, sqlite, Qt, engine or status model."""
    _fake_config(home, fake_restic)
    daemons.append(start_daemon(home, tmp_path / "idle"))
    listing = (
        "import sys, atexit; "
        "atexit.register(lambda: sys.stderr.write('MODULES ' + ' '.join(sys.modules))); "
        "from restic_monitor.cli.entry import main; sys.exit(main(sys.argv[1:]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", listing, "--home", str(home.root), "status", "--json"],
        capture_output=True, text=True, env=cli_env(), timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and json.loads(done.stdout)["instance_running"] is True
    loaded = set(done.stderr.rsplit("MODULES ", 1)[1].split())
    heavy = {"typing", "sqlite3", "PySide6", "dataclasses", "logging", "subprocess", "argparse"}
    heavy |= {"restic_monitor.engine", "restic_monitor.status.model", "restic_monitor.tray"}
    assert heavy & loaded == set(), sorted(heavy & loaded)

    # The full command line (argparse and all) prints the same answer.
    full = subprocess.run(
        [sys.executable, "-c", "import sys; from restic_monitor.cli.main import main; "
         "sys.exit(main(sys.argv[1:]))", "--home", str(home.root), "status", "--json"],
        capture_output=True, text=True, env=cli_env(), timeout=60, check=False,
    )  # fmt: skip
    drop = ("idle_seconds", "last_success_age_seconds")  # (they move with the clock)
    quick, whole = json.loads(done.stdout), json.loads(full.stdout)
    for answer in (quick, whole, *quick["profiles"], *whole["profiles"]):
        for key in drop:
            answer.pop(key, None)
    assert (full.returncode, whole) == (done.returncode, quick)


def test_only_exactly_status_json_is_answered_before_the_parser() -> None:
    from restic_monitor.cli.quick_status import _parse

    answered = {
        ("status", "--json"): (None, None),
        ("--home", "/h", "status", "--json"): ("/h", None),
        ("--home=/h", "--profile", "p", "status", "--json"): ("/h", "p"),
        ("status", "--json", "--profile=p"): (None, "p"),
        ("status", "--profile", "p", "--json"): (None, "p"),
    }
    for argv, expected in answered.items():
        assert _parse(list(argv)) == expected, argv
    for argv in (
        ("status",), ("--json", "status"), ("status", "--json", "--json"), ("status", "--js"),
        ("status", "--json", "--home", "/h"), ("--home", "status", "--json"), ("--home",),
        ("--profile", "a", "status", "--json", "--profile", "b"), ("--debug", "status", "--json"),
        ("status", "--json", "-h"), ("backup",), (), ("status", "--json", "--profile="),
    ):  # fmt: skip
        assert _parse(list(argv)) is None, argv

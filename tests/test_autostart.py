"""Start at login: the files install writes (for real on Linux) and the Windows/macOS formats."""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from restic_monitor.paths import Home
from restic_monitor.platform.autostart import (
    MARKER,
    command_for,
    desktop_exec_quote,
    launch_agent,
    scheduled_task_xml,
    systemd_unit,
)

from .conftest import IN_CI, cli_env

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="XDG autostart and systemd")


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(path))
    return path


def _cli(home: Home, config_home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line as run from this checkout (which install refuses without a flag)."""
    env = {**cli_env(), "XDG_CONFIG_HOME": str(config_home)}
    if args and args[0] == "install":
        args = (*args, "--use-this-environment")
    return subprocess.run(
        [sys.executable, "-m", "restic_monitor", "--home", str(home.root), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def _validator(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is required in CI (.ci/run must install it)")
        pytest.skip(f"SKIPPED LOUDLY: {name} not installed")
    return path


@linux_only
def test_install_writes_a_valid_xdg_autostart_entry_and_uninstall_removes_only_it(
    home: Home, config_home: Path
) -> None:
    own = config_home / "autostart" / "my-own.desktop"
    own.parent.mkdir(parents=True)
    own.write_text("[Desktop Entry]\nType=Application\nName=mine\nExec=true\n")
    home.settings_json.unlink(missing_ok=True)

    dry = _cli(home, config_home, "install", "--dry-run")
    assert dry.returncode == 0
    assert not (config_home / "autostart" / "restic-monitor.desktop").exists()
    assert "write " in dry.stdout

    first = _cli(home, config_home, "install")
    second = _cli(home, config_home, "install")

    entry = config_home / "autostart" / "restic-monitor.desktop"
    assert first.returncode == 0, first.stderr
    assert "unchanged" in second.stdout, "install is idempotent"
    subprocess.run([_validator("desktop-file-validate"), str(entry)], check=True)
    text = entry.read_text()
    assert f"--home {home.root} run" in text
    assert "--headless" not in text
    assert home.settings_json.exists() and home.env_json.exists(), "examples written"

    removed = _cli(home, config_home, "uninstall")
    assert removed.returncode == 0
    assert not entry.exists()
    assert own.exists(), "uninstall never touches what it did not write"
    assert home.settings_json.exists() and home.env_json.exists(), "configuration kept"


@linux_only
def test_install_headless_writes_a_systemd_user_service_instead(
    home: Home, config_home: Path, tmp_path: Path
) -> None:
    _cli(home, config_home, "install")
    result = _cli(home, config_home, "install", "--headless")

    unit = config_home / "systemd" / "user" / "restic-monitor.service"
    assert unit.exists()
    assert not (config_home / "autostart" / "restic-monitor.desktop").exists()
    assert "run --headless" in unit.read_text()
    analyze = _validator("systemd-analyze")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    verify = subprocess.run(
        [analyze, "--user", "verify", str(unit)],
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stderr
    if "could not run systemctl" in result.stdout:  # no user manager here: said so, exit 1
        assert result.returncode == 1
        assert "left for you to run" in result.stdout

    _cli(home, config_home, "uninstall")
    assert not unit.exists()


@linux_only
def test_install_refuses_to_overwrite_a_file_it_did_not_write(
    home: Home, config_home: Path
) -> None:
    entry = config_home / "autostart" / "restic-monitor.desktop"
    entry.parent.mkdir(parents=True)
    entry.write_text("[Desktop Entry]\nType=Application\nName=hand made\nExec=true\n")

    result = _cli(home, config_home, "install")

    assert result.returncode == 1
    assert "was not written by restic-monitor" in result.stderr
    assert "hand made" in entry.read_text()


@pytest.mark.parametrize(
    ("arg", "quoted"),
    [
        ("/usr/bin/python3", "/usr/bin/python3"),
        ("/home/me/My Backups", '"/home/me/My Backups"'),
        ("100%", "100%%"),
        ('say "hi"', '"say \\\\"hi\\\\""'),
        ("$HOME", '"\\\\$HOME"'),
    ],
)
def test_desktop_exec_quoting(arg: str, quoted: str) -> None:
    assert desktop_exec_quote(arg) == quoted


def test_windows_task_xml_matches_the_earlier_tools_manual_setup(tmp_path: Path) -> None:
    argv = ["C:\\Users\\me\\AppData\\Local\\restic-monitor\\app\\restic-monitor.exe", "run"]
    xml = scheduled_task_xml(argv, "PC\\me", Path("C:\\Users\\me\\AppData\\Local\\restic-monitor"))
    data = xml.encode("utf-16")

    root = ET.fromstring(data.decode("utf-16").split("?>", 1)[1])
    ns = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}

    assert data[:2] == b"\xff\xfe", "schtasks /XML wants UTF-16 with a BOM"
    assert root.tag == "{http://schemas.microsoft.com/windows/2004/02/mit/task}Task"
    assert root.findtext("t:Triggers/t:LogonTrigger/t:UserId", namespaces=ns) == "PC\\me"
    principal = root.find("t:Principals/t:Principal", ns)
    assert principal is not None
    assert principal.findtext("t:LogonType", namespaces=ns) == "InteractiveToken"  # logged on
    assert principal.findtext("t:RunLevel", namespaces=ns) == "HighestAvailable"  # highest
    assert root.findtext("t:Settings/t:ExecutionTimeLimit", namespaces=ns) == "PT0S"  # no limit
    assert root.findtext("t:Actions/t:Exec/t:Command", namespaces=ns) == argv[0]
    assert root.findtext("t:Actions/t:Exec/t:Arguments", namespaces=ns) == "run"
    assert root.findtext("t:RegistrationInfo/t:URI", namespaces=ns) == "\\restic-monitor"
    assert MARKER in (root.findtext("t:RegistrationInfo/t:Description", namespaces=ns) or "")


def test_windows_task_arguments_quote_paths_with_spaces() -> None:
    xml = scheduled_task_xml(
        ["C:\\Python\\pythonw.exe", "-m", "restic_monitor", "--home", "D:\\My Backups", "run"],
        "me",
        Path("D:\\"),
    )
    args = ET.fromstring(xml.split("?>", 1)[1]).findtext(
        "t:Actions/t:Exec/t:Arguments",
        namespaces={"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"},
    )
    assert args == '-m restic_monitor --home "D:\\My Backups" run'


def test_launch_agent_plist(tmp_path: Path) -> None:
    data = plistlib.loads(launch_agent(["/Applications/restic-monitor.app/x", "run"], tmp_path))

    assert data["Label"] == "restic-monitor"
    assert data["ProgramArguments"] == ["/Applications/restic-monitor.app/x", "run"]
    assert data["RunAtLoad"] is True
    assert data["KeepAlive"] == {"SuccessfulExit": False}
    assert data["LimitLoadToSessionType"] == "Aqua"
    assert data["Comment"] == MARKER


def test_systemd_unit_quotes_and_restarts_on_failure() -> None:
    unit = systemd_unit(["/opt/my app/python", "-m", "restic_monitor", "run", "--headless"])

    assert 'ExecStart="/opt/my app/python" -m restic_monitor run --headless' in unit
    assert "Restart=on-failure" in unit
    assert unit.startswith(f"# {MARKER}")


def test_the_command_bakes_in_only_a_non_default_home(tmp_path: Path) -> None:
    assert command_for(["/usr/bin/restic-monitor"], None, False) == [
        "/usr/bin/restic-monitor",
        "run",
    ]
    argv = command_for(["/usr/bin/restic-monitor"], tmp_path, True)
    assert argv[-4:] == ["--home", str(tmp_path), "run", "--headless"]


@linux_only
def test_install_service_system_plans_a_boot_time_system_unit_that_systemd_accepts(
    home: Home, config_home: Path, tmp_path: Path
) -> None:
    planned = _cli(home, config_home, "install", "--service", "--system", "--dry-run")
    assert planned.returncode == 0, planned.stderr
    out = planned.stdout
    assert "write /etc/systemd/system/restic-monitor.service:" in out
    assert f"--home {home.root} run --headless" in out
    assert "WantedBy=multi-user.target" in out and "User=" in out
    assert "run systemctl enable --now restic-monitor.service" in out
    assert not Path("/etc/systemd/system/restic-monitor.service").exists() or (
        "restic-monitor install" in Path("/etc/systemd/system/restic-monitor.service").read_text()
    ), "a dry run writes nothing"
    unit = tmp_path / "restic-monitor.service"
    body = out.split("write /etc/systemd/system/restic-monitor.service:\n", 1)[1]
    lines = []
    for line in body.splitlines():
        if not line.startswith("    ") and line.strip():
            break
        lines.append(line[4:])
    unit.write_text("\n".join(lines) + "\n")
    verify = subprocess.run(
        [_validator("systemd-analyze"), "verify", str(unit)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stderr

    user = _cli(home, config_home, "install", "--service", "--dry-run")
    assert "systemd/user/restic-monitor.service" in user.stdout
    assert "systemctl --user enable --now" in user.stdout
    alone = _cli(home, config_home, "install", "--system", "--dry-run")
    assert alone.returncode == 2 and "--system goes with --service" in alone.stderr

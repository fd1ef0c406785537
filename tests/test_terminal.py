"""Opening the restic shell in a new terminal: which terminal, and no secret on its command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from restic_monitor.paths import Home
from restic_monitor.platform.terminal import (
    TerminalError,
    open_terminal,
    own_command,
    terminal_command,
    windows_shell,
)
from restic_monitor.restic.command import Restic, shell_welcome

from .conftest import SECRET, FakeRestic, wait_until, write_config

COMMAND = ["restic-monitor", "--home", "/h", "shell"]


def _fake_bin(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        exe = folder / name
        exe.write_text("#!/bin/sh\nexit 0\n")
        exe.chmod(0o755)
    return folder


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="Linux terminals")
def test_terminal_env_variable_wins(tmp_path: Path) -> None:
    folder = _fake_bin(tmp_path / "bin", "myterm", "xterm")
    env = {"PATH": str(folder), "TERMINAL": "myterm --class rm"}

    assert terminal_command(COMMAND, env) == ["myterm", "--class", "rm", "-e", *COMMAND]


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="Linux terminals")
@pytest.mark.parametrize(
    ("installed", "expected"),
    [
        (("gnome-terminal", "xterm"), ["gnome-terminal", "--"]),
        (("kitty",), ["kitty"]),
        (("xterm",), ["xterm", "-e"]),
    ],
)
def test_known_terminals_in_order_with_their_flags(
    tmp_path: Path, installed: tuple[str, ...], expected: list[str]
) -> None:
    folder = _fake_bin(tmp_path / "bin", *installed)

    argv = terminal_command(COMMAND, {"PATH": str(folder)})

    assert [Path(argv[0]).name, *argv[1 : len(expected)]] == expected
    assert argv[len(expected) :] == COMMAND


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="Linux terminals")
def test_no_terminal_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TerminalError, match=r"\$TERMINAL.*restic-monitor shell"):
        terminal_command(COMMAND, {"PATH": str(tmp_path)})


def test_macos_uses_terminal_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")

    argv = terminal_command(["/Applications/x y/restic-monitor", "shell"], {})

    assert argv[0] == "osascript"
    quoted = "'/Applications/x y/restic-monitor' shell"
    assert argv[2] == f'tell application "Terminal" to do script "{quoted}"'


@pytest.mark.parametrize(
    ("installed", "first"),
    [
        (("pwsh.exe", "powershell.exe"), "pwsh.exe"),
        (("powershell.exe",), "powershell.exe"),
        ((), "cmd.exe"),
    ],
)
def test_windows_prefers_powershell_then_cmd_and_greets_with_names_only(
    tmp_path: Path, installed: tuple[str, ...], first: str
) -> None:
    folder = _fake_bin(tmp_path / "bin", *installed)
    env = {"PATH": str(folder), "COMSPEC": "cmd.exe", "RESTIC_PASSWORD": SECRET}
    welcome = shell_welcome(["RESTIC_PASSWORD", "RESTIC_REPOSITORY"])

    argv = windows_shell(env, welcome)

    assert Path(argv[0]).name == first
    assert "RESTIC_PASSWORD, RESTIC_REPOSITORY" in argv[-1]
    assert SECRET not in " ".join(argv)
    if first != "cmd.exe":
        assert argv[1:3] == ["-NoLogo", "-NoExit"]  # the window stays open for the user


def test_the_shell_environment_has_the_values_and_restic_first_on_path() -> None:
    env = Restic("/opt/restic/bin/restic", {"RESTIC_PASSWORD": SECRET}).shell_env()

    assert env["RESTIC_PASSWORD"] == SECRET
    assert env["PATH"].split(os.pathsep)[0] == "/opt/restic/bin"
    assert env["RESTIC_MONITOR_SHELL"] == "1"
    assert "RESTIC_PASSWORD" not in os.environ  # never put into our own environment


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell script as terminal")
def test_the_opened_terminal_runs_the_restic_shell_without_secrets_on_its_command_line(
    home: Home, fake_restic: FakeRestic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(
        home,
        {"restic_exe": str(fake_restic.exe), "args": ["backup", "/data"]},
        {"RESTIC_REPOSITORY": "/srv/repo", "RESTIC_PASSWORD": SECRET},
    )
    record = tmp_path / "terminal.txt"
    fake_terminal = tmp_path / "bin" / "fake-terminal"
    fake_terminal.parent.mkdir()
    # A "terminal" that records its command line, then runs the command with typed input.
    fake_terminal.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > {record}.argv\n'
        "shift\n"
        f'echo \'echo "repo=$RESTIC_REPOSITORY"; exit\' | SHELL=/bin/sh "$@" > {record} 2>&1\n'
    )
    fake_terminal.chmod(0o755)
    monkeypatch.setenv("TERMINAL", str(fake_terminal))
    monkeypatch.setenv("PATH", f"{fake_terminal.parent}{os.pathsep}{os.environ['PATH']}")

    open_terminal(own_command("--home", str(home.root), "shell"))

    wait_until(lambda: record.exists() and "repo=/srv/repo" in record.read_text(), timeout=30)
    argv = Path(f"{record}.argv").read_text()
    assert "shell" in argv
    assert SECRET not in argv

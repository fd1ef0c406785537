"""Opening a new terminal window with the restic environment (for "Open restic shell").

On Linux and macOS a terminal emulator runs restic-monitor's own ``shell``,
which reads env.json itself. On Windows the shell (PowerShell, else cmd) is
started straight into a console window of its own with the environment
given to it: a windowed (frozen) restic-monitor has no console to lend, and
Windows shows the new console in the user's default terminal (Windows
Terminal where that is the default). Either way no secret ever appears on
a command line or in a temporary file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence


class TerminalError(Exception):
    """No terminal could be opened; the text says what to install or set."""


#: Linux/BSD terminals and how each is told to run a command.
_KNOWN_TERMINALS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("x-terminal-emulator", ("-e",)),
    ("gnome-terminal", ("--",)),
    ("konsole", ("-e",)),
    ("xfce4-terminal", ("-x",)),
    ("mate-terminal", ("-x",)),
    ("tilix", ("-e",)),
    ("kitty", ()),
    ("alacritty", ("-e",)),
    ("foot", ()),
    ("wezterm", ("start", "--")),
    ("lxterminal", ("-e",)),
    ("terminator", ("-x",)),
    ("xterm", ("-e",)),
)


def own_command(*args: str) -> list[str]:
    """How to run restic-monitor itself: the frozen executable, or this Python."""
    if getattr(sys, "frozen", False):
        return [sys.executable, *args]
    return [sys.executable, "-m", "restic_monitor", *args]


def windows_shell(env: dict[str, str], welcome: str | None = None) -> list[str]:
    """The interactive shell on Windows: PowerShell 7, Windows PowerShell, else cmd.

    ``welcome`` (no secrets in it: it is on the command line) is shown first.
    """
    path = env.get("PATH")
    for name in ("pwsh.exe", "powershell.exe"):
        found = shutil.which(name, path=path)
        if found:
            argv = [found, "-NoLogo", "-NoExit"]
            if welcome:
                text = welcome.replace("'", "''")
                argv += ["-Command", f"Write-Host '{text}'"]
            return argv
    cmd = env.get("COMSPEC") or "cmd.exe"
    if welcome:
        return [cmd, "/K", "echo " + welcome.replace("&", "^&").replace("|", "^|")]
    return [cmd]


def terminal_command(command: Sequence[str], env: dict[str, str] | None = None) -> list[str]:
    """The argv that opens a terminal running ``command`` (Linux, BSD, macOS)."""
    import shlex  # (only when a shell is opened: not kept by the idle tray)

    env = dict(os.environ if env is None else env)
    command = list(command)
    if sys.platform == "darwin":
        script = " ".join(shlex.quote(a) for a in command)
        apple = script.replace("\\", "\\\\").replace('"', '\\"')
        return [
            "osascript",
            "-e",
            f'tell application "Terminal" to do script "{apple}"',
            "-e",
            'tell application "Terminal" to activate',
        ]
    preferred = env.get("TERMINAL", "").strip()
    if preferred:
        parts = shlex.split(preferred)
        if parts and shutil.which(parts[0], path=env.get("PATH")):
            name = os.path.basename(parts[0])
            flag = dict(_KNOWN_TERMINALS).get(name, ("-e",))
            return [*parts, *flag, *command]
    for name, flag in _KNOWN_TERMINALS:
        path = shutil.which(name, path=env.get("PATH"))
        if path:
            return [path, *flag, *command]
    raise TerminalError(
        "No terminal emulator found. Install one (xterm, gnome-terminal, konsole…) or set "
        "$TERMINAL; meanwhile run `restic-monitor shell` in a terminal yourself."
    )


def open_terminal(command: Sequence[str]) -> None:
    """Open a new terminal window running ``command`` and return at once (not Windows)."""
    argv = terminal_command(command)
    try:
        subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        raise TerminalError(f"cannot start {argv[0]}: {exc.strerror or exc}") from None


def open_windows_shell(env: dict[str, str], welcome: str) -> None:  # pragma: no cover
    """A console window running the shell with ``env`` (Windows only).

    No redirections: the shell must use the new console, not inherited handles.
    """
    argv = windows_shell(env, welcome)
    if sys.platform != "win32":
        raise TerminalError("a Windows console is only available on Windows")
    try:
        subprocess.Popen(argv, env=env, creationflags=subprocess.CREATE_NEW_CONSOLE)
    except OSError as exc:
        raise TerminalError(f"cannot start {argv[0]}: {exc.strerror or exc}") from None

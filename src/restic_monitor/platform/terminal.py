"""Opening a new terminal window that runs a command (for "Open restic shell").

The command is restic-monitor's own ``shell``, which reads env.json itself:
no secret ever appears on a command line or in a temporary file.
"""

from __future__ import annotations

import os
import shlex
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


def terminal_command(command: Sequence[str], env: dict[str, str] | None = None) -> list[str]:
    """The argv that opens a terminal running ``command`` on this system."""
    env = dict(os.environ if env is None else env)
    command = list(command)
    if sys.platform == "win32":
        wt = shutil.which("wt.exe")
        if wt:
            return [wt, "-w", "new", "new-tab", "--title", "restic shell", *command]
        return command  # started with CREATE_NEW_CONSOLE: a console window of its own
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
    """Open a new terminal window running ``command`` and return at once."""
    argv = terminal_command(command)
    flags = 0
    if sys.platform == "win32":  # pragma: no cover - Windows only
        flags = subprocess.CREATE_NEW_CONSOLE
    try:
        subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=sys.platform != "win32",
            creationflags=flags,
        )
    except OSError as exc:
        raise TerminalError(f"cannot start {argv[0]}: {exc.strerror or exc}") from None

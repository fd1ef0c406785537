"""What the tray opens outside itself: a terminal with restic's environment, a folder.

Both find and start other programs, which takes a PATH scan and may block
for seconds: they run in worker threads, and a failure becomes a notice that
says what to do and names the path, never a click that silently does nothing.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from restic_monitor.paths import Home
from restic_monitor.platform.opener import OpenError, open_path
from restic_monitor.platform.terminal import (
    TerminalError,
    open_terminal,
    open_windows_shell,
    own_command,
)

if TYPE_CHECKING:
    from restic_monitor.engine.host import Engine

#: ``message(title, body, kind)``: how a failure reaches the user.
Message = Callable[[str, str, str], None]


def open_shell(home: Home, engine: Engine, profile: str | None, message: Message) -> None:
    chosen = ("--profile", profile) if profile is not None else ()
    try:
        if sys.platform == "win32":
            _open_windows_shell(engine, profile)
        else:
            open_terminal(own_command("--home", str(home.root), "shell", *chosen))
    except TerminalError as exc:
        message("Cannot open a terminal", str(exc), "failure")


def _open_windows_shell(engine: Engine, profile: str | None) -> None:
    config = engine.config(profile or "default")
    if config is None:
        raise TerminalError("the configuration is invalid; fix it first (see the menu)")
    from restic_monitor.restic.command import Restic, shell_welcome

    exe = config.settings.resolve_restic() or config.settings.restic_exe
    open_windows_shell(Restic(exe, config.env).shell_env(), shell_welcome(config.env))


def open_folder(folder: Path, message: Message) -> None:
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
    try:
        open_path(folder)
    except OpenError as exc:
        message("Cannot open the folder", f"{str(exc)[:1].upper()}{str(exc)[1:]}.", "failure")

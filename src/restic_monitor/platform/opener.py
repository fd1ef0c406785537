"""Opening a folder or file in the desktop's own program, and saying when that fails.

Qt's ``QDesktopServices.openUrl`` only reports whether a helper was started:
on Linux it hands the path to ``xdg-open`` and returns True even when
``xdg-open`` then exits 3 (no program for folders) or 4 (the program
failed), so the user clicks "Open configuration folder" and nothing happens.
Running the opener here lets its exit status become a notice that names the
path, so the user can still go there by hand.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

#: How long an opener may take to say it failed. Some run the chosen program in
#: the foreground (and so return only when it closes): still running is success.
SETTLE_SECONDS = 3.0

#: xdg-open's exit statuses (xdg-utils), in words.
_XDG_STATUS = {
    1: "xdg-open was called wrongly",
    2: "the path does not exist",
    3: "no program to open it is set up on this desktop (xdg-open found none)",
    4: "the program chosen to open it failed",
}


class OpenError(Exception):
    """The path could not be opened; the text names the path and the reason."""


def opener_command(path: Path) -> list[str]:
    """The command that opens ``path`` on this (non-Windows) system."""
    if sys.platform == "darwin":
        return ["open", str(path)]
    return ["xdg-open", str(path)]


def open_path(path: Path, settle: float = SETTLE_SECONDS) -> None:
    """Open ``path`` with the desktop's program for it, or raise :class:`OpenError`.

    Blocks for up to ``settle`` seconds: call it from a worker thread.
    """
    if sys.platform == "win32":
        try:
            os.startfile(path)  # type: ignore[attr-defined,unused-ignore]  # noqa: S606
        except OSError as exc:
            raise OpenError(f"cannot open {path}: {exc.strerror or exc}") from None
        return
    command = opener_command(path)
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        raise OpenError(
            f"cannot open {path}: {command[0]} is not installed (it opens folders and files "
            "in the desktop's programs; on Linux it comes with xdg-utils)"
        ) from None
    try:
        code = process.wait(timeout=settle)
    except subprocess.TimeoutExpired:
        # Still running: the program it started runs in its foreground. Reap it later.
        threading.Thread(target=process.wait, name="opener-reap", daemon=True).start()
        return
    if code != 0:
        reason = _XDG_STATUS.get(code) if command[0] == "xdg-open" else None
        raise OpenError(f"cannot open {path}: {reason or f'{command[0]} exited with {code}'}")

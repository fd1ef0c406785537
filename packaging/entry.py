"""Entry point of the frozen (PyInstaller) restic-monitor executable."""

import os
import sys


def _streams_for_a_windowed_app() -> None:
    """A windowed executable starts without stdout/stderr: use the caller's console if any."""
    if sys.stdout is not None and sys.stderr is not None:
        return
    if sys.platform == "win32":
        import ctypes

        if ctypes.windll.kernel32.AttachConsole(-1):  # ATTACH_PARENT_PROCESS
            sys.stdout = open("CONOUT$", "w", encoding="utf-8")  # noqa: SIM115
            sys.stderr = open("CONOUT$", "w", encoding="utf-8")  # noqa: SIM115
            return
    devnull = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    sys.stdout = sys.stdout or devnull
    sys.stderr = sys.stderr or devnull


_streams_for_a_windowed_app()

from restic_monitor.cli.entry import main  # noqa: E402

sys.exit(main())

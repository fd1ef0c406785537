"""The tray front end (PySide6). Imported only when a tray is wanted.

``view`` is pure Python (what to show); ``icons``, ``app`` and ``windows``
need Qt. ``run --headless`` and the CLI never import this package.
"""

from __future__ import annotations

from restic_monitor.exitcodes import EXIT_USAGE
from restic_monitor.paths import Home


def run_tray(home: Home, idle_spec: str | None, *, debug: bool = False) -> int:
    """Run the monitor with its tray icon until the user quits."""
    from restic_monitor.prepare import prepare

    idle = prepare(home, idle_spec, debug)
    if idle is None:
        return EXIT_USAGE
    from restic_monitor.tray.source_lines import keep_no_sources

    keep_no_sources()  # before Qt's binding is imported, see source_lines
    from restic_monitor.tray.launch import run_tray_app

    return run_tray_app(home, idle)

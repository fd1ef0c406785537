"""The ``restic-monitor`` command: the quick ``status --json``, else the full command line."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from restic_monitor.cli.quick_status import quick_status

    code = quick_status(args)
    if code is not None:
        return code
    from restic_monitor.cli.main import main as full_command_line

    return full_command_line(args)

"""The text of the files ``restic-monitor install`` writes on Linux: a desktop entry, a unit.

Pure: each quoting rule follows its specification (the Desktop Entry
Specification's Exec key, systemd's ExecStart), and every file carries the
marker line by which ``uninstall`` knows it as its own.
"""

from __future__ import annotations

from collections.abc import Sequence

MARKER = "Created by `restic-monitor install`; `restic-monitor uninstall` removes it."


def desktop_exec_quote(arg: str) -> str:
    """Quote one argument for a desktop entry's Exec key (Desktop Entry Specification)."""
    reserved = set(" \t\n\"'\\><~|&;$*?#()`")
    escaped = arg.replace("%", "%%")
    if not any(c in reserved for c in escaped) and escaped:
        return escaped
    inner = ""
    for c in escaped:
        if c in '"`$\\':
            inner += "\\" + c
        else:
            inner += c
    # In a desktop file's string value, backslashes are escaped once more.
    return '"' + inner.replace("\\", "\\\\") + '"'


def desktop_entry(argv: Sequence[str], icon: str) -> str:
    exec_line = " ".join(desktop_exec_quote(a) for a in argv)
    return (
        "[Desktop Entry]\n"
        f"# {MARKER}\n"
        "Type=Application\n"
        "Name=restic-monitor\n"
        "GenericName=Backup monitor\n"
        "Comment=Backs up with restic when you are away, and warns when backups stop\n"
        f"Exec={exec_line}\n"
        f"Icon={icon}\n"
        "Terminal=false\n"
        "Categories=Utility;Archiving;\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def systemd_quote(arg: str) -> str:
    if arg and all(c.isalnum() or c in "-_./:=@+,%" for c in arg):
        return arg.replace("%", "%%")
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%") + '"'


def systemd_unit(argv: Sequence[str], user: str | None = None) -> str:
    """A user service, or (``user``) a system service run as that user from boot."""
    after = "After=network-online.target\nWants=network-online.target\n" if user else ""
    run_as = f"User={systemd_quote(user)}\n" if user else ""
    target = "multi-user.target" if user else "default.target"
    return (
        f"# {MARKER}\n"
        "[Unit]\n"
        "Description=restic-monitor: back up with restic when idle\n"
        "Documentation=https://restic.net\n"
        f"{after}"
        "\n"
        "[Service]\n"
        "Type=simple\n"
        f"{run_as}"
        f"ExecStart={' '.join(systemd_quote(a) for a in argv)}\n"
        "ExecReload=/bin/kill -HUP $MAINPID\n"
        "Restart=on-failure\n"
        "RestartSec=30\n"
        "# restic gets SIGINT from the monitor and removes its lock; give it time.\n"
        "TimeoutStopSec=60\n"
        "\n"
        "[Install]\n"
        f"WantedBy={target}\n"
    )

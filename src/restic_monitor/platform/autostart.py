"""Start at login: what ``restic-monitor install`` writes and ``uninstall`` removes.

One implementation per OS behind the same small interface:

- Linux (desktop): an XDG autostart entry, ``~/.config/autostart/restic-monitor.desktop``.
- Linux (``--headless`` or ``--service``): a systemd user service, enabled with
  ``systemctl --user``; with ``--system``, a system service (``/etc/systemd/system``,
  run as the installing user, started at boot, for servers; needs root).
- macOS: a LaunchAgent, ``~/Library/LaunchAgents/restic-monitor.plist``.
- Windows: a Scheduled Task "restic-monitor" at logon of the current user, run only
  while the user is logged on, with highest privileges (``--use-fs-snapshot``
  needs them, without a UAC prompt at each login) and no time limit, created
  from XML through one elevation prompt.

Every file carries a marker line, and uninstall removes only files with that
marker: never the user's own configuration or data, never a file it did not
write. Building the content is pure, so it can be checked on any OS.
"""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from restic_monitor.platform.startup_files import (
    MARKER,
    desktop_entry,
    desktop_exec_quote,
    systemd_quote,
    systemd_unit,
)
from restic_monitor.platform.windows_task import TASK_NAME, task_xml, windows_user

__all__ = ["MARKER", "desktop_exec_quote", "systemd_quote", "systemd_unit"]  # re-exported

LAUNCH_AGENT_LABEL = "restic-monitor"
SERVICE_NAME = "restic-monitor.service"


@dataclass
class Plan:
    """What install or uninstall will do: files and commands, for ``--dry-run`` and for real."""

    files: dict[Path, bytes] = field(default_factory=dict)
    remove: list[Path] = field(default_factory=list)
    commands: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = []
        for path, data in self.files.items():
            lines.append(f"write {path}:")
            text = data.decode("utf-16") if data[:2] == b"\xff\xfe" else data.decode("utf-8")
            lines.extend(f"    {line}" for line in text.splitlines())
        lines.extend(f"remove {path}" for path in self.remove)
        lines.extend("run " + " ".join(_shell_quote(a) for a in cmd) for cmd in self.commands)
        lines.extend(self.notes)
        return "\n".join(lines) if lines else "nothing to do"


def _shell_quote(arg: str) -> str:
    if arg and all(c.isalnum() or c in "-_./:=@%+,\\" for c in arg):
        return arg
    return '"' + arg.replace('"', '\\"') + '"'


# --- the command to start ----------------------------------------------------------


def command_for(launcher: Sequence[str], home: Path | None, headless: bool) -> list[str]:
    """The launcher (see ``launcher``), the home when it is not the default, ``run``."""
    argv = list(launcher)
    if home is not None:
        argv += ["--home", str(home)]
    argv.append("run")
    if headless:
        argv.append("--headless")
    return argv


# --- Linux: XDG autostart ----------------------------------------------------------


def _config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def icon_path() -> str:
    """An icon file for the desktop entry: the package's own SVG."""
    from importlib import resources

    try:
        return str(resources.files("restic_monitor.tray") / "icons" / "app.svg")
    except (ModuleNotFoundError, TypeError):
        return "restic-monitor"


def linux_paths() -> tuple[Path, Path]:
    base = _config_home()
    return base / "autostart" / "restic-monitor.desktop", base / "systemd" / "user" / SERVICE_NAME


def linux_install_plan(home: Path | None, headless: bool, launcher: Sequence[str]) -> Plan:
    desktop, service = linux_paths()
    plan = Plan()
    if headless:
        plan.files[service] = systemd_unit(command_for(launcher, home, True)).encode()
        if _ours(desktop):
            plan.remove.append(desktop)  # one way to start, not two
        plan.commands += [
            ["systemctl", "--user", "daemon-reload"],
            ["systemctl", "--user", "enable", "--now", SERVICE_NAME],
        ]
    else:
        plan.files[desktop] = desktop_entry(
            command_for(launcher, home, False), icon_path()
        ).encode()
        if _ours(service):
            plan.commands.append(["systemctl", "--user", "disable", "--now", SERVICE_NAME])
            plan.remove.append(service)
        run = "restic-monitor run" if home is None else f'restic-monitor --home "{home}" run'
        plan.notes.append(f"It starts at your next login; start it now with `{run}`.")
    return plan


#: Where a system service goes (``install --service --system``).
SYSTEM_UNITS = Path("/etc/systemd/system")


def linux_system_plan(home: Path, launcher: Sequence[str], user: str) -> Plan:
    """A system service for a server: started at boot, run as ``user``, its home named."""
    unit = SYSTEM_UNITS / SERVICE_NAME
    plan = Plan(files={unit: systemd_unit(command_for(launcher, home, True), user).encode()})
    plan.commands += [
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "--now", SERVICE_NAME],
    ]
    if sys.platform != "win32" and os.geteuid() != 0:
        plan.notes.append("A system service needs root: run this with sudo (keep --home).")
    plan.notes.append(f"Its log: `journalctl -u {SERVICE_NAME}` and {home}/logs.")
    return plan


def linux_uninstall_plan() -> Plan:
    desktop, service = linux_paths()
    plan = Plan()
    system = SYSTEM_UNITS / SERVICE_NAME
    if _ours(system):
        plan.commands.append(["systemctl", "disable", "--now", SERVICE_NAME])
        plan.remove.append(system)
    if _ours(service):
        plan.commands.append(["systemctl", "--user", "disable", "--now", SERVICE_NAME])
        plan.remove.append(service)
    if _ours(desktop):
        plan.remove.append(desktop)
    return plan


# --- macOS: LaunchAgent -----------------------------------------------------------


def launch_agent_path() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"


def launch_agent(argv: Sequence[str], logs: Path) -> bytes:
    return plistlib.dumps(
        {
            "Label": LAUNCH_AGENT_LABEL,
            "Comment": MARKER,
            "ProgramArguments": list(argv),
            "RunAtLoad": True,
            "KeepAlive": {"SuccessfulExit": False},
            "ProcessType": "Interactive",
            "LimitLoadToSessionType": "Aqua",
            "StandardOutPath": str(logs / "launchd.log"),
            "StandardErrorPath": str(logs / "launchd.log"),
        }
    )


def macos_install_plan(
    home: Path | None, logs: Path, headless: bool, launcher: Sequence[str]
) -> Plan:
    path = launch_agent_path()
    uid = os.getuid() if hasattr(os, "getuid") else 0
    plan = Plan(files={path: launch_agent(command_for(launcher, home, headless), logs)})
    if path.exists():
        plan.commands.append(["launchctl", "bootout", f"gui/{uid}", str(path)])
    plan.commands.append(["launchctl", "bootstrap", f"gui/{uid}", str(path)])
    return plan


def macos_uninstall_plan() -> Plan:
    path = launch_agent_path()
    plan = Plan()
    if _ours(path):
        uid = os.getuid() if hasattr(os, "getuid") else 0
        plan.commands.append(["launchctl", "bootout", f"gui/{uid}", str(path)])
        plan.remove.append(path)
    return plan


# --- Windows: Scheduled Task ---------------------------------------------------------


def scheduled_task_xml(argv: Sequence[str], user: str, workdir: Path) -> str:
    """The task's XML, marked as ours (see :func:`windows_task.task_xml`)."""
    return task_xml(argv, user, workdir, f"{MARKER} Starts restic-monitor at logon.")


def windows_task_file(home: Path) -> Path:
    return home / "restic-monitor-task.xml"


def windows_install_plan(home_arg: Path | None, home: Path, launcher: Sequence[str]) -> Plan:
    argv = command_for(launcher, home_arg, False)
    xml = scheduled_task_xml(argv, windows_user(), home)
    path = windows_task_file(home)
    plan = Plan(files={path: xml.encode("utf-16")})
    plan.commands.append(["schtasks.exe", "/Create", "/TN", TASK_NAME, "/XML", str(path), "/F"])
    plan.notes.append("Windows asks once for administrator approval (the task runs elevated).")
    return plan


def windows_task_exists() -> bool:  # pragma: no cover - Windows only
    result = subprocess.run(
        ["schtasks.exe", "/Query", "/TN", TASK_NAME],
        capture_output=True,
        creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        check=False,
    )
    return result.returncode == 0


def windows_uninstall_plan(home: Path) -> Plan:
    plan = Plan()
    if windows_task_exists():
        plan.commands.append(["schtasks.exe", "/Delete", "/TN", TASK_NAME, "/F"])
    if windows_task_file(home).exists():
        plan.remove.append(windows_task_file(home))
    return plan


# --- carrying a plan out -------------------------------------------------------------


def _ours(path: Path) -> bool:
    """Whether ``path`` exists and was written by install (carries the marker)."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    text = (
        data.decode("utf-16", "replace")
        if data[:2] == b"\xff\xfe"
        else data.decode("utf-8", "replace")
    )
    return MARKER in text or escape(MARKER) in text


def install_plan(
    home: Path,
    home_arg: Path | None,
    logs: Path,
    headless: bool,
    launcher: Sequence[str],
    system_user: str | None = None,
) -> Plan:
    """What to write and run; ``launcher`` is the program to start (``launcher.launcher``);
    ``system_user``: a system service run as that user (Linux)."""
    if system_user is not None:
        if not sys.platform.startswith("linux"):
            raise AutostartError("--system is for Linux (a systemd system service)")
        return linux_system_plan(home, launcher, system_user)
    if sys.platform == "win32":
        return windows_install_plan(home_arg, home, launcher)
    if sys.platform == "darwin":
        return macos_install_plan(home_arg, logs, headless, launcher)
    return linux_install_plan(home_arg, headless, launcher)


def uninstall_plan(home: Path) -> Plan:
    if sys.platform == "win32":
        return windows_uninstall_plan(home)
    if sys.platform == "darwin":
        return macos_uninstall_plan()
    return linux_uninstall_plan()


class AutostartError(Exception):
    pass


def carry_out(plan: Plan) -> list[str]:
    """Write, remove, run. Returns what happened, one line each, for the user."""
    done = []
    for path, data in plan.files.items():
        if path.exists() and not _ours(path):
            raise AutostartError(
                f"{path} exists and was not written by restic-monitor; move it away first"
            )
        if path.exists() and path.read_bytes() == data:
            done.append(f"unchanged {path}")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        done.append(f"wrote {path}")
    for path in plan.remove:
        if _ours(path):
            path.unlink(missing_ok=True)
            done.append(f"removed {path}")
    for cmd in plan.commands:
        done.append(_run(cmd))
    done.extend(plan.notes)
    return done


def _run(cmd: list[str]) -> str:
    shown = " ".join(_shell_quote(a) for a in cmd)
    if sys.platform == "win32" and cmd[0] == "schtasks.exe":  # pragma: no cover - Windows
        from restic_monitor.platform.win_elevation import run_elevated

        code = run_elevated(cmd)
        if code != 0:
            raise AutostartError(f"{shown} failed (exit code {code})")
        return f"ran {shown}"
    exe = shutil.which(cmd[0])
    if exe is None:
        return f"skipped {shown} ({cmd[0]} not found; run it yourself when it is available)"
    result = subprocess.run(
        [exe, *cmd[1:]], capture_output=True, text=True, timeout=60, check=False
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        reason = detail[-1] if detail else f"exit code {result.returncode}"
        return f"could not run {shown}: {reason}"
    return f"ran {shown}"

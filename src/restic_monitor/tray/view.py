"""What the tray shows, as a pure function of the status report.

No Qt here: the icon state, the tooltip and every menu entry are derived
from the same dictionary ``status --json`` prints, so they can be tested
exhaustively without a display and can never disagree with the CLI.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from restic_monitor.humanize import human_duration
from restic_monitor.isotime import parse_iso
from restic_monitor.restic.output import Progress

MAX_PROBLEMS_SHOWN = 8


class IconState(str, enum.Enum):
    STARTING = "starting"
    OK = "ok"
    BACKING_UP = "backing-up"
    PAUSED = "paused"
    WARNING = "warning"
    ERROR = "error"


class Action(str, enum.Enum):
    BACKUP = "backup"
    STOP = "stop"
    PAUSE = "pause"
    RESUME = "resume"
    SHELL = "shell"
    HISTORY = "history"
    APP_LOG = "app-log"
    LAST_LOG = "last-log"
    LOGS_FOLDER = "logs-folder"
    CONFIG_FOLDER = "config-folder"
    RELOAD = "reload"
    QUIT = "quit"


@dataclass(frozen=True)
class Entry:
    """One menu line: information (``action`` None) or a command.

    Command texts carry their keyboard mnemonic (``&Back up now``); :attr:`label`
    is the text as the user reads it.
    """

    text: str
    action: Action | None = None
    enabled: bool = True
    children: tuple[Entry, ...] = ()
    separator: bool = False

    @property
    def label(self) -> str:
        return self.text.replace("&&", "\0").replace("&", "").replace("\0", "&")


SEPARATOR = Entry("", separator=True)


@dataclass(frozen=True)
class TrayView:
    state: IconState
    progress: float | None
    tooltip: str
    menu: tuple[Entry, ...] = field(default_factory=tuple)

    def entries(self) -> list[Entry]:
        """Every entry, submenus flattened (for tests and accessibility)."""
        out: list[Entry] = []
        for entry in self.menu:
            out.append(entry)
            out.extend(entry.children)
        return out

    def find(self, action: Action) -> Entry | None:
        return next((e for e in self.entries() if e.action is action), None)


# --- wording -----------------------------------------------------------------


def duration_words(seconds: float) -> str:
    """``8 hours``, ``30 minutes``, ``1 hour 30 minutes``, ``2 days`` (menu labels)."""
    seconds = max(0, round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    for value, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")):
        if value:
            parts.append(f"{value} {unit}{'s' if value != 1 else ''}")
    if not parts:
        parts.append(f"{secs} second{'s' if secs != 1 else ''}")
    return " ".join(parts[:2])


def ago(seconds: float) -> str:
    """``just now``, ``5 min ago``, ``2 h ago``, ``3 days ago``."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} days ago"


def clock_time(when: float, now: float) -> str:
    """``14:05`` today, ``Mon 14:05`` within a week, ``2026-11-20 14:05`` otherwise."""
    moment = datetime.fromtimestamp(when)
    today = datetime.fromtimestamp(now)
    if moment.date() == today.date():
        return moment.strftime("%H:%M")
    if abs((today - moment).total_seconds()) < 6 * 86400:
        return moment.strftime("%a %H:%M")
    return moment.strftime("%Y-%m-%d %H:%M")


def _progress_words(progress: dict[str, Any] | None) -> str:
    if not progress:
        return "starting"
    return Progress.from_json(progress).describe()


def _short_reason(run: dict[str, Any]) -> str:
    message = str(run.get("message") or run.get("reason") or run.get("outcome") or "")
    return message.rstrip(".")


# --- the view ------------------------------------------------------------------


def _uncounted_failure(status: dict[str, Any]) -> bool:
    """The last run did not give a backup that counts: failed, error, or exit 3 not ignored.

    "incomplete" counts unless ignore_exit_code_3 is set; when it does not count,
    the user was told "Backup failed", and the icon must agree.
    """
    last = status.get("last_run")
    return bool(
        last
        and not last.get("counted_success")
        and last.get("outcome") in ("failed", "error", "incomplete")
    )


def icon_state(status: dict[str, Any] | None) -> IconState:
    if status is None:
        return IconState.STARTING
    if status.get("config_error") or status.get("reason") == "needs_elevation":
        return IconState.ERROR
    if status.get("running"):
        return IconState.BACKING_UP
    if status.get("paused"):
        return IconState.PAUSED
    if _uncounted_failure(status):
        return IconState.ERROR
    if status.get("warning"):
        return IconState.WARNING
    return IconState.OK


def tooltip(status: dict[str, Any] | None, now: float) -> str:
    """One line, the answer to "is my stuff backed up?"."""
    state = icon_state(status)
    if status is None or state is IconState.STARTING:
        return "restic-monitor — starting"
    if state is IconState.ERROR and status.get("config_error"):
        return "Configuration error — see menu"
    if state is IconState.ERROR and status.get("reason") == "needs_elevation":
        return "Needs administrator rights — see menu"
    if state is IconState.BACKING_UP:
        progress = status.get("progress") or {}
        current = status.get("current_run") or {}
        if current.get("stalled"):
            quiet = human_duration(current.get("seconds_since_progress") or 0)
            return f"Backing up — stalled, no progress for {quiet}"
        text = "Backing up"
        if progress.get("percent") is not None:
            text += f" {progress['percent']:.0f} %"
        if progress.get("eta_seconds"):
            text += f" · ETA {human_duration(progress['eta_seconds'])}"
        return text
    if state is IconState.PAUSED and status.get("paused_until"):
        return f"Paused until {clock_time(parse_iso(status['paused_until']), now)}"
    if state is IconState.ERROR:
        last = status["last_run"]
        return f"Last backup {last['outcome']}: {_short_reason(last)}"
    last_success = status.get("last_success")
    if not last_success:
        return "No backup yet"
    age = ago(now - parse_iso(last_success))
    if state is IconState.WARNING:
        return f"No backup for {age.removesuffix(' ago')}"
    return f"Last backup {age}"


def _status_entries(status: dict[str, Any], now: float) -> list[Entry]:
    entries: list[Entry] = []
    problems = status.get("config_error") or []
    if problems:
        entries.append(Entry("Configuration error:", enabled=False))
        shown = (
            problems if len(problems) <= MAX_PROBLEMS_SHOWN else problems[: MAX_PROBLEMS_SHOWN - 1]
        )
        for problem in shown:
            entries.append(Entry(f"  {problem}", enabled=False))
        rest = problems[len(shown) :]
        if rest:  # every problem is in the menu; the rest one level down
            entries.append(
                Entry(
                    f"  {len(rest)} more problems",
                    children=tuple(Entry(str(p), enabled=False) for p in rest),
                )
            )
    last_success = status.get("last_success")
    if last_success:
        when = parse_iso(last_success)
        text = f"Last backup: {ago(now - when)} ({clock_time(when, now)})"
        snapshot = status.get("last_success_snapshot")
        if snapshot:
            text += f" · snapshot {str(snapshot)[:8]}"
        entries.append(Entry(text, enabled=False))
    else:
        entries.append(Entry("Last backup: never", enabled=False))
    if status.get("warning") and status.get("warning_message"):
        entries.append(Entry(f"⚠ {status['warning_message']}", enabled=False))
    for problem in status.get("warnings") or []:
        entries.append(Entry(f"Problem: {problem}", enabled=False))
    last = status.get("last_run")
    if last and _uncounted_failure(status) and not status.get("running"):
        entries.append(Entry(f"Last run {last['outcome']}: {_short_reason(last)}", enabled=False))
    if status.get("running"):
        entries.append(
            Entry(f"Backing up: {_progress_words(status.get('progress'))}", enabled=False)
        )
        current = status.get("current_run") or {}
        if current.get("stalled"):
            quiet = human_duration(current.get("seconds_since_progress") or 0)
            entries.append(Entry(f"⚠ Stalled: no progress for {quiet}", enabled=False))
        if current.get("stopping"):
            entries.append(Entry("Stopping…", enabled=False))
    if status.get("paused") and status.get("paused_until"):
        until = parse_iso(status["paused_until"])
        entries.append(Entry(f"Paused until {clock_time(until, now)}", enabled=False))
    if status.get("maintenance"):
        entries.append(Entry("Clearing stale repository locks…", enabled=False))
    reason = status.get("reason")
    if (
        not status.get("running")
        and not problems
        and status.get("reason_text")
        and (
            reason != "paused"  # "Paused until …" says it already
        )
    ):
        text = f"Next backup: {status['reason_text']}"
        earliest = status.get("next_backup_earliest")
        if earliest and status.get("reason") not in ("ready", "not_idle"):
            text += f" (not before {clock_time(parse_iso(earliest), now)})"
        entries.append(Entry(text, enabled=False))
    return entries


def tray_view(
    status: dict[str, Any] | None, now: float | None = None, pause_seconds: float | None = None
) -> TrayView:
    now = time.time() if now is None else now
    state = icon_state(status)
    progress = None
    if status is not None and status.get("running") and status.get("progress"):
        progress = status["progress"].get("fraction")
    if status is None:
        menu: list[Entry] = [Entry("Starting…", enabled=False), SEPARATOR]
        menu.append(Entry("&Quit", Action.QUIT))
        return TrayView(state, None, tooltip(status, now), tuple(menu))

    pause_for = pause_seconds or status.get("pause_seconds") or 28800
    config_ok = not status.get("config_error")
    menu = _status_entries(status, now)
    menu.append(SEPARATOR)
    if status.get("running"):
        stopping = bool((status.get("current_run") or {}).get("stopping"))
        menu.append(Entry("S&top backup", Action.STOP, enabled=not stopping))
    else:
        menu.append(Entry("&Back up now", Action.BACKUP, enabled=config_ok))
    if status.get("paused"):
        menu.append(Entry("&Resume", Action.RESUME))
    else:
        menu.append(Entry(f"&Pause for {duration_words(pause_for)}", Action.PAUSE))
    menu.append(SEPARATOR)
    menu.append(Entry("Open restic &shell", Action.SHELL, enabled=config_ok))
    menu.append(Entry("&History…", Action.HISTORY))
    menu.append(
        Entry(
            "&Logs",
            children=(
                Entry("&Application log", Action.APP_LOG),
                Entry("Last &restic log", Action.LAST_LOG),
                Entry("Open logs &folder", Action.LOGS_FOLDER),
            ),
        )
    )
    menu.append(Entry("Open &configuration folder", Action.CONFIG_FOLDER))
    menu.append(Entry("Reload confi&guration", Action.RELOAD))
    menu.append(SEPARATOR)
    menu.append(Entry("&Quit", Action.QUIT))
    return TrayView(state, progress, tooltip(status, now), tuple(menu))


def stopped_view(message: str) -> TrayView:
    """The engine could not start or has died: say so instead of showing a stale state."""
    menu = (
        Entry(f"restic-monitor stopped: {message}", enabled=False),
        Entry("No backups run until it is started again.", enabled=False),
        SEPARATOR,
        Entry("&Application log", Action.APP_LOG),
        Entry("Open &configuration folder", Action.CONFIG_FOLDER),
        SEPARATOR,
        Entry("&Quit", Action.QUIT),
    )
    return TrayView(IconState.ERROR, None, "restic-monitor stopped — see menu", menu)

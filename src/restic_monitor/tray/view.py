"""What the tray shows, as a pure function of the typed status.

No Qt here: the icon state, the tooltip and every menu entry are derived
from the same :class:`Status` that ``status --json`` prints, so they can be
tested exhaustively without a display and can never disagree with the CLI.

The icon and tooltip are in ``state``.

**One profile looks as it always did**, so that existing users see no change;
with several, each gets a section (its lines, and a submenu named after it
with its own commands) above the entries for the whole home.
"""

from __future__ import annotations

import enum
import re
import time
from collections import Counter
from dataclasses import dataclass, field

from restic_monitor.status.model import ProfileStatus, Status
from restic_monitor.tray.state import IconState, backup_progress, icon_state, tooltip
from restic_monitor.tray.wording import (
    duration_words,
    maintenance_words,
    status_lines,
    uncounted_failure,
    with_mnemonic,
)

MAX_PROBLEMS_SHOWN = 6
DEFAULT_PAUSE_SECONDS = 28800.0
#: The longest menu line, in characters. The Qt layer also cuts each line to a
#: width in pixels (its font decides); this bounds what a line can carry at all.
#: Longer lines end in "…"; the whole text is in the problems window.
MENU_LINE_CHARS = 160
#: A configuration problem as the loader words it: ``FILE: key: message``.
_PROBLEM = re.compile(r"^(?P<file>.+?\.json): (?P<rest>.*)$", re.DOTALL)


class Action(str, enum.Enum):
    BACKUP = "backup"
    BACKUP_ALL = "backup-all"
    STOP = "stop"
    PAUSE = "pause"
    RESUME = "resume"
    SHELL = "shell"
    HISTORY = "history"
    RESTORE = "restore"
    PROBLEMS = "problems"
    APP_LOG = "app-log"
    LAST_LOG = "last-log"
    LOGS_FOLDER = "logs-folder"
    CONFIG_FOLDER = "config-folder"
    RELOAD = "reload"
    SETTINGS = "settings"
    SETUP = "setup"
    QUIT = "quit"


@dataclass(frozen=True)
class Entry:
    """One menu line: information (``action`` None) or a command.

    Command texts carry their keyboard mnemonic (``&Back up now``); :attr:`label`
    is the text as the user reads it. ``profile`` is the profile a command is
    about; None means the whole home (or, for History…, every profile).

    Information lines are enabled: a disabled menu item is drawn light grey,
    and these are the lines the user opens the menu to read. Choosing one
    opens the problems window, where the same text is whole and selectable;
    ``full`` is that text when the line had to be shortened (its tooltip).
    """

    text: str
    action: Action | None = None
    enabled: bool = True
    children: tuple[Entry, ...] = ()
    separator: bool = False
    profile: str | None = None
    full: str | None = None

    @property
    def label(self) -> str:
        return self.text.replace("&&", "\0").replace("&", "").replace("\0", "&")


SEPARATOR = Entry("", separator=True)


@dataclass(frozen=True)
class TrayView:
    state: IconState
    #: How far the running backup is (0.0 before restic reports it); None: none runs.
    progress: float | None
    tooltip: str
    menu: tuple[Entry, ...] = field(default_factory=tuple)

    def entries(self) -> list[Entry]:
        """Every entry, submenus flattened (for tests and accessibility)."""
        out: list[Entry] = []

        def walk(entries: tuple[Entry, ...]) -> None:
            for entry in entries:
                out.append(entry)
                walk(entry.children)

        walk(self.menu)
        return out

    def find(self, action: Action, profile: str | None = None) -> Entry | None:
        """The first entry for ``action`` (and about ``profile``, when one is named)."""
        return next(
            (
                e
                for e in self.entries()
                if e.action is action and (profile is None or e.profile == profile)
            ),
            None,
        )


# --- the menu ------------------------------------------------------------------------


def elide(text: str, limit: int = MENU_LINE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when cut (first line only)."""
    line = text.split("\n", 1)[0]
    if len(line) <= limit and line == text:
        return text
    return line[: limit - 1].rstrip() + "…"


def elide_middle(text: str, limit: int = 40) -> str:
    """A path shortened in its middle, so both the folder's start and the file name show."""
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return f"{text[:head]}…{text[len(text) - (limit - 1 - head) :]}"


def _line(text: str) -> Entry:
    shown = elide(text)
    return Entry(shown, full=text if shown != text else None)


def _info(lines: list[str], indent: str = "") -> list[Entry]:
    return [_line(f"{indent}{line}") for line in lines]


def _problem_entries(problems: list[str] | None, indent: str = "") -> list[Entry]:
    """The configuration problems, each file named once above its own problems.

    The loader names the file in every problem (right for a log line); in a
    menu the same path on every line makes it as wide as the path is long.
    """
    if not problems:
        return []
    entries: list[Entry] = []
    current: str | None = None
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        match = _PROBLEM.match(problem)
        file, rest = (match["file"], match["rest"]) if match else (None, problem)
        if file != current or not entries:
            where = f" in {elide_middle(file)}" if file else ""
            entries.append(Entry(f"{indent}Configuration error{where}:", full=file))
            current = file
        entries.append(_line(f"{indent}  {rest}"))
    rest_count = len(problems) - MAX_PROBLEMS_SHOWN
    if rest_count > 0:
        entries.append(Entry(f"{indent}  … and {rest_count} more (Show problems…)"))
    return entries


def has_problems(status: Status) -> bool:
    """Whether anything is wrong that the problems window explains in full."""
    return bool(status.warnings) or any(
        p.config_error
        or p.warning
        or p.check_errors
        or uncounted_failure(p)
        or (p.mirror is not None and p.mirror.behind)
        for p in status.profiles
    )


def _problems_entry(status: Status) -> list[Entry]:
    return [Entry("Sho&w problems…", Action.PROBLEMS)] if has_problems(status) else []


def _profile_commands(p: ProfileStatus) -> list[Entry]:
    """Back up now / Stop backup, Pause for … / Resume, about one profile."""
    entries = []
    if p.running or p.queued:
        stopping = p.current_run is not None and p.current_run.stopping
        entries.append(Entry("S&top backup", Action.STOP, enabled=not stopping, profile=p.name))
    else:
        entries.append(
            Entry("&Back up now", Action.BACKUP, enabled=not p.config_error, profile=p.name)
        )
    if p.paused:
        entries.append(Entry("&Resume", Action.RESUME, profile=p.name))
    else:
        pause_for = duration_words(p.pause_seconds or DEFAULT_PAUSE_SECONDS)
        entries.append(Entry(f"&Pause for {pause_for}", Action.PAUSE, profile=p.name))
    return entries


def _home_tail(logs: tuple[Entry, ...]) -> list[Entry]:
    return [
        Entry("&Logs", children=(Entry("&Application log", Action.APP_LOG), *logs)),
        Entry("Setti&ngs…", Action.SETTINGS),
        Entry("Set &up a backup…", Action.SETUP),
        Entry("Open &configuration folder", Action.CONFIG_FOLDER),
        Entry("Reload confi&guration", Action.RELOAD),
        SEPARATOR,
        Entry("&Quit", Action.QUIT),
    ]


def _maintenance(status: Status, with_profile: bool) -> str | None:
    job = status.current_job
    if job is None or job.kind == "backup":
        return None
    words = maintenance_words(job)
    return f"{words} ({job.profile})" if with_profile else words


def _one_profile_menu(status: Status, p: ProfileStatus, now: float) -> list[Entry]:
    menu = _problem_entries(p.config_error)
    maintenance = _maintenance(status, with_profile=False)
    menu += _info(status_lines(p, now, status.warnings, maintenance))
    menu += _problems_entry(status)
    menu += [SEPARATOR, *_profile_commands(p), SEPARATOR]
    menu.append(
        Entry("R&estore files…", Action.RESTORE, enabled=not p.config_error, profile=p.name)
    )
    menu.append(
        Entry("Open restic &shell", Action.SHELL, enabled=not p.config_error, profile=p.name)
    )
    menu.append(Entry("&History…", Action.HISTORY))
    logs = (
        Entry("Last &restic log", Action.LAST_LOG, profile=p.name),
        Entry("Open logs &folder", Action.LOGS_FOLDER),
    )
    return menu + _home_tail(logs)


def home_warnings(status: Status) -> list[str]:
    """The problems about the home as a whole: ``warnings`` less the profiles' own.

    The status lists every profile's problems too (the primary's as they are,
    the others' prefixed with ``profile NAME:``); in a section per profile
    they are shown there instead.
    """
    if not status.profiles:
        return list(status.warnings)
    primary, *others = status.profiles
    owned = Counter(primary.warnings)
    owned.update(f"profile {o.name}: {w}" for o in others for w in o.warnings)
    out = []
    for warning in status.warnings:
        if owned[warning] > 0:
            owned[warning] -= 1
        else:
            out.append(warning)
    return out


def _profile_submenu(p: ProfileStatus) -> tuple[Entry, ...]:
    config_ok = not p.config_error
    return (
        *_profile_commands(p),
        SEPARATOR,
        Entry("R&estore files…", Action.RESTORE, enabled=config_ok, profile=p.name),
        Entry("Open restic &shell", Action.SHELL, enabled=config_ok, profile=p.name),
        Entry("&History…", Action.HISTORY, profile=p.name),
        Entry("Last restic &log", Action.LAST_LOG, profile=p.name),
        Entry("Setti&ngs…", Action.SETTINGS, profile=p.name),
        Entry("Open &configuration folder", Action.CONFIG_FOLDER, profile=p.name),
    )


#: The mnemonics of the home's own entries in a menu with several profiles.
_HOME_KEYS = frozenset("bprshlcgqwenu")


def _profiles_menu(status: Status, now: float) -> list[Entry]:
    menu: list[Entry] = []
    lines = [f"Problem: {w}" for w in home_warnings(status)]
    maintenance = _maintenance(status, with_profile=True)
    if maintenance:
        lines.append(maintenance)
    if status.queue:
        lines.append("Waiting: " + ", ".join(f"{q.kind} of {q.profile}" for q in status.queue))
    if lines:
        menu += [*_info(lines), SEPARATOR]
    used = set(_HOME_KEYS)
    for p in status.profiles:
        menu.append(Entry(with_mnemonic(p.name, used), children=_profile_submenu(p)))
        menu += _problem_entries(p.config_error, "  ")
        menu += _info(status_lines(p, now, p.warnings), "  ")
        menu.append(SEPARATOR)
    if has_problems(status):
        menu[-1:] = [*_problems_entry(status), SEPARATOR]
    config_ok = [p for p in status.profiles if not p.config_error]
    menu.append(Entry("&Back up all now", Action.BACKUP_ALL, enabled=bool(config_ok)))
    if not all(p.paused for p in status.profiles):
        pause_for = duration_words(status.profiles[0].pause_seconds or DEFAULT_PAUSE_SECONDS)
        menu.append(Entry(f"&Pause all for {pause_for}", Action.PAUSE))
    if any(p.paused for p in status.profiles):
        menu.append(Entry("&Resume all", Action.RESUME))
    menu.append(SEPARATOR)
    shell_keys: set[str] = set()
    shells = tuple(
        Entry(
            with_mnemonic(p.name, shell_keys),
            Action.SHELL,
            enabled=not p.config_error,
            profile=p.name,
        )
        for p in status.profiles
    )
    menu.append(Entry("R&estore files…", Action.RESTORE, enabled=bool(config_ok)))
    menu.append(Entry("Open restic &shell", children=shells))
    menu.append(Entry("&History…", Action.HISTORY))
    log_keys = {"a", "f"}
    logs = tuple(
        Entry(
            f"Last restic log: {with_mnemonic(p.name, log_keys)}", Action.LAST_LOG, profile=p.name
        )
        for p in status.profiles
    )
    return menu + _home_tail((*logs, Entry("Open logs &folder", Action.LOGS_FOLDER)))


def tray_view(status: Status | None, now: float | None = None) -> TrayView:
    now = time.time() if now is None else now
    if status is None or not status.profiles:
        menu = (Entry("Starting…", enabled=False), SEPARATOR, Entry("&Quit", Action.QUIT))
        return TrayView(IconState.STARTING, None, tooltip(None, now), menu)
    if len(status.profiles) == 1:
        entries = _one_profile_menu(status, status.profiles[0], now)
    else:
        entries = _profiles_menu(status, now)
    return TrayView(
        icon_state(status), backup_progress(status), tooltip(status, now), tuple(entries)
    )


def stopped_view(message: str) -> TrayView:
    """The engine could not start or has died: say so instead of showing a stale state."""
    menu = (
        _line(f"restic-monitor stopped: {message}"),
        Entry("No backups run until it is started again."),
        SEPARATOR,
        Entry("&Application log", Action.APP_LOG),
        Entry("Open &configuration folder", Action.CONFIG_FOLDER),
        SEPARATOR,
        Entry("&Quit", Action.QUIT),
    )
    return TrayView(IconState.ERROR, None, "restic-monitor stopped — see menu", menu)

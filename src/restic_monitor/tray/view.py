"""What the tray shows, as a pure function of the typed status.

No Qt here: the icon state, the tooltip and every menu entry are derived
from the same :class:`Status` that ``status --json`` prints, so they can be
tested exhaustively without a display and can never disagree with the CLI.

**One icon for the whole home.** Each profile has the state it would show
alone (a configuration error beats everything, a running backup hides its own
older failure and warning because it is about to replace them, a pause hides
the rest: the user chose it). The icon shows the worst of them in this order:
error > warning > backing up > paused > ok. A backup of one profile must not
hide that another one fails or is overdue, so error and warning beat backing
up in the shape; the progress ring is drawn around whatever shape is shown
while any backup runs, so the activity stays visible too. The tooltip names
the profile behind the shape.

**One profile looks as it always did**, so that existing users see no change;
with several, each gets a section (its lines, and a submenu named after it
with its own commands) above the entries for the whole home.
"""

from __future__ import annotations

import enum
import math
import time
from collections import Counter
from dataclasses import dataclass, field

from restic_monitor.isotime import parse_iso
from restic_monitor.status.model import ProfileStatus, Status
from restic_monitor.tray.wording import (
    ago,
    duration_words,
    maintenance_words,
    profile_tooltip,
    status_lines,
    uncounted_failure,
    with_mnemonic,
)

MAX_PROBLEMS_SHOWN = 8
DEFAULT_PAUSE_SECONDS = 28800.0


class IconState(str, enum.Enum):
    STARTING = "starting"
    OK = "ok"
    BACKING_UP = "backing-up"
    PAUSED = "paused"
    WARNING = "warning"
    ERROR = "error"


#: Which profile's state the icon shows: the highest.
SEVERITY = {
    IconState.OK: 0,
    IconState.PAUSED: 1,
    IconState.BACKING_UP: 2,
    IconState.WARNING: 3,
    IconState.ERROR: 4,
}


class Action(str, enum.Enum):
    BACKUP = "backup"
    BACKUP_ALL = "backup-all"
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
    is the text as the user reads it. ``profile`` is the profile a command is
    about; None means the whole home (or, for History…, every profile).
    """

    text: str
    action: Action | None = None
    enabled: bool = True
    children: tuple[Entry, ...] = ()
    separator: bool = False
    profile: str | None = None

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


# --- state -----------------------------------------------------------------------


def profile_state(p: ProfileStatus) -> IconState:
    """The icon one profile would show alone."""
    if p.config_error or p.reason == "needs_elevation":
        return IconState.ERROR
    if p.running:
        return IconState.BACKING_UP
    if p.paused:
        return IconState.PAUSED
    if uncounted_failure(p) or p.check_errors:
        return IconState.ERROR
    if p.warning or (p.mirror is not None and p.mirror.behind):
        return IconState.WARNING
    return IconState.OK


def worst_profile(status: Status) -> ProfileStatus | None:
    """The profile the icon stands for (the first of equals, so ``default`` first)."""
    if not status.profiles:
        return None
    return max(status.profiles, key=lambda p: SEVERITY[profile_state(p)])


def icon_state(status: Status | None) -> IconState:
    worst = worst_profile(status) if status is not None else None
    return IconState.STARTING if worst is None else profile_state(worst)


def backup_progress(status: Status) -> float | None:
    """The running backup's fraction for the ring (0.0 until restic reports it)."""
    running = next((p for p in status.profiles if p.running), None)
    if running is None:
        return None
    fraction = running.progress.fraction if running.progress is not None else None
    return fraction if fraction is not None else 0.0


def tooltip(status: Status | None, now: float) -> str:
    """One line, the answer to "is my stuff backed up?", naming the profile it is about."""
    worst = worst_profile(status) if status is not None else None
    if status is None or worst is None:
        return "restic-monitor — starting"
    state = profile_state(worst)
    if len(status.profiles) == 1:
        return profile_tooltip(worst, state.value, now)
    if state is IconState.OK:
        oldest = min(
            status.profiles,
            key=lambda p: parse_iso(p.last_success) if p.last_success else -math.inf,
        )
        if not oldest.last_success:
            return f"{oldest.name}: no backup yet"
        age = ago(now - parse_iso(oldest.last_success))
        return f"All {len(status.profiles)} profiles backed up · oldest: {oldest.name} {age}"
    text = profile_tooltip(worst, state.value, now)
    line = f"{worst.name}: {text[:1].lower()}{text[1:]}"
    alike = sum(1 for p in status.profiles if p is not worst and profile_state(p) is state)
    if alike and state in (IconState.ERROR, IconState.WARNING):
        line += f" (and {alike} more)"
    running = next((p for p in status.profiles if p.running), None)
    if running is not None and running is not worst:
        running_text = profile_tooltip(running, IconState.BACKING_UP.value, now)
        line += f" · {running.name}: {running_text[:1].lower()}{running_text[1:]}"
    return line


# --- the menu ------------------------------------------------------------------------


def _info(lines: list[str], indent: str = "") -> list[Entry]:
    return [Entry(f"{indent}{line}", enabled=False) for line in lines]


def _problem_entries(problems: list[str] | None, indent: str = "") -> list[Entry]:
    if not problems:
        return []
    entries = [Entry(f"{indent}Configuration error:", enabled=False)]
    many = len(problems) > MAX_PROBLEMS_SHOWN
    shown = problems[: MAX_PROBLEMS_SHOWN - 1] if many else problems
    entries.extend(_info(shown, indent + "  "))
    rest = problems[len(shown) :]
    if rest:  # every problem is in the menu; the rest one level down
        entries.append(
            Entry(
                f"{indent}  {len(rest)} more problems",
                children=tuple(Entry(p, enabled=False) for p in rest),
            )
        )
    return entries


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
    menu += [SEPARATOR, *_profile_commands(p), SEPARATOR]
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
        Entry("Open restic &shell", Action.SHELL, enabled=config_ok, profile=p.name),
        Entry("&History…", Action.HISTORY, profile=p.name),
        Entry("Last restic &log", Action.LAST_LOG, profile=p.name),
        Entry("Open &configuration folder", Action.CONFIG_FOLDER, profile=p.name),
    )


#: The mnemonics of the home's own entries in a menu with several profiles.
_HOME_KEYS = frozenset("bprshlcgq")


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
        Entry(f"restic-monitor stopped: {message}", enabled=False),
        Entry("No backups run until it is started again.", enabled=False),
        SEPARATOR,
        Entry("&Application log", Action.APP_LOG),
        Entry("Open &configuration folder", Action.CONFIG_FOLDER),
        SEPARATOR,
        Entry("&Quit", Action.QUIT),
    )
    return TrayView(IconState.ERROR, None, "restic-monitor stopped — see menu", menu)

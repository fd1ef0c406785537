"""What the icon and its tooltip say: the worst profile's state, in one line.

**One icon for the whole home.** Each profile has the state it would show
alone (a configuration error beats everything, a running backup hides its own
older failure and warning because it is about to replace them, a pause hides
the rest: the user chose it). The icon shows the worst of them in this order:
error > warning > backing up > paused > ok. A backup of one profile must not
hide that another one fails or is overdue, so error and warning beat backing
up in the shape; the progress ring is drawn around whatever shape is shown
while any backup runs, so the activity stays visible too. The tooltip names
the profile behind the shape.
"""

from __future__ import annotations

import enum
import math

from restic_monitor.isotime import parse_iso
from restic_monitor.status.model import ProfileStatus, Status
from restic_monitor.tray.wording import ago, profile_tooltip, uncounted_failure


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

"""A profile's small state files: pause, last-success marker, engine state.

Every write is atomic (temp file in the same folder, then rename), so a crash
or a full disk leaves either the old or the new content, never half a file.
Every read tolerates damage: a corrupt or unreadable file is logged and
treated as absent, because a backup tool that refuses to start over a broken
state file is worse than one that forgets a pause.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from restic_monitor.isotime import parse_iso, to_iso
from restic_monitor.paths import ProfileFiles

log = logging.getLogger(__name__)

MAX_STATE_BYTES = 64 * 1024


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` via a temp file and a rename.

    A private ``mode`` (no group or other bits) is made true on Windows too, by
    an owner-only access list set before the data is written; the rename keeps it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if sys.platform == "win32" and not mode & 0o077:
            from restic_monitor.platform.win_security import make_owner_only

            make_owner_only(tmp)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read_small_text(path: Path) -> str | None:
    """Content of a small state file, or None (logged) when absent or unusable."""
    try:
        if path.is_dir():
            log.warning("%s is a folder, expected a file; ignoring it", path)
            return None
        with path.open("rb") as fh:
            raw = fh.read(MAX_STATE_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read %s (%s); treating it as absent", path, exc.strerror)
        return None
    if len(raw) > MAX_STATE_BYTES:
        log.warning("%s is larger than %d bytes; treating it as absent", path, MAX_STATE_BYTES)
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        log.warning("%s is not UTF-8 text; treating it as absent", path)
        return None


# --- pause -----------------------------------------------------------------


def read_pause(home: ProfileFiles) -> float | None:
    """The epoch until which backups are paused, or None."""
    text = _read_small_text(home.pause_until)
    if text is None or not text.strip():
        return None
    try:
        return parse_iso(next(line for line in text.splitlines() if line.strip()))
    except (ValueError, OverflowError, OSError):
        log.warning(
            "%s does not hold an ISO 8601 time (%r); ignoring the pause",
            home.pause_until,
            text[:40],
        )
        return None


def write_pause(home: ProfileFiles, until: float) -> None:
    atomic_write(home.pause_until, (to_iso(until) + "\n").encode(), mode=0o644)


def clear_pause(home: ProfileFiles) -> None:
    with contextlib.suppress(FileNotFoundError):
        home.pause_until.unlink()


# --- last-success marker -----------------------------------------------------


def read_last_success(home: ProfileFiles) -> float | None:
    """The marker's mtime is the time of the last successful backup."""
    try:
        st = home.marker.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read %s (%s)", home.marker, exc.strerror)
        return None
    if not stat.S_ISREG(st.st_mode):
        log.warning("%s is not a file; treating the last success as unknown", home.marker)
        return None
    return st.st_mtime


def write_last_success(home: ProfileFiles, when: float, snapshot_id: str | None) -> None:
    text = f"last successful backup: {to_iso(when)}\n"
    if snapshot_id:
        text += f"snapshot: {snapshot_id}\n"
    atomic_write(home.marker, text.encode(), mode=0o644)
    os.utime(home.marker, (when, when))


# --- small engine state -------------------------------------------------------


@dataclass
class EngineState:
    """What must survive a restart besides pause, marker and history."""

    last_warning_notice: float | None = None
    unlock_needed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    #: When the user last stopped a backup whose hold is not over (a restart keeps it).
    stopped_at: float | None = None
    #: That hold still waits to see the user come back (idle sources that can see that).
    stop_waits_for_activity: bool = False
    #: The last repository check found errors (the profile is red until one succeeds).
    check_errors: bool = False


def read_engine_state(home: ProfileFiles) -> EngineState:
    text = _read_small_text(home.state_json)
    if text is None:
        if home.state_json.exists():
            # Unreadable: it may have recorded an unclean run, so clear stale locks.
            return EngineState(unlock_needed=True)
        return EngineState()
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        notice = data.get("last_warning_notice")
        if notice is not None and (
            isinstance(notice, bool) or not isinstance(notice, (int, float))
        ):
            raise ValueError("last_warning_notice is not a number")
        unlock = data.get("unlock_needed", False)
        if not isinstance(unlock, bool):
            raise ValueError("unlock_needed is not a boolean")
        extra = data.get("extra", {})
        stopped = data.get("stopped_at")
        if stopped is not None and (
            isinstance(stopped, bool) or not isinstance(stopped, (int, float))
        ):
            stopped = None  # not ours to trust: a stop's hold is not worth refusing to start
        return EngineState(
            last_warning_notice=notice,
            unlock_needed=unlock,
            extra=extra if isinstance(extra, dict) else {},
            stopped_at=stopped,
            stop_waits_for_activity=data.get("stop_waits_for_activity") is True,
            check_errors=data.get("check_errors") is True,
        )
    except (ValueError, RecursionError) as exc:
        log.warning("%s is damaged (%s); starting from defaults", home.state_json, exc)
        # A damaged file may hide an unclean run: clear stale locks to be safe.
        return EngineState(unlock_needed=True)


def write_engine_state(home: ProfileFiles, state: EngineState) -> None:
    atomic_write(home.state_json, json.dumps(asdict(state), indent=1).encode())

"""The app home and every file in it.

The names are those of the earlier Windows tool so that its users can point
restic-monitor at their existing folder and keep going. Nothing here touches
the disk on construction: creating folders is an explicit step
(:meth:`Home.ensure`) so that read-only commands such as ``status`` never
create a home as a side effect.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "restic-monitor"
HOME_ENV = "RESTIC_MONITOR_HOME"

# Unix socket paths are limited to ~108 bytes (104 on macOS); stay well below.
_MAX_SOCKET_PATH = 100


def default_home() -> Path:
    """``%LOCALAPPDATA%\\restic-monitor`` on Windows, the user data dir elsewhere."""
    import platformdirs  # only when no --home or RESTIC_MONITOR_HOME is given

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False))


def resolve_home(cli_home: str | os.PathLike[str] | None = None) -> Home:
    """``--home`` wins over ``RESTIC_MONITOR_HOME``, which wins over the default."""
    if cli_home:
        return Home(Path(cli_home).expanduser().absolute())
    env_home = os.environ.get(HOME_ENV)
    if env_home:
        return Home(Path(env_home).expanduser().absolute())
    return Home(default_home())


@dataclass(frozen=True)
class Home:
    root: Path

    @property
    def env_json(self) -> Path:
        return self.root / "env.json"

    @property
    def settings_json(self) -> Path:
        return self.root / "settings.json"

    @property
    def lock(self) -> Path:
        return self.root / "lock"

    @property
    def pause_until(self) -> Path:
        return self.root / "pause_until.txt"

    @property
    def marker(self) -> Path:
        return self.root / "restic-last-successful.marker"

    @property
    def state_json(self) -> Path:
        """Small bits of engine state (warning throttle, pending unlock)."""
        return self.root / "state.json"

    @property
    def history_db(self) -> Path:
        return self.root / "history.sqlite3"

    @property
    def control_json(self) -> Path:
        """Where the running instance publishes its control address and token."""
        return self.root / "control.json"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def app_log(self) -> Path:
        return self.logs / "restic-monitor.log"

    @property
    def last_log(self) -> Path:
        return self.logs / "restic-last.log"

    def control_socket(self) -> Path:
        """A Unix socket path that fits the OS limit whatever the home's length.

        Inside the home when short enough; otherwise in a per-user private
        folder under the temp dir, named by a hash of the home so that the CLI
        finds the same path the instance chose.
        """
        inside = self.root / "control.sock"
        if len(os.fsencode(inside)) <= _MAX_SOCKET_PATH:
            return inside
        import hashlib  # only for long homes: keeps OpenSSL out of a short-home process

        digest = hashlib.sha256(os.fsencode(self.root)).hexdigest()[:20]
        uid = os.getuid() if hasattr(os, "getuid") else 0
        base = Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir())
        candidate = base / f"restic-monitor-{uid}" / f"{digest}.sock"
        if len(os.fsencode(candidate)) > _MAX_SOCKET_PATH:
            candidate = Path("/tmp") / f"restic-monitor-{uid}" / f"{digest}.sock"  # noqa: S108
        return candidate

    def ensure(self) -> None:
        """Create the home and logs folders, private to the user."""
        for folder in (self.root, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
            if sys.platform != "win32":
                with contextlib.suppress(OSError):
                    folder.chmod(0o700)

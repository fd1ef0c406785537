"""The app home, its profiles, and every file in them.

The names are those of the earlier Windows tool so that its users can point
restic-monitor at their existing folder and keep going: the files at the
home's root are the profile ``default``, and further profiles live in
``profiles/<name>/`` with the same layout. Nothing here touches the disk on
construction: creating folders is an explicit step (:meth:`Home.ensure`) so
that read-only commands such as ``status`` never create a home as a side
effect.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from pathlib import Path

#: Not typing.TYPE_CHECKING: importing typing costs every `status` 2 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

APP_NAME = "restic-monitor"
HOME_ENV = "RESTIC_MONITOR_HOME"
DEFAULT_PROFILE = "default"
PROFILE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


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


def valid_profile_name(name: str) -> bool:
    return PROFILE_NAME.fullmatch(name) is not None


class ProfileFiles:
    """The files of one profile, laid out in its folder as the earlier tool did.

    An immutable value compared by its fields, as a frozen dataclass would be,
    written out because ``dataclasses`` (with ``inspect`` under it) is the
    largest import of ``status`` asking a running instance.
    """

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    name: str
    root: Path

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f) for f in self._fields)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, ProfileFiles)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self).__name__, *self._values()))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return type(self), self._values()

    def __repr__(self) -> str:
        fields = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__name__}({fields})"

    @property
    def env_json(self) -> Path:
        return self.root / "env.json"

    @property
    def settings_json(self) -> Path:
        return self.root / "settings.json"

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
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def last_log(self) -> Path:
        return self.logs / "restic-last.log"

    def exists(self) -> bool:
        return self.settings_json.exists() or self.env_json.exists()

    def ensure(self) -> None:
        """Create the folder and its logs folder, private to the user."""
        for folder in (self.root, self.logs):
            _private_folder(folder)


class ProfileHome(ProfileFiles):
    """One profile's folder: its configuration, its state and its last restic log."""

    __slots__ = ("name", "root")
    _fields = ("name", "root")

    def __init__(self, name: str, root: Path) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "root", root)


class Home(ProfileFiles):
    """The home folder: profile ``default`` at its root, the instance's files beside it."""

    __slots__ = ("root",)
    _fields = ("root",)
    name = DEFAULT_PROFILE

    def __init__(self, root: Path) -> None:
        object.__setattr__(self, "root", root)

    @property
    def lock(self) -> Path:
        return self.root / "lock"

    @property
    def history_db(self) -> Path:
        return self.root / "history.sqlite3"

    @property
    def control_json(self) -> Path:
        """Where the running instance publishes its control address and token."""
        return self.root / "control.json"

    @property
    def app_log(self) -> Path:
        return self.logs / "restic-monitor.log"

    @property
    def profiles_dir(self) -> Path:
        return self.root / "profiles"

    def command(self, words: str) -> str:
        """``restic-monitor WORDS`` as it must be typed to reach this home.

        A hint is pasted into a shell: without the ``--home`` in use it would act
        on another home (or on none) and seem not to work.
        """
        if self.root == default_home():
            return f"restic-monitor {words}"
        text = str(self.root)
        quoted = f'"{text}"' if any(c.isspace() for c in text) else text
        return f"restic-monitor --home {quoted} {words}"

    def profile(self, name: str) -> ProfileHome:
        """The files of profile ``name`` (``default`` is the home's root)."""
        if name == DEFAULT_PROFILE:
            return ProfileHome(DEFAULT_PROFILE, self.root)
        return ProfileHome(name, self.profiles_dir / name)

    def profile_folders(self) -> tuple[list[str], list[str]]:
        """(names of the profiles under ``profiles/``, folders there that are not profiles)."""
        try:
            entries = sorted(os.scandir(self.profiles_dir), key=lambda e: e.name)
        except OSError:
            return [], []
        names: list[str] = []
        ignored: list[str] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if not is_dir:
                continue
            if entry.name == DEFAULT_PROFILE or not valid_profile_name(entry.name):
                ignored.append(entry.name)
            else:
                names.append(entry.name)
        return names, ignored

    def profile_names(self) -> list[str]:
        """Every profile of the home, ``default`` first.

        ``default`` is there when the root holds its files, or when there is no
        other profile (a fresh home then reports its missing settings.json).
        """
        names, _ignored = self.profile_folders()
        if self.exists() or not names:
            return [DEFAULT_PROFILE, *names]
        return names

    @property
    def control_socket(self) -> Path:
        """Where the instance's Unix socket goes when the home's path is short enough.

        Otherwise the instance chooses a place outside the home
        (:mod:`restic_monitor.platform.unix_socket`); either way clients take
        the address it publishes in :attr:`control_json`, never this path.
        """
        return self.root / "control.sock"


def _private_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if sys.platform != "win32":
        with contextlib.suppress(OSError):
            folder.chmod(0o700)

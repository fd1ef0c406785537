"""Which program start-at-login runs: an installed one, never a checkout or a temporary copy.

An autostart entry that runs a development clone's ``.venv`` python stops
working, without a word, the day the clone is moved or deleted; one that
runs ``uvx``'s cached copy stops when the cache is cleaned. Backups then
silently end. So ``install`` points at the packaged app or an installed
launcher (``uv tool install``, ``pipx``, a plain ``pip install``), finds one
on PATH when it is itself run from a checkout, and otherwise refuses with
the commands that install one. ``--use-this-environment`` overrides that for
those who know what they are doing.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: Path parts that mark a cache of throw-away environments (uvx, pipx run, pip builds).
_CACHE_MARKERS = ("archive-v0", "builds-v0", "pip-build-env", "pip-req-build")


class LauncherError(Exception):
    """No lasting program to start at login; the text says what to run."""


@dataclass(frozen=True)
class Environment:
    """Where this restic-monitor runs from (what :func:`launcher` decides on)."""

    python: Path
    prefix: Path
    package: Path
    frozen: bool
    platform: str
    temp_roots: tuple[Path, ...]

    @classmethod
    def current(cls) -> Environment:
        import restic_monitor

        roots = {Path(tempfile.gettempdir()), Path("/tmp"), Path("/var/tmp")}  # noqa: S108
        return cls(
            python=Path(sys.executable),
            prefix=Path(sys.prefix),
            package=Path(restic_monitor.__file__).parent,
            frozen=bool(getattr(sys, "frozen", False)),
            platform=sys.platform,
            temp_roots=tuple(sorted(roots)),
        )


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path


def checkout_of(path: Path) -> Path | None:
    """The restic-monitor source checkout ``path`` lies in, if any."""
    for folder in [_resolved(path), *_resolved(path).parents]:
        project = folder / "pyproject.toml"
        try:
            if project.is_file() and 'name = "restic-monitor"' in project.read_text("utf-8"):
                return folder
        except (OSError, UnicodeDecodeError):
            continue
    return None


def temporary(path: Path, temp_roots: tuple[Path, ...]) -> bool:
    """Whether ``path`` is in a temporary folder or a cache of throw-away environments."""
    path = _resolved(path)
    if any(marker in path.parts for marker in _CACHE_MARKERS):
        return True
    return any(path.is_relative_to(_resolved(root)) for root in temp_roots)


def why_not_lasting(path: Path, temp_roots: tuple[Path, ...]) -> str | None:
    """Why a program at ``path`` would not survive (None: it would)."""
    checkout = checkout_of(path)
    if checkout is not None:
        return f"a development checkout ({checkout})"
    if temporary(path, temp_roots):
        return f"a temporary environment ({path})"
    return None


def _here(env: Environment) -> list[str]:
    """This environment's own launcher."""
    if env.frozen:
        return [str(env.python)]
    folder = env.python.parent
    if env.platform == "win32":  # windowed: no console window at login
        for name in ("restic-monitorw.exe", "pythonw.exe"):
            if (folder / name).exists():
                tail = [] if name.startswith("restic") else ["-m", "restic_monitor"]
                return [str(folder / name), *tail]
        return [str(env.python), "-m", "restic_monitor"]
    script = folder / "restic-monitor"
    if script.exists():
        return [str(script)]
    return [str(env.python), "-m", "restic_monitor"]


def _installed_on_path(env: Environment, which: Callable[[str], str | None]) -> Path | None:
    names = ["restic-monitorw", "restic-monitor"] if env.platform == "win32" else ["restic-monitor"]
    for name in names:
        found = which(name)
        if found and why_not_lasting(Path(found), env.temp_roots) is None:
            return Path(found)
    return None


def launcher(
    env: Environment,
    *,
    use_this_environment: bool = False,
    which: Callable[[str], str | None] = shutil.which,
) -> tuple[list[str], str | None]:
    """The command that starts restic-monitor at login, and a note when it is not this one."""
    if env.frozen:
        return _here(env), None
    problem = why_not_lasting(env.package, env.temp_roots) or why_not_lasting(
        env.prefix, env.temp_roots
    )
    if problem is None or use_this_environment:
        return _here(env), None
    installed = _installed_on_path(env, which)
    if installed is not None:
        return [str(installed)], (
            f"This restic-monitor runs from {problem}; start at login uses the installed "
            f"{installed} instead."
        )
    source = checkout_of(env.package) or checkout_of(env.prefix)
    what = str(source) if source is not None else "restic-monitor"
    raise LauncherError(
        f"this restic-monitor runs from {problem}: an entry that starts it at login would "
        "stop working, without a word, once that folder is moved, deleted or cleaned up. "
        "Install restic-monitor first, then run install from there:\n"
        f"    uv tool install {what}    (or: pipx install {what})\n"
        "    restic-monitor install\n"
        "To point at this environment all the same, add --use-this-environment."
    )

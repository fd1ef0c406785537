"""The one place that builds restic's command lines and the environment restic gets.

Every restic that restic-monitor starts (backups, unlocks, the configuration
check, the version probe, the demo, ``restic-monitor restic ...``) is a
:class:`ResticCommand` made here: the executable, the arguments, the process
environment plus the profile's env.json (never our own ``os.environ``), and
the :class:`Redactor` that masks the profile's secrets in whatever restic says.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from restic_monitor.platform.process import not_a_program
from restic_monitor.restic.masking import Redactor, secret_values, secrets_of


class ResticUnavailable(Exception):
    """restic_exe names nothing restic-monitor can run; ``reason`` for the history."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def find_restic(restic_exe: str) -> str:
    """The full path of settings.json's ``restic_exe`` (``~`` and variables expanded,
    a bare name looked up on PATH), or :class:`ResticUnavailable` saying why not."""
    exe = os.path.expanduser(os.path.expandvars(restic_exe))
    found = (exe if os.path.exists(exe) else None) if os.path.dirname(exe) else shutil.which(exe)
    if found is None:
        raise ResticUnavailable(
            "restic_not_found",
            f"restic not found: {restic_exe!r} (settings.json restic_exe). "
            "Install restic or set restic_exe to its full path.",
        )
    why = not_a_program(found)
    if why is not None:
        where = "" if found == restic_exe else f", found as {found}"
        raise ResticUnavailable(
            "restic_not_runnable",
            f"restic_exe {restic_exe} (settings.json{where}) is not a program "
            f"restic-monitor can run: {why}.",
        )
    return found


def is_backup(args: Sequence[str]) -> bool:
    """Whether the command is a backup (the first non-option word is ``backup``)."""
    for arg in args:
        if arg.startswith("-"):
            continue
        return arg == "backup"
    return False


#: Options of restic backup (0.14 to 0.19, global ones included) that take a value.
_BACKUP_VALUES = frozenset(
    {
        "-e", "--exclude", "--exclude-file", "--exclude-if-present", "--exclude-larger-than",
        "--files-from", "--files-from-raw", "--files-from-verbatim", "-g", "--group-by",
        "-H", "--host", "--iexclude", "--iexclude-file", "--parent", "--read-concurrency",
        "--stdin-filename", "--tag", "--time", "--cacert", "--cache-dir", "--compression",
        "--http-user-agent", "--key-hint", "--limit-download", "--limit-upload", "-o",
        "--option", "--pack-size", "--password-command", "-p", "--password-file", "-r",
        "--repo", "--repository-file", "--retry-lock", "--stuck-request-timeout",
        "--tls-client-cert",
    }
)  # fmt: skip


def backup_sources(args: Sequence[str]) -> list[str] | None:
    """The files and folders a backup command names (``--files-from`` lists aside);
    None when it is no backup or backs up something else (``--stdin``)."""
    words = list(args)
    first = next((i for i, a in enumerate(words) if not a.startswith("-")), None)
    if first is None or words[first] != "backup":
        return None
    sources: list[str] = []
    rest = iter(words[first + 1 :])
    for arg in rest:
        if arg == "--":
            sources.extend(rest)
            break
        name = arg.split("=", 1)[0]
        if name in ("--stdin", "--stdin-from-command"):
            return None
        if arg.startswith("-") and len(arg) > 1:
            if name in _BACKUP_VALUES and "=" not in arg:
                next(rest, None)
            continue
        sources.append(arg)
    return sources


def wants_json(args: Sequence[str], progress: bool) -> bool:
    """Whether ``--json`` must be added for progress."""
    return progress and is_backup(args) and "--json" not in args


def speaks_json(args: Sequence[str], progress: bool) -> bool:
    """Whether the backup's output will be JSON (added by us or by the user)."""
    return is_backup(args) and (progress or "--json" in args)


def backup_args(args: Sequence[str], progress: bool) -> list[str]:
    """The backup's arguments; ``--json`` is added right after ``backup`` for progress."""
    argv = list(args)
    if wants_json(argv, progress):
        index = argv.index("backup")
        argv.insert(index + 1, "--json")
    return argv


def child_env(env: Mapping[str, str], base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Process environment plus env.json: given to restic only, never to ourselves."""
    merged = dict(os.environ if base is None else base)
    merged.update(env)
    return merged


def no_window_flags() -> int:
    """Creation flags that keep a console window from flashing up on Windows."""
    if sys.platform == "win32":
        return subprocess.CREATE_NO_WINDOW
    return 0


def shell_welcome(names: Iterable[str]) -> str:
    """The line a restic shell starts with: variable names only, never values."""
    shown = ", ".join(sorted(names)) or "no variables"
    return f"restic environment loaded ({shown}). Try `restic snapshots`; type exit to leave."


@dataclass(frozen=True)
class ResticCommand:
    """One restic invocation, ready to run. Its repr shows the masked command only."""

    argv: tuple[str, ...]
    env: dict[str, str] = field(repr=False)
    redactor: Redactor = field(repr=False)

    def shown(self) -> str:
        """The command line for logs and messages, secrets masked."""
        return self.redactor.text(" ".join(_quote(a) for a in self.argv))

    def run(self, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
        """Run to the end with the output captured (raises ``subprocess.TimeoutExpired``)."""
        return subprocess.run(
            list(self.argv),
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            creationflags=no_window_flags(),
            check=False,
        )

    def masked_lines(self, output: str | bytes | None) -> list[str]:
        """restic's lines, cleaned and masked before anyone reads them."""
        from restic_monitor.restic.output import clean_line

        if isinstance(output, bytes):
            output = output.decode("utf-8", "replace")
        lines = (output or "").splitlines()
        return [self.redactor.text(clean_line(x)) for x in lines if x.strip()]


class Restic:
    """restic for one profile: its executable and its environment from env.json."""

    def __init__(
        self, exe: str, env: Mapping[str, str] | None = None, *, also_mask: Iterable[str] = ()
    ) -> None:
        self.exe = exe
        given = dict(env or {})
        # env.json's RESTIC_MONITOR_* values (a health check's URL) are ours, not restic's.
        self.variables = {k: v for k, v in given.items() if not k.startswith("RESTIC_MONITOR_")}
        self.redactor = Redactor([*secrets_of(given), *secret_values(also_mask)])

    def __repr__(self) -> str:
        return f"Restic({self.exe!r}, names={sorted(self.variables)})"

    def command(self, *args: str) -> ResticCommand:
        return ResticCommand((self.exe, *args), child_env(self.variables), self.redactor)

    def backup(self, args: Sequence[str], progress: bool) -> ResticCommand:
        return self.command(*backup_args(args, progress))

    def shell_env(self) -> dict[str, str]:
        """The restic shell's environment: env.json, restic's folder first on PATH, a marker."""
        merged = child_env(self.variables)
        folder = os.path.dirname(self.exe)
        if folder:  # a bare name is found on PATH as it is
            merged["PATH"] = folder + os.pathsep + merged.get("PATH", "")
        merged["RESTIC_MONITOR_SHELL"] = "1"
        return merged


def version(exe: str, timeout: float = 10.0) -> str | None:
    """restic's version string (``0.14.0``), or None when it cannot be run."""
    try:
        out = Restic(exe).command("version").run(timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"restic\s+(\d+\.\d+\.\d+\S*)", out.stdout)
    return match.group(1) if match else None


def version_tuple(text: str | None) -> tuple[int, ...]:
    if not text:
        return ()
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(x) for x in match.groups()) if match else ()


def _quote(arg: str) -> str:
    if not arg or any(c in arg for c in " \t\"'"):
        import json

        return json.dumps(arg)
    return arg

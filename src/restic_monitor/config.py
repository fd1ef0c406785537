"""Settings and restic environment: loading and validation.

Validation collects *every* problem in one pass so that a user fixing a file
sees the whole list at once instead of one error per restart. Each problem
names the file, the key and what was expected. Values from env.json are
secrets: no message produced here ever contains one.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import shutil
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restic_monitor.paths import Home

MAX_CONFIG_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SettingSpec:
    name: str
    kind: str  # "string" | "string-list" | "seconds" | "bool"
    default: Any
    meaning: str
    positive: bool = False  # for seconds: 0 is not allowed
    required: bool = False


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "restic_exe",
        "string",
        "restic",
        "Path of the restic executable. A bare name is looked up on PATH.",
    ),
    SettingSpec(
        "args",
        "string-list",
        None,
        "The restic command line to run, without the executable, for example "
        '["backup", "--exclude-caches", "C:\\\\Users\\\\me"]. Usually starts with "backup".',
        required=True,
    ),
    SettingSpec(
        "min_idle_seconds",
        "seconds",
        300,
        "Idle time (no keyboard or mouse input) needed before a backup starts automatically.",
    ),
    SettingSpec(
        "min_seconds_between_backups",
        "seconds",
        3600,
        "Minimum time from the start of the previous backup (automatic or manual) to the "
        "start of an automatic one.",
    ),
    SettingSpec(
        "no_backup_warning_seconds",
        "seconds",
        86400,
        "Warn when the last successful backup is older than this.",
        positive=True,
    ),
    SettingSpec(
        "ignore_exit_code_3",
        "bool",
        False,
        "Count restic's exit code 3 (snapshot created, but some files could not be read) "
        "as a success.",
    ),
    SettingSpec(
        "pause_seconds",
        "seconds",
        28800,
        'How long "Pause" suspends automatic backups (8 hours by default).',
        positive=True,
    ),
    SettingSpec(
        "progress",
        "bool",
        True,
        "Ask restic for JSON progress (adds --json to backup commands) to show percent, "
        "files, bytes and ETA, and to record each run's summary in the history.",
    ),
    SettingSpec(
        "low_priority",
        "bool",
        True,
        "Run restic at reduced CPU and I/O priority so that it never slows down your work.",
    ),
    SettingSpec(
        "stall_seconds",
        "seconds",
        300,
        "A running backup whose progress has not moved for this long is shown as stalled "
        "(a server that went away, a disk that hangs), so that you can stop it.",
        positive=True,
    ),
    SettingSpec(
        "prevent_sleep",
        "bool",
        True,
        "Keep the computer from going to sleep while a backup runs (released when it ends).",
    ),
    SettingSpec(
        "skip_on_battery",
        "bool",
        False,
        "Do not start automatic backups while the computer runs on battery.",
    ),
    SettingSpec(
        "notify_success",
        "bool",
        False,
        "Also show a notification when a backup succeeds (failures and warnings always notify).",
    ),
)

SETTINGS_BY_NAME = {spec.name: spec for spec in SETTINGS}


@dataclass(frozen=True)
class Settings:
    args: tuple[str, ...]
    restic_exe: str = "restic"
    min_idle_seconds: float = 300
    min_seconds_between_backups: float = 3600
    no_backup_warning_seconds: float = 86400
    ignore_exit_code_3: bool = False
    pause_seconds: float = 28800
    progress: bool = True
    low_priority: bool = True
    stall_seconds: float = 300
    prevent_sleep: bool = True
    skip_on_battery: bool = False
    notify_success: bool = False

    def resolve_restic(self) -> str | None:
        """The restic executable's full path, or None when it cannot be found."""
        exe = os.path.expanduser(os.path.expandvars(self.restic_exe))
        if os.path.dirname(exe):
            return exe if os.path.isfile(exe) else None
        return shutil.which(exe)


class SecretEnv(Mapping[str, str]):
    """The variables from env.json. Its repr shows names only, never values."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._values = dict(values or {})

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"SecretEnv(names={sorted(self._values)})"

    __str__ = __repr__

    def secrets(self) -> list[str]:
        """Values worth masking in output (very short values would garble logs)."""
        return sorted({v for v in self._values.values() if len(v) >= 4}, key=len, reverse=True)


@dataclass(frozen=True)
class Problem:
    file: Path
    key: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}"
        if self.key:
            where += f": {self.key}"
        return f"{where}: {self.message}"


class ConfigError(Exception):
    """The configuration cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Config:
    settings: Settings
    env: SecretEnv = field(default_factory=SecretEnv)


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return f"the string {json.dumps(value)[:60]}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _read_json_object(path: Path, problems: list[Problem], secret: bool) -> dict[str, Any] | None:
    """Read ``path`` as a JSON object, appending problems instead of raising."""

    def problem(msg: str, key: str | None = None) -> None:
        problems.append(Problem(path, key, msg))

    try:
        st = path.stat()
    except FileNotFoundError:
        problem(
            f"file not found. Create it in {path.parent} "
            "(`restic-monitor init` writes example files to start from)."
        )
        return None
    except OSError as exc:  # e.g. a home folder created by another user
        problem(f"cannot be read ({exc.strerror or exc.__class__.__name__}).")
        return None
    if stat.S_ISDIR(st.st_mode):
        problem("is a folder, expected a JSON file.")
        return None
    try:
        size = st.st_size
        if size > MAX_CONFIG_BYTES:
            problem(f"is {size} bytes; a configuration file is expected to be under 1 MiB.")
            return None
        raw = path.read_bytes()
    except OSError as exc:
        problem(f"cannot be read ({exc.strerror or exc.__class__.__name__}).")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problem(
            f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8."
        )
        return None
    if not text.strip():
        problem("is empty; expected a JSON object such as {}.")
        return None

    duplicates: list[str] = []

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                duplicates.append(key)
            seen[key] = value
        return seen

    try:
        data = json.loads(text, object_pairs_hook=pairs_hook)
    except json.JSONDecodeError as exc:
        # exc.msg never quotes the document, so no secret can leak through it.
        problem(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}.")
        return None
    except RecursionError:
        problem("is nested too deeply to be a configuration file.")
        return None
    except ValueError as exc:
        # e.g. an integer with thousands of digits; the message quotes no content.
        problem(f"cannot be read as JSON ({str(exc).split(':')[0]}).")
        return None
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        problem(f"expected a JSON object {{...}} at the top level, found {kind}.")
        return None
    for key in sorted(set(duplicates)):
        problem("appears more than once; keep only one.", key)
    return data


def _check_seconds(spec: SettingSpec, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = ""
        if isinstance(value, str):
            hint = " (write the number without quotes)"
        return f"expected a number of seconds, got {_describe(value)}{hint}."
    if isinstance(value, float) and not math.isfinite(value):
        return "expected a finite number of seconds."
    if value < 0:
        return f"expected 0 or more seconds, got {value}."
    if spec.positive and value == 0:
        return "expected more than 0 seconds."
    if value > 10 * 365 * 86400:
        return f"expected at most ten years ({10 * 365 * 86400} seconds), got {value}."
    return None


def _check(spec: SettingSpec, value: Any) -> str | None:
    if spec.kind == "bool":
        if not isinstance(value, bool):
            hint = ""
            if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
                hint = f" (write {value.strip().lower()} without quotes)"
            return f"expected true or false, got {_describe(value)}{hint}."
        return None
    if spec.kind == "seconds":
        return _check_seconds(spec, value)
    if spec.kind == "string":
        if not isinstance(value, str) or not value.strip():
            return f"expected a non-empty string, got {_describe(value)}."
        return None
    if spec.kind == "string-list":
        if not isinstance(value, list):
            return f"expected a list of strings, got {_describe(value)}."
        if not value:
            return 'expected at least one argument, such as ["backup", "<folder>"].'
        bad = [i for i, item in enumerate(value) if not isinstance(item, str)]
        if bad:
            return (
                f"expected every item to be a string; item {bad[0]} is {_describe(value[bad[0]])}."
            )
        return None
    raise AssertionError(spec.kind)


def _unknown_key_message(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"unknown setting, did you mean {close[0]}?"
    return "unknown setting (keys starting with _ are allowed as comments)."


def parse_settings(data: Mapping[str, Any], path: Path, problems: list[Problem]) -> Settings | None:
    start = len(problems)
    values: dict[str, Any] = {}
    known = [spec.name for spec in SETTINGS]
    for key in data:
        if key.startswith("_"):
            continue  # comment keys
        if key not in SETTINGS_BY_NAME:
            problems.append(Problem(path, key, _unknown_key_message(key, known)))
    for spec in SETTINGS:
        if spec.name not in data:
            if spec.required:
                problems.append(
                    Problem(path, spec.name, "missing; expected " + _required_hint(spec))
                )
            continue
        message = _check(spec, data[spec.name])
        if message:
            problems.append(Problem(path, spec.name, message))
            continue
        value = data[spec.name]
        if spec.kind == "string-list":
            value = tuple(value)
        elif spec.kind == "seconds":
            value = float(value)
        values[spec.name] = value
    if len(problems) > start:
        return None
    return Settings(**values)


def _required_hint(spec: SettingSpec) -> str:
    if spec.name == "args":
        return 'a list of strings with the restic command, such as ["backup", "C:\\\\Users\\\\me"].'
    return "a value."


def parse_env(
    data: Mapping[str, Any], path: Path, problems: list[Problem], *, keyring: bool = True
) -> SecretEnv | None:
    """``keyring=False`` checks keyring references without asking the keyring (which may
    prompt to be unlocked): for read-only commands that never run restic."""
    start = len(problems)
    values: dict[str, str] = {}
    for key, raw in data.items():
        value = raw
        if key.startswith("_"):
            continue  # comment keys, as in settings.json
        if not key or "=" in key or "\0" in key:
            # Never echo the key whole: "NAME=value" would put a value in the message.
            name = key.split("=")[0].split("\0")[0]
            marker = "=…" if "=" in key else "…"
            shown = f"{name}{marker}" if key else "(empty name)"
            problems.append(
                Problem(
                    path,
                    shown,
                    "not a valid environment variable name (a name cannot be empty or "
                    "contain '='; write the value after the colon).",
                )
            )
            continue
        if isinstance(value, dict):
            resolved = _from_keyring(value, path, key, problems, lookup=keyring)
            if resolved is None:
                continue
            value = resolved
        if not isinstance(value, str):
            # Never echo the value: it may be a secret.
            problems.append(Problem(path, key, f"expected a string value, got {_kind(value)}."))
            continue
        if "\0" in value:
            problems.append(Problem(path, key, "the value contains a NUL character."))
            continue
        values[key] = value
    if len(problems) > start:
        return None
    return SecretEnv(values)


def _from_keyring(
    value: dict[str, Any], path: Path, key: str, problems: list[Problem], *, lookup: bool = True
) -> str | None:
    """``{"keyring": "NAME"}``: the value stored with ``restic-monitor secret set NAME``."""
    name = value.get("keyring")
    if set(value) != {"keyring"} or not isinstance(name, str) or not name.strip():
        problems.append(
            Problem(
                path,
                key,
                'expected a string, or {"keyring": "NAME"} to take the value from the '
                "system keyring.",
            )
        )
        return None
    if not lookup:
        return ""
    from restic_monitor.secrets_store import SecretStoreError, get_secret

    try:
        secret = get_secret(name)
    except SecretStoreError as exc:
        problems.append(Problem(path, key, f"keyring entry {name!r}: {exc}."))
        return None
    if secret is None:
        problems.append(
            Problem(
                path,
                key,
                f"no keyring entry {name!r}; store it with `restic-monitor secret set {name}`.",
            )
        )
        return None
    return secret


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number (put it in quotes)"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    return "an object"


def load_settings(home: Home, problems: list[Problem]) -> Settings | None:
    data = _read_json_object(home.settings_json, problems, secret=False)
    if data is None:
        return None
    return parse_settings(data, home.settings_json, problems)


def load_env(home: Home, problems: list[Problem], *, keyring: bool = True) -> SecretEnv | None:
    data = _read_json_object(home.env_json, problems, secret=True)
    if data is None:
        return None
    return parse_env(data, home.env_json, problems, keyring=keyring)


def load_config(home: Home, *, keyring: bool = True) -> Config:
    """Load both files; raise :class:`ConfigError` listing every problem found.

    ``keyring=False``: keyring references are checked but not looked up, and
    the environment is then not fit to run restic with.
    """
    problems: list[Problem] = []
    settings = load_settings(home, problems)
    env = load_env(home, problems, keyring=keyring)
    if env is not None:
        # The application log's filter masks these from now on, whatever logs them.
        from restic_monitor.logs import SECRETS

        SECRETS.update(env.secrets())
    if problems or settings is None or env is None:
        raise ConfigError(problems)
    return Config(settings=settings, env=env)


def config_signature(home: Home) -> tuple[tuple[int, int] | None, ...]:
    """Cheap fingerprint of the two files, to notice edits without reading them."""
    out: list[tuple[int, int] | None] = []
    for path in (home.settings_json, home.env_json):
        try:
            st = path.stat()
            out.append((st.st_mtime_ns, st.st_size))
        except OSError:
            out.append(None)
    return tuple(out)


def example_settings(restic_exe: str | None = None) -> dict[str, Any]:
    """What ``init`` writes: every setting with its default, and a sample command."""
    import sys

    if sys.platform == "win32":
        args = ["backup", "--exclude-caches", "%USERPROFILE%\\Documents"]
        args = ["backup", "--exclude-caches", os.path.expandvars(args[2])]
    else:
        args = ["backup", "--exclude-caches", str(Path.home() / "Documents")]
    out: dict[str, Any] = {}
    for spec in SETTINGS:
        if spec.name == "args":
            out["args"] = args
        elif spec.name == "restic_exe":
            out["restic_exe"] = restic_exe or shutil.which("restic") or "restic"
        else:
            default = spec.default
            if spec.kind == "seconds" and isinstance(default, float) and default.is_integer():
                default = int(default)
            out[spec.name] = default
    return out


def example_env() -> dict[str, str]:
    return {
        "RESTIC_REPOSITORY": "/path/to/repository or s3:s3.amazonaws.com/bucket_name",
        "RESTIC_PASSWORD": "",
    }

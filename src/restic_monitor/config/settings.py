"""settings.json: every setting, its kind, default and meaning, and its validation.

:data:`SETTINGS` is the one list: validation, error messages, typo
suggestions, ``init``'s example file and the README's table follow from it.
"""

from __future__ import annotations

import difflib
import math
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restic_monitor.config.files import Problem, describe


@dataclass(frozen=True)
class SettingSpec:
    name: str
    kind: str  # "string" | "string-list" | "seconds" | "bool" | "options" | "profile" | "count"
    default: Any
    meaning: str
    positive: bool = False  # for seconds: 0 is not allowed
    required: bool = False
    #: For "options": the restic command they are given to.
    command: str = ""


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
        "backup_anyway_after_seconds",
        "seconds",
        0,
        "Once the last successful backup is this old, back up even while you are using the "
        "computer (at low priority; still not while paused, on battery when skip_on_battery "
        "is set, or within min_seconds_between_backups of the last start). 0: never, back up "
        "only when you are away.",
    ),
    SettingSpec(
        "forget_args",
        "options",
        [],
        "The retention policy as restic forget options, such as "
        '["--keep-daily", "7", "--keep-weekly", "5"]. Empty: never forget (nothing is deleted '
        "unless you ask). Only this computer's snapshots are affected unless the options say "
        "otherwise (--host or --group-by).",
        command="forget",
    ),
    SettingSpec(
        "forget_every_seconds",
        "seconds",
        86400,
        "How often the retention policy is applied, when you are away.",
        positive=True,
    ),
    SettingSpec(
        "prune_every_seconds",
        "seconds",
        604800,
        "How often unused data is pruned, when you are away, for a profile with a retention "
        "policy (0: never automatically).",
    ),
    SettingSpec(
        "prune_args",
        "options",
        [],
        'restic prune options, such as ["--max-unused", "10%"].',
        command="prune",
    ),
    SettingSpec(
        "check_every_seconds",
        "seconds",
        604800,
        "How often the repository is checked, when you are away (0: never automatically).",
    ),
    SettingSpec(
        "check_args",
        "options",
        ["--read-data-subset", "2%"],
        "restic check options: by default a random 2 % of the data is read and verified.",
        command="check",
    ),
    SettingSpec(
        "restore_args",
        "options",
        [],
        'Extra restic restore options, such as ["--verify"] (read back every restored file) '
        'or ["--limit-download", "5000"] (KiB/s).',
        command="restore",
    ),
    SettingSpec(
        "copy_to_profile",
        "profile",
        "",
        "A mirror: the name of another profile whose repository receives this profile's new "
        "snapshots (restic copy). Empty: no mirror.",
    ),
    SettingSpec(
        "copy_every_seconds",
        "seconds",
        0,
        "How often the mirror is brought up to date, when you are away; 0: after each "
        "successful backup.",
    ),
    SettingSpec(
        "notify_success",
        "bool",
        False,
        "Also show a notification when a backup succeeds (failures and warnings always notify).",
    ),
    SettingSpec(
        "keep_run_logs",
        "count",
        30,
        "How many runs' own restic logs to keep (in logs/runs, viewable from the history); "
        "0: keep only restic-last.log and the other last-run logs.",
    ),
)

SETTINGS_BY_NAME = {spec.name: spec for spec in SETTINGS}
#: The largest value of a "count" setting.
MAX_COUNT = 100_000


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
    backup_anyway_after_seconds: float = 0
    notify_success: bool = False
    forget_args: tuple[str, ...] = ()
    forget_every_seconds: float = 86400
    prune_every_seconds: float = 604800
    prune_args: tuple[str, ...] = ()
    check_every_seconds: float = 604800
    check_args: tuple[str, ...] = ("--read-data-subset", "2%")
    restore_args: tuple[str, ...] = ()
    copy_to_profile: str = ""
    copy_every_seconds: float = 0
    keep_run_logs: int = 30

    def resolve_restic(self) -> str | None:
        """The restic executable's full path, or None when it cannot be found."""
        exe = os.path.expanduser(os.path.expandvars(self.restic_exe))
        if os.path.dirname(exe):
            return exe if os.path.isfile(exe) else None
        return shutil.which(exe)


def _check_seconds(spec: SettingSpec, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = ""
        if isinstance(value, str):
            hint = " (write the number without quotes)"
        return f"expected a number of seconds, got {describe(value)}{hint}."
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
            return f"expected true or false, got {describe(value)}{hint}."
        return None
    if spec.kind == "seconds":
        return _check_seconds(spec, value)
    if spec.kind == "string":
        if not isinstance(value, str) or not value.strip():
            return f"expected a non-empty string, got {describe(value)}."
        return None
    if spec.kind == "string-list":
        if not isinstance(value, list):
            return f"expected a list of strings, got {describe(value)}."
        if not value:
            return 'expected at least one argument, such as ["backup", "<folder>"].'
        bad = [i for i, item in enumerate(value) if not isinstance(item, str)]
        if bad:
            return (
                f"expected every item to be a string; item {bad[0]} is {describe(value[bad[0]])}."
            )
        return None
    if spec.kind == "count":
        if isinstance(value, bool) or not isinstance(value, int):
            hint = " (write a whole number without quotes)" if isinstance(value, str) else ""
            return f"expected a whole number, got {describe(value)}{hint}."
        if not 0 <= value <= MAX_COUNT:
            return f"expected a whole number from 0 to {MAX_COUNT}, got {value}."
        return None
    if spec.kind == "profile":
        from restic_monitor.paths import DEFAULT_PROFILE, valid_profile_name

        if not isinstance(value, str):
            return f"expected a profile's name (a string), got {describe(value)}."
        if value and value != DEFAULT_PROFILE and not valid_profile_name(value):
            return (
                f"{value!r} cannot be a profile's name (1 to 32 of a-z, 0-9, _ and -, "
                "starting with a letter or digit)."
            )
        return None
    if spec.kind == "options":
        if not isinstance(value, list):
            return f"expected a list of strings, got {describe(value)}."
        bad = [i for i, item in enumerate(value) if not isinstance(item, str)]
        if bad:
            return (
                f"expected every item to be a string; item {bad[0]} is {describe(value[bad[0]])}."
            )
        from restic_monitor.config.restic_options import check_options

        return check_options(spec.command, value)
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
        if spec.kind in ("string-list", "options"):
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

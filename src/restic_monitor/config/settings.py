"""settings.json's validation and the typed settings a profile runs with.

The settings themselves (name, kind, default, meaning) are one table,
:data:`restic_monitor.config.setting_specs.SETTINGS`; this checks a file
against it and names the file, the key and what is expected.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restic_monitor.config.files import Problem, describe
from restic_monitor.config.setting_specs import SETTINGS, SettingSpec

__all__ = ["SETTINGS", "SETTINGS_BY_NAME", "SettingSpec", "Settings", "parse_settings"]

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
    skip_on_metered: bool = False
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
    before_backup_command: tuple[str, ...] = ()
    after_backup_command: tuple[str, ...] = ()
    on_success_command: tuple[str, ...] = ()
    on_failure_command: tuple[str, ...] = ()
    hook_timeout_seconds: float = 300
    before_backup_failure: str = "skip"
    healthcheck_url: str = ""
    notify_webhook_url: str = ""
    ntfy_url: str = ""
    metrics_textfile: str = ""
    pushgateway_url: str = ""

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
    if spec.kind == "command":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return (
                'expected a command as a list of strings, such as ["/usr/local/bin/dump-db", '
                f'"--all"] ([] for none), got {describe(value)}.'
            )
        if value and not value[0].strip():
            return "expected the program to run as the first item, got an empty string."
        return None
    if spec.kind == "choice":
        if value not in spec.choices:
            allowed = " or ".join(f'"{c}"' for c in spec.choices)
            return f"expected {allowed}, got {describe(value)}."
        return None
    if spec.kind == "path":
        if not isinstance(value, str):
            return f'expected a file\'s path (a string; "" for none), got {describe(value)}.'
        return None
    if spec.kind == "url":
        if not isinstance(value, str):
            return f'expected a URL (a string; "" for none), got {describe(value)}.'
        if value and not value.startswith(("http://", "https://")):
            return f"expected a URL starting with http:// or https://, got {value!r}."
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
    import difflib  # (only for a typo: the idle tray does not keep it in memory)

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
        if key == "$schema":  # for editors (init writes it)
            if not isinstance(data[key], str):
                problems.append(Problem(path, key, "expected the schema's location (a string)."))
            continue
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
        if spec.kind in ("string-list", "options", "command"):
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

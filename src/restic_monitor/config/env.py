"""env.json: the variables restic gets, each value a string or a keyring reference.

Its values are secrets: :class:`SecretEnv` never shows them, and no problem
reported here quotes one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from restic_monitor.config.files import Problem
from restic_monitor.restic.masking import secrets_of


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
        """Values worth masking in output: every value but the harmless variables' (the
        repository's location, paths), their URL passwords, none too short to matter."""
        return secrets_of(self._values)


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

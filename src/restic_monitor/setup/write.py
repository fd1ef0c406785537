"""Writing a set-up profile: env.json for the secrets, settings.json for the rest.

Both are written atomically (a half-written env.json would lose the only
copy of a password), env.json readable by its owner only (mode 0600; on
Windows a protected owner-only ACL, set before the secret is written), and
existing files are never replaced unless asked. A password may live in the
system keyring instead: env.json then holds a ``{"keyring": ...}``
reference, and :func:`move_password` moves it either way later.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from restic_monitor.paths import DEFAULT_PROFILE, Home, ProfileFiles

PASSWORD = "RESTIC_PASSWORD"  # noqa: S105 - a variable's name


class ProfileExists(Exception):
    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        super().__init__(f"{', '.join(map(str, paths))} exist already")


def keyring_entry(profile: str) -> str:
    return f"restic-monitor {profile} password"


def existing_files(paths: ProfileFiles) -> list[Path]:
    return [p for p in (paths.settings_json, paths.env_json) if p.exists()]


def settings_for(args: list[str], restic_exe: str = "restic") -> dict[str, Any]:
    """Every setting at its default (with the ``$schema`` line), these args."""
    from restic_monitor.config.profile import example_settings

    settings = example_settings(restic_exe if restic_exe != "restic" else None)
    settings["args"] = args
    return settings


def write_env(paths: ProfileFiles, env: Mapping[str, Any]) -> None:
    from restic_monitor.state.files import atomic_write

    paths.ensure()
    atomic_write(paths.env_json, (json.dumps(dict(env), indent=4) + "\n").encode(), mode=0o600)


def write_profile(
    home: Home,
    profile: str,
    env: Mapping[str, str],
    settings: Mapping[str, Any],
    *,
    keyring: bool = False,
    force: bool = False,
) -> ProfileFiles:
    """Write both files (env.json first: settings.json makes the profile live)."""
    from restic_monitor.state.files import atomic_write

    paths = home.profile(profile or DEFAULT_PROFILE)
    there = existing_files(paths)
    if there and not force:
        raise ProfileExists(there)
    stored: dict[str, Any] = dict(env)
    if keyring and stored.get(PASSWORD):
        from restic_monitor.secrets_store import set_secret

        entry = keyring_entry(profile or DEFAULT_PROFILE)
        set_secret(entry, stored[PASSWORD])
        stored[PASSWORD] = {"keyring": entry}
    write_env(paths, stored)
    atomic_write(paths.settings_json, (json.dumps(dict(settings), indent=4) + "\n").encode(), 0o644)
    return paths


def password_in_keyring(paths: ProfileFiles) -> bool:
    raw = _read_env(paths)
    return isinstance(raw.get(PASSWORD), dict)


def move_password(paths: ProfileFiles, profile: str, to_keyring: bool) -> None:
    """Move RESTIC_PASSWORD between env.json and the keyring; other keys kept as they are.

    The new copy is written before the old one is removed, so a failure on
    the way (a locked keyring) leaves the password where it was.
    """
    from restic_monitor.secrets_store import delete_secret, get_secret, set_secret

    raw = _read_env(paths)
    value = raw.get(PASSWORD)
    if to_keyring:
        if not isinstance(value, str) or not value:
            raise ValueError(f"{paths.env_json}: no {PASSWORD} to move into the keyring")
        entry = keyring_entry(profile)
        set_secret(entry, value)
        write_env(paths, {**raw, PASSWORD: {"keyring": entry}})
        return
    if not isinstance(value, dict) or not isinstance(value.get("keyring"), str):
        raise ValueError(f"{paths.env_json}: {PASSWORD} is not kept in the keyring")
    secret = get_secret(value["keyring"])
    if secret is None:
        raise ValueError(f"the keyring has no entry {value['keyring']!r}")
    write_env(paths, {**raw, PASSWORD: secret})
    delete_secret(value["keyring"])


def _read_env(paths: ProfileFiles) -> dict[str, Any]:
    try:
        raw = json.loads(paths.env_json.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{paths.env_json} cannot be read: {exc}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{paths.env_json}: a JSON object is expected")
    return raw

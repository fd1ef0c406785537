"""One profile's configuration: its settings.json and env.json, loaded and checked together."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restic_monitor.config.env import SecretEnv, parse_env
from restic_monitor.config.files import ConfigError, Problem, read_json_object
from restic_monitor.config.settings import SETTINGS, Settings, parse_settings
from restic_monitor.paths import ProfileFiles


@dataclass(frozen=True)
class Config:
    settings: Settings
    env: SecretEnv = field(default_factory=SecretEnv)


def load_settings(home: ProfileFiles, problems: list[Problem]) -> Settings | None:
    data = read_json_object(home.settings_json, problems, secret=False)
    if data is None:
        return None
    return parse_settings(data, home.settings_json, problems)


def load_env(
    home: ProfileFiles, problems: list[Problem], *, keyring: bool = True
) -> SecretEnv | None:
    data = read_json_object(home.env_json, problems, secret=True)
    if data is None:
        return None
    return parse_env(data, home.env_json, problems, keyring=keyring)


def load_config(home: ProfileFiles, *, keyring: bool = True) -> Config:
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

        SECRETS.update(env.secrets(), profile=home.name)
    if problems or settings is None or env is None:
        raise ConfigError(problems)
    return Config(settings=settings, env=env)


def config_signature(home: ProfileFiles) -> tuple[tuple[int, int] | None, ...]:
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


def env_permission_warnings(home: ProfileFiles) -> list[str]:
    """env.json holds secrets: other users must not be able to read it (POSIX)."""
    import sys

    if sys.platform == "win32":
        return []
    try:
        mode = home.env_json.stat().st_mode
    except OSError:
        return []
    if mode & 0o077:
        return [
            f"{home.env_json} can be read by other users (mode {mode & 0o777:o}); "
            f"fix with: chmod 600 {home.env_json}"
        ]
    return []

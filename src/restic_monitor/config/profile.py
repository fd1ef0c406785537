"""One profile's configuration: its settings.json and env.json, loaded and checked together."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restic_monitor.config.env import SecretEnv, parse_env
from restic_monitor.config.files import ConfigError, Problem, read_json_object
from restic_monitor.config.settings import SETTINGS, Settings, parse_settings
from restic_monitor.paths import ProfileFiles
from restic_monitor.restic.command import backup_sources


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
        # The application log's filter masks these from now on, whatever logs them,
        # and the URLs of settings.json that are keys (a health check's, ntfy's topic).
        from restic_monitor.logfilter import SECRETS

        urls = (
            ()
            if settings is None
            else tuple(getattr(settings, spec.name) for spec in SETTINGS if spec.secret)
        )
        SECRETS.update([*env.secrets(), *(u for u in urls if u)], profile=home.name)
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
    from restic_monitor.config.settings_schema import schema_reference

    out: dict[str, Any] = {"$schema": schema_reference()}
    for spec in SETTINGS:
        if spec.name == "args":
            out["args"] = args
        elif spec.name == "restic_exe":
            # The documented default: found on PATH whenever restic runs, so that
            # moving restic (or upgrading it) does not break a written path.
            out["restic_exe"] = restic_exe or "restic"
        else:
            default = spec.default
            if spec.kind == "seconds" and isinstance(default, float) and default.is_integer():
                default = int(default)
            out[spec.name] = default
    return out


EXAMPLE_REPOSITORY = "/path/to/repository or s3:s3.amazonaws.com/bucket_name"
_PASSWORDS = ("RESTIC_PASSWORD", "RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD_COMMAND")


def example_env() -> dict[str, str]:
    return {"RESTIC_REPOSITORY": EXAMPLE_REPOSITORY, "RESTIC_PASSWORD": ""}


def setup_warnings(config: Config) -> list[str]:
    """What ``check`` warns about before the first backup fails on it: init's
    placeholders left in env.json, and backup folders that do not exist."""
    env = config.env
    out = []
    if env.get("RESTIC_REPOSITORY") == EXAMPLE_REPOSITORY:
        out.append(
            "RESTIC_REPOSITORY in env.json is still init's example: write where your repository is."
        )
    if "RESTIC_PASSWORD" in env and not env["RESTIC_PASSWORD"]:
        out.append(
            "RESTIC_PASSWORD in env.json is empty: write the repository's password there "
            "(or remove it and set RESTIC_PASSWORD_FILE or RESTIC_PASSWORD_COMMAND)."
        )
    elif not any(env.get(name) for name in _PASSWORDS):
        out.append(
            "env.json gives no password: set RESTIC_PASSWORD, RESTIC_PASSWORD_FILE or "
            "RESTIC_PASSWORD_COMMAND."
        )
    for source in backup_sources(config.settings.args) or ():
        if os.path.lexists(source):
            continue
        hint = "a typo, or a drive that is not connected?"
        if source.startswith("~"):
            hint = "args are passed to restic as they are, without ~: write the full path"
        elif not os.path.isabs(source):
            hint = "a relative path: write the full path"
        out.append(
            f"backup folder {source} (args in settings.json) does not exist ({hint}); restic "
            "would skip it and every backup would be incomplete."
        )
    return out


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

"""Keeping env.json's secrets out of every text restic-monitor writes.

Every value of env.json is masked, except those of the variables known to be
harmless (:data:`HARMLESS_VARIABLES`: where the repository is, file paths,
tuning), so that a typo in the location can be seen in restic's errors. Even
there, the password part of a URL (``rest:https://user:password@host/``) is
masked. An allow-list, not a guess: a variable not on it is a secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

#: env.json variables whose values are shown: locations (their URL passwords masked),
#: paths of files and folders, and settings. Key IDs (``AWS_ACCESS_KEY_ID``,
#: ``B2_ACCOUNT_ID``) are not on it: they are half of a credential and name an account.
#: README.md's env.json section lists the same names (a test checks).
HARMLESS_VARIABLES = frozenset(
    {
        # where the repository is
        "RESTIC_REPOSITORY",
        "RESTIC_REPOSITORY_FILE",
        "RESTIC_FROM_REPOSITORY",
        "RESTIC_FROM_REPOSITORY_FILE",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AZURE_ACCOUNT_NAME",
        "AZURE_ENDPOINT_SUFFIX",
        "GOOGLE_PROJECT_ID",
        "OS_AUTH_URL",
        "OS_REGION_NAME",
        # paths of files that hold the secrets (the files are not shown), and of folders
        "RESTIC_PASSWORD_FILE",
        "RESTIC_FROM_PASSWORD_FILE",
        "RESTIC_CACERT",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_CONFIG_FILE",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "RESTIC_CACHE_DIR",
        "TMPDIR",
        "TMP",
        "TEMP",
        # how restic works
        "AWS_PROFILE",
        "RESTIC_COMPRESSION",
        "RESTIC_PACK_SIZE",
        "RESTIC_READ_CONCURRENCY",
        "RESTIC_PROGRESS_FPS",
        "RESTIC_HOST",
        "RESTIC_FEATURES",
    }
)


def url_password(value: str) -> str | None:
    """The password of a URL in ``value`` (``rest:https://user:password@host/``), if any."""
    start = value.find("://")
    if start < 0:
        return None
    authority = value[start + 3 :].split("/", 1)[0]
    if "@" not in authority:
        return None
    userinfo = authority.rsplit("@", 1)[0]
    if ":" not in userinfo:
        return None
    return userinfo.split(":", 1)[1] or None


def secrets_of(env: Mapping[str, str]) -> list[str]:
    """What to mask of env.json: every value but the harmless variables', and the URL
    passwords in those; longest first."""
    values = []
    for name, value in env.items():
        if name in HARMLESS_VARIABLES:
            password = url_password(value)
            if password is not None:
                values.append(password)
        else:
            values.append(value)
    return secret_values(values)


_URL_CREDENTIALS = re.compile(r"(\w+://[^/\s:@]+:)[^@\s/]+@")


def mask_credentials(text: str) -> str:
    """Hide passwords embedded in repository URLs (rest:https://user:pw@host/), whatever
    their length: a second line of defence, and the only one for short ones."""
    return _URL_CREDENTIALS.sub(r"\1***@", text)


#: A repository location: ``sftp:``, ``rest:https://``, ``s3:``, ``b2:``, ``rclone:``…
_LOCATION = re.compile(r"^[a-z][a-z0-9+.-]*:(?![\\/])", re.IGNORECASE)
_LOCATION_PARTS = re.compile(r"[:/@?&=,;\s]+")
_GENERIC_PARTS = frozenset(
    [
        "http",
        "https",
        "sftp",
        "rest",
        "rclone",
        "azure",
        "swift",
        "local",
        "restic",
        "repo",
        "repos",
        "backup",
        "backups",
        "data",
    ]
)


def secret_fragments(value: str) -> set[str]:
    """Parts of a remote location that restic's messages show on their own.

    A network error names the host ("Could not resolve hostname nas.example"),
    not the whole ``sftp:user@nas.example:/srv/repo`` value, so the host, user
    and path parts of such a value are masked too (local paths, which restic
    always prints whole, are not split). This is for values that are secrets;
    the repository's own location is shown (see :data:`HARMLESS_VARIABLES`).
    """
    if not _LOCATION.match(value) or len(value) < 4:
        return set()
    parts = _LOCATION_PARTS.split(value)[1:]  # the scheme itself is no secret
    return {p for p in parts if len(p) >= 5 and not p.isdigit() and p.lower() not in _GENERIC_PARTS}


class Redactor:
    """Replaces every secret value with ``***`` in text about to be written."""

    def __init__(self, secrets: Iterable[str]) -> None:
        values = {s for s in secrets if s}
        for value in list(values):
            values |= secret_fragments(value)
        # Longest first, so that a whole value is masked before its parts.
        self._secrets = sorted(values, key=len, reverse=True)
        self._secrets_b = [s.encode() for s in self._secrets]

    def text(self, value: str) -> str:
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, "***")
        return mask_credentials(value)

    def data(self, value: bytes) -> bytes:
        for secret in self._secrets_b:
            if secret in value:
                value = value.replace(secret, b"***")
        return value


#: Shorter values are not masked: masking every "ab" would garble the logs.
MIN_SECRET_LENGTH = 4


def secret_values(values: Iterable[str]) -> list[str]:
    """The values worth masking, longest first (so a whole value goes before its parts)."""
    return sorted({v for v in values if len(v) >= MIN_SECRET_LENGTH}, key=len, reverse=True)

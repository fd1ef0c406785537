"""Keeping env.json's values out of every text restic-monitor writes."""

from __future__ import annotations

import re
from collections.abc import Iterable

_URL_CREDENTIALS = re.compile(r"(\w+://[^/\s:@]+:)[^@\s/]+@")


def mask_credentials(text: str) -> str:
    """Hide passwords embedded in repository URLs (rest:https://user:pw@host/)."""
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
    always prints whole, are not split).
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

"""Where a repository can live, the fields each place needs, and what restic is given.

A user knows "my NAS over SFTP" or "a Backblaze bucket", not restic's URL
syntax or which variable holds which key. Each kind lists its fields in the
order they are asked; :func:`build` turns the answers into the
RESTIC_REPOSITORY string and the other variables restic reads, and
:func:`kind_of` reads an existing repository string back, so the settings
window can show which kind a profile uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    #: The variable restic reads it from; "" when it is part of the repository string.
    env: str = ""
    required: bool = True
    secret: bool = False
    default: str = ""
    hint: str = ""


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    fields: tuple[Field, ...]
    #: What this kind's repository strings start with (for :func:`kind_of`).
    prefix: str
    about: str = ""

    def field(self, key: str) -> Field:
        return next(f for f in self.fields if f.key == key)


_PATH = Field("path", "Folder in the bucket", required=False, hint="optional, e.g. laptop")

KINDS: tuple[Kind, ...] = (
    Kind(
        "local",
        "Local folder or external drive",
        (Field("path", "Folder", hint="e.g. /media/me/backup-drive/restic"),),
        "",
        "A folder on this computer, a second disk or a USB drive.",
    ),
    Kind(
        "sftp",
        "SFTP (a server you reach with ssh)",
        (
            Field("host", "Server", hint="a name from ~/.ssh/config, or host.example.org"),
            Field("user", "User", required=False, hint="optional: ssh's default otherwise"),
            Field("port", "Port", required=False, hint="optional: 22 or ~/.ssh/config's"),
            Field("path", "Folder on the server", hint="e.g. /srv/restic/laptop"),
        ),
        "sftp:",
        "Logs in with your ssh key (ssh-agent or ~/.ssh/config); no password is stored.",
    ),
    Kind(
        "rest",
        "REST server (rest-server, rclone serve restic)",
        (
            Field("url", "Address", hint="e.g. https://backup.example.org:8000/laptop/"),
            Field("user", "User", required=False),
            Field("password", "Server password", required=False, secret=True),
        ),
        "rest:",
    ),
    Kind(
        "s3",
        "Amazon S3 or S3-compatible (MinIO, Wasabi, …)",
        (
            Field(
                "endpoint",
                "Endpoint",
                default="s3.amazonaws.com",
                hint="e.g. s3.amazonaws.com or http://nas:9000",
            ),
            Field("bucket", "Bucket"),
            _PATH,
            Field(
                "region",
                "Region",
                env="AWS_DEFAULT_REGION",
                required=False,
                hint="optional, e.g. eu-central-1",
            ),
            Field("key_id", "Access key ID", env="AWS_ACCESS_KEY_ID"),
            Field("secret", "Secret access key", env="AWS_SECRET_ACCESS_KEY", secret=True),
        ),
        "s3:",
    ),
    Kind(
        "b2",
        "Backblaze B2",
        (
            Field("bucket", "Bucket"),
            _PATH,
            Field("account_id", "Key ID (account ID)", env="B2_ACCOUNT_ID"),
            Field("account_key", "Application key", env="B2_ACCOUNT_KEY", secret=True),
        ),
        "b2:",
    ),
    Kind(
        "azure",
        "Azure Blob Storage",
        (
            Field("account", "Storage account", env="AZURE_ACCOUNT_NAME"),
            Field("key", "Account key", env="AZURE_ACCOUNT_KEY", secret=True),
            Field("container", "Container"),
            _PATH,
        ),
        "azure:",
    ),
    Kind(
        "gs",
        "Google Cloud Storage",
        (
            Field("project", "Project ID", env="GOOGLE_PROJECT_ID"),
            Field(
                "credentials",
                "Service account key file",
                env="GOOGLE_APPLICATION_CREDENTIALS",
                hint="the JSON file Google gave you",
            ),
            Field("bucket", "Bucket"),
            _PATH,
        ),
        "gs:",
    ),
    Kind(
        "rclone",
        "rclone remote (any of rclone's services)",
        (Field("remote", "Remote and folder", hint="e.g. gdrive:backups/laptop"),),
        "rclone:",
        "Uses a remote you set up with `rclone config`.",
    ),
)

BY_KEY: dict[str, Kind] = {kind.key: kind for kind in KINDS}


class SetupInputError(ValueError):
    """An answer that cannot make a repository: the message names the field."""


def build(kind_key: str, values: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """(RESTIC_REPOSITORY, the other variables) from a kind's answers."""
    kind = BY_KEY[kind_key]
    answers = {f.key: (values.get(f.key) or f.default).strip() for f in kind.fields}
    for f in kind.fields:
        if f.required and not answers[f.key]:
            raise SetupInputError(f"{f.label}: required for {kind.label}")
    env = {f.env: answers[f.key] for f in kind.fields if f.env and answers[f.key]}
    return _repository(kind.key, answers), env


def _repository(key: str, a: dict[str, str]) -> str:
    sub = a.get("path", "").strip("/")
    if key == "local":
        return a["path"]
    if key == "sftp":
        user = f"{a['user']}@" if a["user"] else ""
        if a["port"]:
            if not a["port"].isdigit():
                raise SetupInputError(f"Port: a number is expected, not {a['port']!r}")
            path = a["path"] if a["path"].startswith("/") else "/" + a["path"]
            return f"sftp://{user}{a['host']}:{a['port']}/{path}"
        return f"sftp:{user}{a['host']}:{a['path']}"
    if key == "rest":
        url = a["url"]
        scheme, sep, rest = url.partition("://")
        if not sep or scheme not in ("http", "https"):
            raise SetupInputError(f"Address: http:// or https:// expected, not {url!r}")
        if a["user"]:
            secret = f":{quote(a['password'], safe='')}" if a["password"] else ""
            url = f"{scheme}://{quote(a['user'], safe='')}{secret}@{rest}"
        return "rest:" + url
    if key == "s3":
        endpoint = a["endpoint"].rstrip("/")
        return f"s3:{endpoint}/{a['bucket']}" + (f"/{sub}" if sub else "")
    if key == "b2":
        return f"b2:{a['bucket']}:{sub}" if sub else f"b2:{a['bucket']}"
    if key == "azure":
        return f"azure:{a['container']}:/{sub}"
    if key == "gs":
        return f"gs:{a['bucket']}:/{sub}"
    return "rclone:" + a["remote"]


def kind_of(repository: str) -> Kind:
    """The kind a repository string is of (a plain path is a local folder)."""
    for kind in KINDS:
        if kind.prefix and repository.startswith(kind.prefix):
            return kind
    return BY_KEY["local"]


def secret_values(kind_key: str, values: Mapping[str, str]) -> list[str]:
    """The answers that are secrets, for masking what restic says while testing."""
    return [values[f.key] for f in BY_KEY[kind_key].fields if f.secret and values.get(f.key)]

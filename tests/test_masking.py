"""What is masked: every env.json value but the harmless variables' (an allow-list).

The repository's location is shown, so that a typo can be seen in restic's
errors; the password part of a URL, and the value of every variable not known
to be harmless, never reach a text restic-monitor writes. test_real_restic
checks the same against the real restic for local, rest: and sftp: locations.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from restic_monitor.config.env import SecretEnv
from restic_monitor.restic.command import Restic
from restic_monitor.restic.masking import HARMLESS_VARIABLES, Redactor, secrets_of, url_password

README = Path(__file__).parent.parent / "README.md"


def redactor(env: dict[str, str]) -> Redactor:
    return Restic("restic", env).redactor


# restic's own words for a repository that is not there (0.14 to 0.19), and the issue's
@pytest.mark.parametrize(
    ("location", "said", "shown"),
    [
        (
            "/srv/restic-rep",
            "Fatal: unable to open config file: stat /srv/restic-rep/config: no such file",
            "stat /srv/restic-rep/config",
        ),
        (
            "rest:http://bob:hunter2-secret@nas.local:18733/backups/",
            "Is there a repository at the following location?\n"
            "rest:http://bob:hunter2-secret@nas.local:18733/backups/",
            "rest:http://bob:***@nas.local:18733/backups/",
        ),
        (
            "sftp:backup@nas.example:/srv/restic",
            "ssh: Could not resolve hostname nas.example: Name or service not known",
            "hostname nas.example",
        ),
        (
            "s3:s3.amazonaws.com/my-bucket",
            "The specified bucket my-bucket is missing",
            "bucket my-bucket",
        ),
    ],
)
def test_the_repository_location_is_shown_and_its_url_password_masked(
    location: str, said: str, shown: str
) -> None:
    env = {"RESTIC_REPOSITORY": location, "RESTIC_PASSWORD": "correct horse battery"}

    text = redactor(env).text(said + "\nwrong password: correct horse battery")

    assert shown in text
    assert "hunter2-secret" not in text
    assert "correct horse battery" not in text


def test_every_variable_not_known_to_be_harmless_is_masked() -> None:
    env = {
        "RESTIC_PASSWORD": "pw-value-1",
        "RESTIC_PASSWORD_COMMAND": "echo pw-value-2",
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEYID",
        "AWS_SECRET_ACCESS_KEY": "aws-secret-value",
        "B2_ACCOUNT_ID": "b2-account-id-value",
        "B2_ACCOUNT_KEY": "b2-key-value",
        "SOMETHING_NEW": "unknown-value",
        "restic_repository": "/not/the/harmless/name",  # names are exact
        "RESTIC_PASSWORD_FILE": "/home/me/.restic-password",
        "RESTIC_CACHE_DIR": "/var/cache/restic",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    text = " ".join(env.values())

    masked = redactor(env).text(text)

    for name, value in env.items():
        if name in HARMLESS_VARIABLES:
            assert value in masked, name
        else:
            assert value not in masked, name
    assert set(SecretEnv(env).secrets()) == {
        v for n, v in env.items() if n not in HARMLESS_VARIABLES
    }


@pytest.mark.parametrize(
    ("value", "password"),
    [
        ("rest:https://bob:pw1234@host:8000/repo/", "pw1234"),
        ("rest:https://bob:p@ss:w0rd@host/repo/", "p@ss:w0rd"),
        ("rest:https://bob@host/repo/", None),
        ("rest:https://host:8000/a:b@c", None),  # no user in the authority
        ("/srv/restic", None),
        ("sftp:user@host:/srv/restic", None),
    ],
)
def test_the_password_of_a_url(value: str, password: str | None) -> None:
    assert url_password(value) == password


def test_a_short_url_password_is_masked_too() -> None:
    env = {"RESTIC_REPOSITORY": "rest:https://bob:abc@host/repo/"}

    assert secrets_of(env) == []  # too short to mask everywhere
    assert redactor(env).text("at rest:https://bob:abc@host/repo/") == (
        "at rest:https://bob:***@host/repo/"
    )


def test_another_profiles_location_is_shown_and_its_password_masked() -> None:
    other = SecretEnv({"RESTIC_REPOSITORY": "/mnt/usb/restic", "RESTIC_PASSWORD": "other-pw"})
    restic = Restic("restic", {"RESTIC_PASSWORD": "mine-pw"}, also_mask=other.secrets())

    text = restic.redactor.text("/mnt/usb/restic other-pw mine-pw")

    assert text == "/mnt/usb/restic *** ***"


def test_the_readme_lists_exactly_the_harmless_variables() -> None:
    readme = README.read_text(encoding="utf-8")
    start = readme.index("- **The harmless variables**")
    paragraph = readme[start : readme.index("\n- ", start + 1)]
    shown = paragraph.split("Every other variable is masked")[0]

    assert set(re.findall(r"`([A-Z0-9_]+)`", shown)) == HARMLESS_VARIABLES

"""Profiles end to end: two real repositories under one daemon, the CLI, the documents' schemas.

The documents ``status --json`` and ``history --json`` print are validated
against the JSON Schemas the repository publishes (docs/schema/), so a key
renamed or retyped in the code fails here.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import typing
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from restic_monitor.paths import Home
from restic_monitor.status import model

from .conftest import (
    SECRET,
    DaemonProcess,
    FakeRestic,
    Repo,
    cli,
    start_daemon,
    wait_until,
    write_config,
)
from .first_release import first_release_history

SCHEMAS = Path(__file__).parent.parent / "docs" / "schema"
STATUS_SCHEMA = json.loads((SCHEMAS / "status.schema.json").read_text())
HISTORY_SCHEMA = json.loads((SCHEMAS / "history.schema.json").read_text())

#: Every key ``status --json`` had in the first release, with its JSON type(s):
#: scripts written for a one-profile home keep working.
FIRST_RELEASE_KEYS = {
    "version": (str,),
    "home": (str,),
    "instance_running": (bool,),
    "running": (bool,),
    "progress": (dict, type(None)),
    "current_run": (dict, type(None)),
    "maintenance": (str, type(None)),
    "paused": (bool,),
    "paused_until": (str, type(None)),
    "last_success": (str, type(None)),
    "last_success_age_seconds": (float, int, type(None)),
    "last_success_snapshot": (str, type(None)),
    "last_run": (dict, type(None)),
    "warning": (bool,),
    "warning_message": (str, type(None)),
    "next_backup_earliest": (str, type(None)),
    "reason": (str, type(None)),
    "reason_text": (str, type(None)),
    "consecutive_failures": (int,),
    "config_error": (list, type(None)),
    "idle_seconds": (float, int, type(None)),
    "idle_source": (str, type(None)),
    "unlock_pending": (bool,),
    "pause_seconds": (float, int, type(None)),
    "warnings": (list,),
}
FIRST_RELEASE_RUN_KEYS = {
    "id", "started", "ended", "trigger", "exit_code", "outcome", "reason", "message",
    "counted_success", "snapshot_id", "files_new", "files_changed", "files_unmodified",
    "data_added", "duration",
}  # fmt: skip


def validate_status(document: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(STATUS_SCHEMA).validate(document)


def validate_history(document: list[Any]) -> None:
    jsonschema.Draft202012Validator(HISTORY_SCHEMA).validate(document)


def status_json(home: Home, *args: str) -> dict[str, Any]:
    result = cli(home, "status", "--json", *args)
    assert result.stdout, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    validate_status(document)
    return document


def history_json(home: Home, *args: str) -> list[dict[str, Any]]:
    result = cli(home, "history", "--json", *args)
    assert result.returncode == 0, result.stderr
    document: list[dict[str, Any]] = json.loads(result.stdout)
    validate_history(document)
    return document


@pytest.fixture
def second_repo(tmp_path: Path, repo: Repo) -> Repo:
    path = tmp_path / "repo-cloud"
    shutil.copytree(repo.path, path)
    return Repo(path, repo.password, repo.exe, {**repo.env, "RESTIC_REPOSITORY": str(path)})


def configure(home: Home, name: str, repo: Repo, data: Path, **settings: object) -> None:
    paths = home.profile(name)
    values: dict[str, object] = {
        "restic_exe": repo.exe,
        "args": ["backup", str(data)],
        "min_idle_seconds": 5,
        "min_seconds_between_backups": 3600,
    }
    values.update(settings)
    write_config(paths, values, repo.env)  # type: ignore[arg-type]


# --- the published schemas ------------------------------------------------------------


def test_the_published_schemas_are_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(STATUS_SCHEMA)
    jsonschema.Draft202012Validator.check_schema(HISTORY_SCHEMA)
    assert STATUS_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize(
    ("cls", "schema"),
    [
        (model.Status, STATUS_SCHEMA),
        *[(getattr(model, name), STATUS_SCHEMA["$defs"][name]) for name in STATUS_SCHEMA["$defs"]],
    ],
)
def test_the_schema_and_the_typed_documents_name_the_same_keys(cls: Any, schema: Any) -> None:
    keys = {f.name for f in dataclasses.fields(cls)}
    assert set(schema["properties"]) == keys
    assert set(schema["required"]) == keys
    hints = typing.get_type_hints(cls)
    for key, spec in schema["properties"].items():
        optional = type(None) in typing.get_args(hints[key])
        allowed = spec.get("type", [])
        nullable = "null" in allowed or any(o.get("type") == "null" for o in spec.get("oneOf", []))
        assert nullable == optional, key


def test_a_renamed_or_retyped_key_fails_validation() -> None:
    document = model.Status(
        **{f.name: None for f in dataclasses.fields(model.Status)}  # type: ignore[arg-type]
    ).to_json()
    with pytest.raises(jsonschema.ValidationError):
        validate_status(document)  # nulls where booleans and lists belong


# --- a one-profile home is what it was -------------------------------------------------


def test_a_one_profile_homes_status_keeps_every_key_and_type_of_the_first_release(
    home: Home, repo: Repo, sample: Path
) -> None:
    configure(home, "default", repo, sample)
    assert cli(home, "backup").returncode == 0

    status = status_json(home)

    for key, types in FIRST_RELEASE_KEYS.items():
        assert isinstance(status[key], types), key
    assert set(status["last_run"]) >= FIRST_RELEASE_RUN_KEYS
    assert [p["name"] for p in status["profiles"]] == ["default"]
    default = status["profiles"][0]
    for key in ("last_success", "last_run", "warning", "reason", "consecutive_failures"):
        assert default[key] == status[key], key
    assert status["current_job"] is None and status["queue"] == []


# --- two profiles, two real repositories, one daemon -----------------------------------


def test_two_profiles_back_up_into_their_own_repositories_under_one_daemon(
    home: Home,
    repo: Repo,
    second_repo: Repo,
    sample: Path,
    tmp_path: Path,
    daemons: list[DaemonProcess],
) -> None:
    configure(home, "default", repo, sample)
    configure(home, "cloud", second_repo, sample, min_idle_seconds=10)
    daemon = start_daemon(home, tmp_path / "idle")
    daemons.append(daemon)

    result = cli(home, "backup", "--profile", "cloud")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(profile cloud)" in result.stdout
    assert len(second_repo.snapshots()) == 1
    assert repo.snapshots() == []  # --profile touches only that repository

    daemon.set_idle(30)  # away: both profiles are due, one restic at a time
    wait_until(lambda: len(repo.snapshots()) == 1, timeout=60)
    status = status_json(home)
    assert [p["name"] for p in status["profiles"]] == ["default", "cloud"]
    cloud = status["profiles"][1]
    assert cloud["last_success"] is not None and cloud["reason"] == "too_soon"
    wait_until(lambda: status_json(home)["profiles"][0]["last_success"] is not None, 30)

    runs = history_json(home, "--kind", "backup")
    assert sorted((r["profile"], r["trigger"]) for r in runs) == [
        ("cloud", "manual"),
        ("default", "idle"),
    ]
    assert history_json(home, "--profile", "cloud")[0]["profile"] == "cloud"
    text = cli(home, "status").stdout
    assert "Profile default:" in text and "Profile cloud:" in text
    one = status_json(home, "--profile", "cloud")
    assert [p["name"] for p in one["profiles"]] == ["cloud"]
    assert one["last_success"] == one["profiles"][0]["last_success"]


def test_backup_without_profile_backs_up_every_profile_in_turn(
    home: Home, repo: Repo, second_repo: Repo, sample: Path
) -> None:
    configure(home, "default", repo, sample)
    configure(home, "cloud", second_repo, sample)

    result = cli(home, "backup")

    assert result.returncode == 0, result.stdout + result.stderr
    assert len(repo.snapshots()) == 1 and len(second_repo.snapshots()) == 1
    assert result.stdout.count("Backup succeeded") == 2


def test_an_unknown_profile_is_a_usage_error_listing_the_known_ones(
    home: Home, fake_restic: FakeRestic
) -> None:
    write_config(home, {"restic_exe": str(fake_restic.exe), "args": ["backup", "/d"]}, {})
    for command in (["status"], ["backup"], ["pause"], ["history"], ["check"], ["restic"]):
        result = cli(home, *command[:1], "--profile", "nope", *command[1:])
        assert result.returncode == 2, command
        assert "unknown profile 'nope'" in result.stderr and "default" in result.stderr


def test_init_writes_a_new_profile_and_check_and_restic_use_it(
    home: Home, repo: Repo, sample: Path
) -> None:
    configure(home, "default", repo, sample)

    result = cli(home, "init", "--profile", "usb")
    assert result.returncode == 0, result.stderr
    paths = home.profile("usb")
    assert paths.settings_json.exists() and paths.env_json.exists()
    assert paths.env_json.stat().st_mode & 0o077 == 0
    bad = cli(home, "init", "--profile", "My USB")
    assert bad.returncode == 2 and "cannot be a profile" in bad.stderr

    configure(home, "usb", repo, sample)
    assert cli(home, "backup", "--profile", "usb").returncode == 0
    snapshots = cli(home, "restic", "--profile", "usb", "snapshots", "--json")
    assert snapshots.returncode == 0 and len(json.loads(snapshots.stdout)) == 1
    check = cli(home, "check", "--profile", "usb")
    assert "Repository: reachable, password accepted" in check.stdout
    shell_hint = cli(home, "restic", "snapshots")
    assert "choose one with --profile NAME" in shell_hint.stderr


def test_status_json_mid_backup_shows_the_job_and_the_queue_and_fits_the_schema(
    home: Home, fake_restic: FakeRestic, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    settings = {"restic_exe": str(fake_restic.exe), "args": ["backup", "/data"]}
    write_config(home, settings, {"RESTIC_REPOSITORY": "/repo", "RESTIC_PASSWORD": SECRET})
    write_config(home.profile("cloud"), settings, {"RESTIC_REPOSITORY": "/cloud"})
    fake_restic.plan(sleep=30)
    daemons.append(start_daemon(home, tmp_path / "idle"))
    assert cli(home, "backup", "--no-wait").returncode == 0
    wait_until(lambda: fake_restic.starts() == 1, timeout=15)

    status = wait_until(lambda: (s := status_json(home))["progress"] is not None and s, timeout=15)

    assert status["current_job"]["kind"] == "backup"
    assert status["current_job"]["profile"] == "default"
    assert status["queue"] == [{"kind": "backup", "profile": "cloud", "trigger": "manual"}]
    assert status["profiles"][1]["reason"] == "queued"
    # `status --json` prints an instance's answer as it came: the typed status the
    # instance built it from reads back to exactly the same document.
    from restic_monitor.status.model import Status

    assert Status.from_json(status).to_json() == status
    assert list(Status.from_json(status).to_json()) == list(status), "same key order"
    assert cli(home, "stop").returncode == 0


def _first_release_home(home: Home, fake: FakeRestic, now: float) -> None:
    """A home exactly as the first release left it: its files, its history schema."""
    import os

    write_config(
        home,
        {"restic_exe": str(fake.exe), "args": ["backup", "/data"], "min_idle_seconds": 600},
        {"RESTIC_REPOSITORY": "/repo", "RESTIC_PASSWORD": SECRET},
    )
    home.pause_until.write_text("2099-01-01T10:00:00+00:00\n")
    home.marker.write_text("last successful backup: earlier\nsnapshot: abcdef12\n")
    os.utime(home.marker, (now - 7200, now - 7200))
    home.state_json.write_text(
        json.dumps({"last_warning_notice": now - 60, "unlock_needed": False, "extra": {}})
    )
    first_release_history(
        home.history_db,
        [
            {"started": now - 7210, "ended": now - 7200, "trigger": "idle", "exit_code": 0,
             "outcome": "success", "reason": "ok", "counted_success": 1,
             "snapshot_id": "abcdef12", "data_added": 4096, "duration": 10.0},
            {"started": now - 3610, "ended": now - 3600, "trigger": "idle", "exit_code": 1,
             "outcome": "failed", "reason": "wrong_password"},
        ],
    )  # fmt: skip


def test_upgrading_a_first_release_home_keeps_history_pause_marker_and_settings(
    home: Home, fake_restic: FakeRestic, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    import time

    now = time.time()
    _first_release_home(home, fake_restic, now)
    before = status_json(home)  # read without an instance: nothing is written yet

    daemons.append(start_daemon(home, tmp_path / "idle"))
    after = status_json(home)

    for status in (before, after):
        assert status["paused"] is True and status["paused_until"].startswith("2099-01-01")
        assert abs(status["last_success_age_seconds"] - 7200) < 60
        assert status["last_success_snapshot"] == "abcdef12"
        assert status["last_run"]["reason"] == "wrong_password"
        assert status["consecutive_failures"] == 1
        assert status["reason"] in ("paused", "not_running")
    runs = history_json(home)
    assert [(r["kind"], r["profile"], r["outcome"]) for r in runs] == [
        ("backup", "default", "failed"),
        ("backup", "default", "success"),
    ]
    assert runs[1]["data_added"] == 4096

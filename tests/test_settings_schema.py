"""docs/schema/settings.schema.json: the settings as editors check them, agreeing with the loader.

The schema is generated from the settings table; these tests hold the
published copies equal to it, and check value by value that the schema and
the loader accept and refuse the same things (what a schema cannot say,
which restic options exist, is the loader's alone).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from restic_monitor.config.files import Problem
from restic_monitor.config.profile import example_settings, load_config
from restic_monitor.config.setting_specs import SETTINGS, SettingSpec
from restic_monitor.config.settings import parse_settings
from restic_monitor.config.settings_schema import PACKAGED, schema_text, settings_schema
from restic_monitor.paths import Home

from .conftest import cli

ROOT = Path(__file__).resolve().parent.parent
VALIDATOR = jsonschema.Draft202012Validator(settings_schema())
ARGS = ["backup", "/data"]

SAMPLES: dict[str, list[Any]] = {
    "bool": [True, False, "true", 0, 1, None],
    "seconds": [0, 1, 1.5, 300, -1, 315360000, 315360001, "300", True, None],
    "count": [0, 5, 100000, 100001, -1, 1.5, "3", True],
    "string": ["restic", "/usr/bin/restic", "", "  ", 5, None],
    "string-list": [["backup", "/x"], [], [1], "backup"],
    "options": [[], [1], "--x", None],
    "command": [[], ["prog", "a"], [""], ["", "x"], [1], "prog"],
    "profile": ["", "default", "cloud", "Bad", "a" * 33, "-x", 5],
    "path": ["", "/x/y.prom", 5],
    "url": ["", "http://x", "https://x/y", "ftp://x", "x", 5],
    "choice": ["skip", "continue", "other", "", 5],
}


def loader_accepts(document: dict[str, Any]) -> bool:
    problems: list[Problem] = []
    return parse_settings(document, Path("settings.json"), problems) is not None and not problems


def test_the_published_schemas_are_the_generated_one() -> None:
    text = schema_text()
    assert (ROOT / "docs" / "schema" / "settings.schema.json").read_text() == text
    assert PACKAGED.read_text() == text
    jsonschema.Draft202012Validator.check_schema(settings_schema())


def test_every_setting_has_its_kind_default_and_meaning_in_the_schema() -> None:
    properties = settings_schema()["properties"]
    assert set(properties) == {"$schema", *(s.name for s in SETTINGS)}
    for spec in SETTINGS:
        entry = properties[spec.name]
        assert entry["description"] == spec.meaning
        if spec.default is not None:
            assert entry["default"] == (
                list(spec.default) if isinstance(spec.default, tuple) else spec.default
            )
            assert loader_accepts({"args": ARGS, spec.name: entry["default"]}), spec.name


@pytest.mark.parametrize("spec", SETTINGS, ids=[s.name for s in SETTINGS])
def test_the_schema_and_the_loader_agree_on_every_value(spec: SettingSpec) -> None:
    assert spec.kind in SAMPLES, f"no samples for the kind {spec.kind}"
    for value in SAMPLES[spec.kind]:
        document = {"args": ARGS, spec.name: value} if spec.name != "args" else {"args": value}
        assert VALIDATOR.is_valid(document) == loader_accepts(document), (spec.name, value)


def test_comments_schema_and_unknown_keys() -> None:
    for document, ok in (
        ({"args": ARGS, "_note": [1, 2]}, True),
        ({"args": ARGS, "$schema": "file:///x.json"}, True),
        ({"args": ARGS, "$schema": 5}, False),
        ({"args": ARGS, "min_idle_secs": 5}, False),
        ({}, False),
    ):
        assert VALIDATOR.is_valid(document) is ok, document
        assert loader_accepts(document) is ok, document


def test_init_writes_a_schema_reference_the_loader_accepts(home: Home) -> None:
    assert cli(home, "init").returncode == 0
    written = json.loads(home.settings_json.read_text())
    assert written["$schema"] == PACKAGED.resolve().as_uri()
    assert VALIDATOR.is_valid(written)
    assert VALIDATOR.is_valid(example_settings())
    home.env_json.write_text(json.dumps({"RESTIC_REPOSITORY": "/r", "RESTIC_PASSWORD": "pw"}))
    assert load_config(home).settings.args == tuple(written["args"])

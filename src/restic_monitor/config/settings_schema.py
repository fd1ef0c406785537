"""settings.json as a JSON Schema (draft 2020-12), made from the one table of settings.

Editors (VS Code's JSON support, and any other that reads ``$schema``) check
and complete the file with it. It is generated from
:data:`restic_monitor.config.setting_specs.SETTINGS`, so it cannot drift from
the validator; the copies in the package (which ``init`` points ``$schema``
at) and in ``docs/schema/`` are this function's output, a test holds them so.
What a schema cannot say (which restic options exist) is left to the loader.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from restic_monitor.config.setting_specs import SETTINGS, SettingSpec

MAX_SECONDS = 10 * 365 * 86400
MAX_COUNT = 100_000
#: A profile's name, or "" (copy_to_profile: no mirror), or "default".
PROFILE_PATTERN = r"^(|[a-z0-9][a-z0-9_-]{0,31})$"
#: Where the package keeps its copy (``init`` writes ``$schema`` pointing here).
PACKAGED = Path(__file__).with_name("settings.schema.json")


def _kind(spec: SettingSpec) -> dict[str, Any]:
    strings = {"type": "array", "items": {"type": "string"}}
    if spec.kind == "bool":
        return {"type": "boolean"}
    if spec.kind == "seconds":
        bound = {"exclusiveMinimum": 0} if spec.positive else {"minimum": 0}
        return {"type": "number", **bound, "maximum": MAX_SECONDS}
    if spec.kind == "count":
        return {"type": "integer", "minimum": 0, "maximum": MAX_COUNT}
    if spec.kind == "string":
        return {"type": "string", "pattern": r"\S"}
    if spec.kind == "string-list":
        return {**strings, "minItems": 1}
    if spec.kind == "options":
        return strings
    if spec.kind == "command":
        return {**strings, "prefixItems": [{"type": "string", "pattern": r"\S"}]}
    if spec.kind == "profile":
        return {"type": "string", "pattern": PROFILE_PATTERN}
    if spec.kind == "path":
        return {"type": "string"}
    if spec.kind == "url":
        return {"type": "string", "pattern": r"^(|https?://.*)$"}
    if spec.kind == "choice":
        return {"type": "string", "enum": list(spec.choices)}
    raise AssertionError(spec.kind)


def settings_schema() -> dict[str, Any]:
    properties: dict[str, Any] = {
        "$schema": {"type": "string", "description": "This schema, for editors."}
    }
    for spec in SETTINGS:
        entry = {"description": spec.meaning, **_kind(spec)}
        if spec.default is not None:
            entry["default"] = (
                list(spec.default) if isinstance(spec.default, tuple) else (spec.default)
            )
        properties[spec.name] = entry
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "restic-monitor settings.json",
        "description": "A profile's settings. Keys starting with _ are comments.",
        "type": "object",
        "properties": properties,
        "patternProperties": {"^_": {}},
        "additionalProperties": False,
        "required": [s.name for s in SETTINGS if s.required],
    }


def schema_text() -> str:
    return json.dumps(settings_schema(), indent=2, ensure_ascii=False) + "\n"


def schema_reference() -> str:
    """What ``init`` writes as ``$schema``: the package's copy, as a file URI."""
    return PACKAGED.resolve().as_uri()

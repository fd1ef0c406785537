"""Property-based tests of the configuration loader: any input, a clear answer, no leak."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from restic_monitor.config.files import ConfigError
from restic_monitor.config.profile import Config, load_config
from restic_monitor.config.settings import SETTINGS
from restic_monitor.paths import Home

PLANTED = "zz-planted-secret-zz"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
keys = st.sampled_from([s.name for s in SETTINGS]) | st.text(max_size=24)


def _load(settings_text: str, env_text: str) -> Config | ConfigError:
    with tempfile.TemporaryDirectory() as tmp:
        home = Home(Path(tmp))
        home.settings_json.write_text(settings_text, encoding="utf-8")
        home.env_json.write_text(env_text, encoding="utf-8")
        try:
            return load_config(home)
        except ConfigError as exc:
            return exc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, json_values, max_size=8))
def test_any_settings_object_loads_or_lists_its_problems(data: dict[str, Any]) -> None:
    result = _load(json.dumps(data), "{}")

    if isinstance(result, ConfigError):
        assert result.problems, "an error always says what is wrong"
        for problem in result.problems:
            assert str(problem).startswith(str(problem.file))
    else:
        assert result.settings.args


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_any_text_in_settings_json_loads_or_lists_its_problems(text: str) -> None:
    result = _load(text, "{}")

    assert isinstance(result, (Config, ConfigError))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        # Names are shown on purpose; a value pasted into a name ("NAME=value") is not.
        st.text(max_size=12).map(lambda k: f"{k}={PLANTED}" if len(k) % 3 == 0 else k),
        json_values.map(lambda v: v if not isinstance(v, str) else v + PLANTED),
        max_size=6,
    ),
    st.booleans(),
)
def test_no_env_json_content_ever_puts_a_value_in_a_message(
    data: dict[str, Any], break_json: bool
) -> None:
    text = json.dumps(data)
    if break_json:
        text = text[: len(text) // 2] + f'"{PLANTED}'
    result = _load(json.dumps({"args": ["backup", "/x"]}), text)

    shown = str(result) if isinstance(result, ConfigError) else repr(result)
    assert PLANTED not in shown

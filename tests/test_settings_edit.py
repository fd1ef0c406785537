"""Editing settings.json for the settings window: what is kept, what is written, in what style.

Every setting has a page (its group); durations read back as they are
written; the window's command lines read back as the lists they show; a
save replaces only the values edited, in the file's own layout, and refuses
to overwrite an edit made meanwhile unless asked.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from restic_monitor.config import settings_edit
from restic_monitor.config.profile import load_config
from restic_monitor.config.setting_specs import GROUPS, SETTINGS
from restic_monitor.durations import format_duration, parse_duration
from restic_monitor.paths import Home

from .conftest import write_config


def test_every_setting_is_on_one_of_the_windows_pages() -> None:
    assert GROUPS == ("schedule", "what to back up", "notifications", "maintenance", "advanced")
    for spec in SETTINGS:
        assert spec.group in GROUPS, spec.name
    assert {spec.group for spec in SETTINGS} == set(GROUPS)  # no empty page


def test_the_secret_settings_are_the_urls_that_are_keys() -> None:
    assert {s.name for s in SETTINGS if s.secret} == {
        "healthcheck_url", "notify_webhook_url", "ntfy_url",
    }  # fmt: skip
    assert all("secret" in s.meaning for s in SETTINGS if s.secret)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(0, "0"), (90, "1m30s"), (300, "5m"), (3600, "1h"), (5400, "1h30m"), (86400, "1d"),
     (604800, "7d"), (1.5, "1.5"), (-1, "-1")],
)  # fmt: skip
def test_durations_are_written_in_the_words_they_are_read_in(seconds: float, words: str) -> None:
    assert format_duration(seconds) == words
    if seconds > 0:
        assert parse_duration(words) == seconds


@given(st.integers(min_value=1, max_value=10 * 365 * 86400))
def test_every_whole_duration_reads_back(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=12)))
def test_a_command_line_reads_back_as_its_words(words: list[str]) -> None:
    pytest.importorskip("PySide6")
    from restic_monitor.tray.settings_fields import join_words, split_words

    assert split_words(join_words(words)) == words


def test_windows_paths_need_no_doubled_backslashes() -> None:
    pytest.importorskip("PySide6")
    from restic_monitor.tray.settings_fields import split_words

    assert split_words(r'"C:\Program Files\dump.exe" --all C:\data') == [
        r"C:\Program Files\dump.exe", "--all", r"C:\data",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="quote"):
        split_words("'unclosed")


def _file(home: Home, document: dict[str, Any], text: str | None = None) -> bytes:
    home.settings_json.write_text(text if text is not None else json.dumps(document, indent=2))
    return home.settings_json.read_bytes()


def test_a_save_replaces_only_the_edited_value_in_the_files_own_layout(home: Home) -> None:
    document = {
        "$schema": "file:///somewhere/settings.schema.json",
        "_note": "written by hand — keep",
        "args": ["backup", "/data"],
        "min_idle_seconds": 300.0,
        "check_every_seconds": 0,
    }
    opened = _file(home, document)
    home.settings_json.chmod(0o640)
    read = settings_edit.read_settings_file(home.settings_json)
    values = {**settings_edit.current_values(read.data), "pause_seconds": 3600}
    edits = settings_edit.edits(read.data, values)
    assert edits == {"pause_seconds": 3600}  # 300.0 is 300: not an edit
    written = settings_edit.save(home.settings_json, opened, edits, force=False)
    assert written == json.dumps({**document, "pause_seconds": 3600}, indent=2).encode()
    assert home.settings_json.read_bytes() == written
    assert os.stat(home.settings_json).st_mode & 0o777 == 0o640
    # An existing key is replaced where it is, with the file's indentation and newline.
    text = json.dumps(document, indent=4, ensure_ascii=False) + "\n"
    opened = _file(home, document, text)
    written = settings_edit.save(home.settings_json, opened, {"min_idle_seconds": 60}, force=False)
    assert written.decode() == text.replace("300.0", "60")


def test_a_file_edited_meanwhile_is_not_overwritten_unless_asked(home: Home) -> None:
    write_config(home, {"args": ["backup", "/data"], "pause_seconds": 600}, {})
    opened = home.settings_json.read_bytes()
    data = json.loads(opened)
    home.settings_json.write_text(json.dumps({**data, "pause_seconds": 7200}, indent=2))
    with pytest.raises(settings_edit.ChangedOnDisk):
        settings_edit.save(home.settings_json, opened, {"min_idle_seconds": 60}, force=False)
    assert json.loads(home.settings_json.read_text())["pause_seconds"] == 7200
    settings_edit.save(home.settings_json, opened, {"min_idle_seconds": 60}, force=True)
    saved = json.loads(home.settings_json.read_text())
    assert (saved["pause_seconds"], saved["min_idle_seconds"]) == (7200, 60)


def test_a_file_that_does_not_parse_is_not_replaced(home: Home) -> None:
    opened = _file(home, {}, '{"args": ["backup", "/data"],,}')
    with pytest.raises(ValueError, match="invalid JSON"):
        settings_edit.save(home.settings_json, opened, {"min_idle_seconds": 60}, force=False)
    assert home.settings_json.read_bytes() == opened


def test_an_invalid_value_is_refused_with_the_loaders_words(home: Home) -> None:
    write_config(home, {"args": ["backup", "/data"]}, {})
    opened = home.settings_json.read_bytes()
    with pytest.raises(ValueError, match=r"min_idle_seconds: expected 0 or more seconds, got -5"):
        settings_edit.save(home.settings_json, opened, {"min_idle_seconds": -5}, force=False)
    assert home.settings_json.read_bytes() == opened


def test_without_a_file_every_edit_is_written_and_loads(home: Home, tmp_path: Path) -> None:
    home.env_json.write_text("{}")
    settings_edit.save(home.settings_json, None, {"args": ["backup", str(tmp_path)]}, force=False)
    assert load_config(home, keyring=False).settings.args == ("backup", str(tmp_path))
    assert home.settings_json.read_text().endswith("}\n")

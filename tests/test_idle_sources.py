"""Idle source specs and arithmetic that does not need a display."""

from __future__ import annotations

from pathlib import Path

import pytest

from restic_monitor.durations import parse_duration
from restic_monitor.platform.idle import (
    FileIdle,
    FixedIdle,
    UnknownIdle,
    make_idle_source,
)
from restic_monitor.platform.idle_windows import windows_idle_ms

WRAP = 1 << 32


@pytest.mark.parametrize(
    ("tick64", "last_input", "idle_ms"),
    [
        pytest.param(10_000, 4_000, 6_000, id="plain"),
        pytest.param(25 * 86_400_000, 25 * 86_400_000 - 500, 500, id="25-days-signed-overflow"),
        pytest.param(WRAP + 1_000, WRAP - 2_000, 3_000, id="across-the-49.7-day-wrap"),
        pytest.param(3 * WRAP + 5, 3, 2, id="third-wrap"),
        pytest.param(WRAP - 1, WRAP - 1, 0, id="just-touched"),
    ],
)
def test_windows_idle_is_right_across_tick_wraparound(
    tick64: int, last_input: int, idle_ms: int
) -> None:
    # dwTime is the low 32 bits of the tick at the last input.
    assert windows_idle_ms(tick64, last_input % WRAP) == idle_ms


def test_fixed_source_is_constant_and_sees_no_user() -> None:
    source = make_idle_source("fixed:600")

    assert isinstance(source, FixedIdle)
    assert source.seconds() == 600
    assert source.reports_activity is False


def test_file_source_reads_the_value_at_each_look(tmp_path: Path) -> None:
    path = tmp_path / "idle"
    source = make_idle_source(f"file:{path}")
    assert isinstance(source, FileIdle)
    assert source.seconds() is None  # missing file: unknown, not zero

    path.write_text("12.5\n")
    assert source.seconds() == 12.5
    path.write_text("\ufeff3")
    assert source.seconds() == 3
    path.write_text("garbage")
    assert source.seconds() is None
    path.write_text("-5")
    assert source.seconds() is None


def test_environment_variable_chooses_the_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESTIC_MONITOR_IDLE_SOURCE", "fixed:7")

    assert make_idle_source(None).seconds() == 7
    assert make_idle_source("fixed:9").seconds() == 9  # the option wins


@pytest.mark.parametrize("spec", ["fixed:", "fixed:abc", "fixed:-1", "file:", "bogus", "fixed:nan"])
def test_bad_idle_source_spec_is_refused_clearly(spec: str) -> None:
    with pytest.raises(ValueError, match="idle source"):
        make_idle_source(spec)


def test_none_source_is_unknown() -> None:
    source = make_idle_source("none")

    assert isinstance(source, UnknownIdle)
    assert source.seconds() is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90),
        ("90s", 90),
        ("15m", 900),
        ("8h", 28800),
        ("2d", 172800),
        ("1h30m", 5400),
        ("1.5h", 5400),
        ("10min", 600),
    ],
)
def test_pause_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text", ["", "0", "-5", "h", "5x", "5 parsecs", "1h-30m", "inf", "nan", "1e12", "4000d"]
)
def test_bad_pause_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)

"""The history chart's points: per run when few, per day or week when crowded."""

from __future__ import annotations

import time
from datetime import datetime

from restic_monitor.state.history import RunRecord
from restic_monitor.tray.chart_data import DAY, MAX_POINTS, chart_series, describe_point

NOW = time.mktime((2026, 11, 27, 15, 0, 0, 0, 0, -1))


def run(i: int, started: float, **fields: object) -> RunRecord:
    values: dict[str, object] = {
        "ended": started + 60,
        "outcome": "success",
        "counted_success": True,
        "data_added": 1000,
        "duration": 60.0,
    }
    values.update(fields)
    return RunRecord(id=i, started=started, trigger="idle", **values)  # type: ignore[arg-type]


def test_one_run_is_one_point_described_in_full() -> None:
    series = chart_series([run(1, NOW, files_new=3, files_changed=1)])

    assert series.bucket == "run" and len(series.points) == 1
    text = describe_point(series.points[0], series.bucket)
    assert "backup of default" in text and "Data added: 1000 B" in text
    assert "Files: 3 new, 1 changed" in text and "Duration: 1 min" in text
    assert series.width < DAY / 10


def test_a_failed_run_says_why_and_running_ones_are_left_out() -> None:
    records = [
        run(1, NOW - 7200, outcome="failed", counted_success=False, message="Wrong password"),
        run(2, NOW, ended=None, outcome=None),
    ]
    series = chart_series(records)

    assert len(series.points) == 1 and series.points[0].failed
    assert "Wrong password" in describe_point(series.points[0], "run")


def test_ten_thousand_hourly_runs_are_grouped_by_week_and_lose_nothing() -> None:
    records = [
        run(i, NOW - 3600 * i, data_added=i, outcome="failed" if i % 100 == 0 else "success",
            counted_success=i % 100 != 0)
        for i in range(10_000)
    ]  # fmt: skip
    series = chart_series(records)

    assert series.bucket == "week"
    assert len(series.points) <= MAX_POINTS
    assert sum(p.runs for p in series.points) == 10_000
    assert sum(p.added for p in series.points) == sum(range(10_000))
    assert sum(p.failures for p in series.points) == 100
    starts = [p.start for p in series.points]
    assert starts == sorted(starts)
    assert all(datetime.fromtimestamp(p.start).weekday() == 0 for p in series.points)
    text = describe_point(series.points[-1], series.bucket)
    assert text.startswith("Week of ") and "runs" in text


def test_two_hundred_runs_over_two_months_are_grouped_by_day() -> None:
    records = [run(i, NOW - 7 * 3600 * i) for i in range(200)]
    series = chart_series(records)

    assert series.bucket == "day"
    assert sum(p.runs for p in series.points) == 200
    assert all(datetime.fromtimestamp(p.start).hour == 0 for p in series.points)

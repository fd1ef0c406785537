"""What the history chart plots: one point per run, or per day or week when crowded.

A bar per run is readable up to a hundred or so; a decade of hourly backups
would be 90,000 bars thinner than a pixel. Past ``max_points`` runs are
grouped by local calendar day, and past as many days by week (Monday to
Sunday), so the chart stays readable for one run and for ten thousand. Kept
apart from Qt so the grouping and the hover words are tested without a display.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from restic_monitor.humanize import human_bytes, human_duration
from restic_monitor.state.history import RunRecord

#: The most points the chart draws before grouping runs.
MAX_POINTS = 120
DAY = 86400.0

#: What a point is, for the hover text and the axis title.
BUCKET_WORDS = {"run": "per run", "day": "per day", "week": "per week"}


@dataclass(frozen=True)
class Point:
    #: The span the point stands for (a run: its start and end).
    start: float
    end: float
    runs: int
    #: Runs that did not succeed (interrupted ones aside: the user stopped them).
    failures: int
    #: Bytes added by the runs (0 when restic did not say).
    added: int
    #: The run's duration, or the median of the group's.
    duration: float
    #: A single run's record; None for a group.
    record: RunRecord | None = None

    @property
    def middle(self) -> float:
        return (self.start + self.end) / 2

    @property
    def failed(self) -> bool:
        return self.failures > 0


@dataclass(frozen=True)
class Series:
    bucket: str  # "run" | "day" | "week"
    points: tuple[Point, ...]

    @property
    def width(self) -> float:
        """The bar width in seconds: a group's span, or a run's share of the view."""
        if self.bucket == "day":
            return DAY * 0.8
        if self.bucket == "week":
            return 7 * DAY * 0.8
        if len(self.points) < 2:
            return DAY / 60  # (one run is shown in a day's span)
        span = self.points[-1].middle - self.points[0].middle
        return max(span / len(self.points) * 0.7, 60.0)


def _failed(record: RunRecord) -> bool:
    return not record.counted_success and record.outcome not in ("success", "interrupted")


def _point(record: RunRecord) -> Point:
    ended = record.ended if record.ended is not None else record.started
    return Point(
        start=record.started,
        end=max(ended, record.started),
        runs=1,
        failures=int(_failed(record)),
        added=record.data_added or 0,
        duration=record.duration or 0.0,
        record=record,
    )


def _day(when: float) -> date:
    return datetime.fromtimestamp(when).date()


def _week(when: float) -> date:
    day = _day(when)
    return day - timedelta(days=day.weekday())


def _local_start(day: date) -> float:
    return datetime(day.year, day.month, day.day).timestamp()


def _grouped(records: list[RunRecord], bucket: str) -> tuple[Point, ...]:
    key = _day if bucket == "day" else _week
    days = 1 if bucket == "day" else 7
    groups: dict[date, list[RunRecord]] = {}
    for record in records:
        groups.setdefault(key(record.started), []).append(record)
    points = []
    for first_day in sorted(groups):
        runs = groups[first_day]
        points.append(
            Point(
                start=_local_start(first_day),
                end=_local_start(first_day + timedelta(days=days)),
                runs=len(runs),
                failures=sum(1 for r in runs if _failed(r)),
                added=sum(r.data_added or 0 for r in runs),
                duration=statistics.median(r.duration or 0.0 for r in runs),
            )
        )
    return tuple(points)


def chart_series(records: list[RunRecord], max_points: int = MAX_POINTS) -> Series:
    """The finished runs of ``records`` (any order), oldest first, grouped when crowded."""
    finished = sorted((r for r in records if r.ended is not None), key=lambda r: r.started)
    if len(finished) <= max_points:
        return Series("run", tuple(_point(r) for r in finished))
    days = _grouped(finished, "day")
    if len(days) <= max_points:
        return Series("day", days)
    return Series("week", _grouped(finished, "week"))


def describe_point(point: Point, bucket: str) -> str:
    """The hover text: what one bar stands for, in words."""
    if point.record is not None:
        record = point.record
        when = datetime.fromtimestamp(record.started).strftime("%a %Y-%m-%d %H:%M")
        lines = [f"{when} · {record.kind} of {record.profile}", f"Outcome: {record.outcome}"]
        if record.data_added is not None:
            lines.append(f"Data added: {human_bytes(record.data_added)}")
        if record.files_new is not None or record.files_changed is not None:
            lines.append(
                f"Files: {record.files_new or 0:,} new, {record.files_changed or 0:,} changed"
            )
        lines.append(f"Duration: {human_duration(point.duration)}")
        if record.outcome != "success" and record.message:
            lines.append(record.message)
        return "\n".join(lines)
    first = datetime.fromtimestamp(point.start)
    if bucket == "day":
        span = first.strftime("%a %Y-%m-%d")
    else:
        last = datetime.fromtimestamp(point.end - DAY)
        span = f"Week of {first.strftime('%Y-%m-%d')} to {last.strftime('%Y-%m-%d')}"
    runs = f"{point.runs} run{'s' if point.runs != 1 else ''}"
    failed = f", {point.failures} not successful" if point.failures else ", all successful"
    return "\n".join(
        [
            span,
            runs + failed,
            f"Data added: {human_bytes(point.added)}",
            f"Median duration: {human_duration(point.duration)}",
        ]
    )

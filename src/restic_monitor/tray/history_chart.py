"""The history chart: data added (bars) over duration (points), on a time axis.

Drawn with pyqtgraph, which is made for this (date axes whose labels fit,
units, zoom and pan) and imported only with this module, that is when the
history window first opens: the idle tray never pays for it or for numpy.
Two plots share the time axis because data added and duration are different
units; putting both on one plot with two y axes is harder to read.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QToolTip, QWidget

from restic_monitor.humanize import human_duration
from restic_monitor.state.history import RunRecord
from restic_monitor.tray.chart_data import BUCKET_WORDS, DAY, Series, chart_series, describe_point

SUCCESS = "#1565c0"
SOME_FAILED = "#f9a825"
FAILED = "#c62828"
DURATION = "#e65100"

#: Tick steps for durations, in seconds: whole seconds, minutes, hours, days.
_DURATION_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
                   21600, 43200, 86400, 172800, 604800)  # fmt: skip


class DurationAxis(pg.AxisItem):  # type: ignore[misc]
    """Ticks at whole minutes and hours, labelled "5 min", "1 h 30 min"."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        span = max(maxVal - minVal, 1.0)
        wanted = span / max(size / 60, 2)  # a label every ~60 px
        major = next((s for s in _DURATION_STEPS if s >= wanted), _DURATION_STEPS[-1])
        return [(float(major), 0.0)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [human_duration(v) if v >= 0 else "" for v in values]


class BytesAxis(pg.AxisItem):  # type: ignore[misc]
    """Binary units (KiB, MiB, GiB), as the table and restic say them, with round ticks."""

    UNITS = (("B", 1), ("KiB", 1024), ("MiB", 1024**2), ("GiB", 1024**3), ("TiB", 1024**4))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unit = self.UNITS[0]

    def use_unit_for(self, largest: float) -> str:
        """Choose the unit that shows ``largest`` as a number under 1024; its name."""
        self.unit = next((u for u in self.UNITS if largest < u[1] * 1024), self.UNITS[-1])
        self.picture = None  # redraw with the new labels
        self.update()
        return self.unit[0]

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> Any:
        scale = self.unit[1]
        spacing = super().tickSpacing(minVal / scale, maxVal / scale, size)
        return [(step * scale, offset * scale) for step, offset in spacing]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        unit = self.unit[1]
        step = spacing / unit
        decimals = 0 if step >= 1 else 1 if step >= 0.1 else 2
        return [f"{v / unit:.{decimals}f}" if v >= 0 else "" for v in values]


class HistoryChart(pg.GraphicsLayoutWidget):  # type: ignore[misc]
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        palette = self.palette()
        self.setBackground(palette.base().color())
        text = palette.text().color()
        self.setMinimumHeight(220)
        self.series = Series("run", ())
        self.bytes_axis = BytesAxis("left")
        self.added_plot = self.addPlot(
            row=0, col=0, axisItems={"bottom": pg.DateAxisItem(), "left": self.bytes_axis}
        )
        self.duration_plot = self.addPlot(
            row=1, col=0, axisItems={"bottom": pg.DateAxisItem(), "left": DurationAxis("left")}
        )
        self.duration_plot.setXLink(self.added_plot)
        self.added_plot.getAxis("bottom").setStyle(showValues=False)
        self._text = text
        for plot, label in ((self.added_plot, "Data added"), (self.duration_plot, "Duration")):
            plot.setMouseEnabled(x=True, y=False)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.showGrid(x=False, y=True, alpha=0.25)
            left = plot.getAxis("left")
            left.setLabel(label, color=text.name())
            left.setWidth(72)  # room for "1 h 30 min" and "999.9 MB" without clipping
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTextPen(text)
                plot.getAxis(axis).setPen(text)
        self._bars: Any = None
        self._line: Any = None
        self.scene().sigMouseMoved.connect(self._hover)

    def set_records(self, records: list[RunRecord]) -> None:
        self.set_series(chart_series(records))

    def set_series(self, series: Series) -> None:
        self.series = series
        for plot in (self.added_plot, self.duration_plot):
            plot.clear()
        points = series.points
        self.added_plot.setTitle(f"Data added and duration, {BUCKET_WORDS[series.bucket]}")
        if not points:
            return
        xs = [p.middle for p in points]
        brushes = [
            pg.mkBrush(FAILED if p.failures == p.runs else SOME_FAILED if p.failed else SUCCESS)
            for p in points
        ]
        self._bars = pg.BarGraphItem(
            x=xs, height=[p.added for p in points], width=series.width, brushes=brushes, pen=None
        )
        self.added_plot.addItem(self._bars)
        self._line = pg.PlotDataItem(
            xs,
            [p.duration for p in points],
            pen=pg.mkPen(DURATION, width=2),
            symbol="o",
            symbolSize=6 if len(points) < 60 else 4,
            symbolBrush=DURATION,
            symbolPen=None,
        )
        self.duration_plot.addItem(self._line)
        pad = max(series.width, (xs[-1] - xs[0]) * 0.03, DAY / 2 if len(xs) == 1 else 0.0)
        self.added_plot.setXRange(xs[0] - pad, xs[-1] + pad, padding=0)
        top_added = max(p.added for p in points)
        unit = self.bytes_axis.use_unit_for(top_added * 1.12)
        self.bytes_axis.setLabel(f"Data added ({unit})", color=self._text.name())
        top_duration = max(p.duration for p in points)
        self.added_plot.setYRange(0, max(top_added, 1) * 1.12, padding=0)
        self.duration_plot.setYRange(0, max(top_duration, 1.0) * 1.15, padding=0)
        for plot in (self.added_plot, self.duration_plot):
            plot.setLimits(yMin=0)

    def point_at(self, x: float) -> int | None:
        """The index of the point nearest to time ``x``, if one is within its bar."""
        points = self.series.points
        if not points:
            return None
        middles = [p.middle for p in points]
        i = bisect.bisect_left(middles, x)
        near = [j for j in (i - 1, i) if 0 <= j < len(points)]
        best = min(near, key=lambda j: abs(middles[j] - x))
        reach = max(self.series.width, self._pixel_span() * 6)
        return best if abs(middles[best] - x) <= reach else None

    def _pixel_span(self) -> float:
        """How many seconds one pixel of the time axis stands for now."""
        (low, high), _ = self.added_plot.viewRange()
        width = max(self.added_plot.vb.width(), 1.0)
        return (high - low) / width if math.isfinite(high - low) else 0.0

    def _hover(self, pos: QPointF) -> None:
        for plot in (self.added_plot, self.duration_plot):
            if plot.sceneBoundingRect().contains(pos):
                x = plot.vb.mapSceneToView(pos).x()
                index = self.point_at(x)
                if index is not None:
                    text = describe_point(self.series.points[index], self.series.bucket)
                    QToolTip.showText(QCursor.pos(), text, self)
                    return
        QToolTip.hideText()

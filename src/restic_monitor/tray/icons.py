"""The tray's icons, composed from prerendered layers (how they are drawn: icon_art).

Qt's SVG module would cost the idle tray 2.3 MB (its library and parser), so
the shapes, the track and the twenty steps of the progress ring are rendered
from the SVGs once, into one sheet per tray size shipped beside them, and an
icon is its layers painted over each other. Painting uses images only: a pen,
a brush or an image's fill() would make the Qt binding build the whole Qt
namespace (ninety enums, 2 MB more).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (the states' module pulls in the status model: not for the first icon)
    from PySide6.QtGui import QIcon, QImage

    from restic_monitor.tray.state import IconState

TRAY_SIZES = (16, 22, 24, 32, 48, 64)
PROGRESS_STEPS = 20  # the ring moves in 5 % steps: enough to see, few icons to cache
#: Beside this file in a wheel and in the packaged app (its spec copies the folder);
#: importlib.resources would cost the idle tray half a megabyte of modules.
ICON_FOLDER = Path(__file__).with_name("icons")
#: The starting icon alone, at the largest size (written with the sheets).
STARTING_PNG = ICON_FOLDER / "starting.png"
_SHAPES = ("ok", "warning", "error", "paused", "starting")
#: The cells of each sheet, left to right: every icon as drawn, each shape shrunk
#: inside the ring, the ring's track, and the ring at each step (1/20 .. 20/20).
LAYERS = (
    "plain:app",
    "plain:backing-up",
    *(f"plain:{name}" for name in _SHAPES),
    *(f"shrunk:{name}" for name in _SHAPES),
    "track:",
    *(f"ring:{step}" for step in range(1, PROGRESS_STEPS + 1)),
)


def quantize(progress: float | None) -> float | None:
    if progress is None:
        return None
    return round(min(max(progress, 0.0), 1.0) * PROGRESS_STEPS) / PROGRESS_STEPS


def layers_of(state: IconState, progress: float | None) -> list[str]:
    """Which cells, bottom first, make the icon of ``state`` (``progress`` quantised)."""
    steps = 0 if progress is None else round(progress * PROGRESS_STEPS)
    if state.value == "backing-up":
        return ["plain:backing-up"] + ([f"ring:{steps}"] if steps else [])
    if progress is None:
        return [f"plain:{state.value}"]
    return [f"shrunk:{state.value}", "track:"] + ([f"ring:{steps}"] if steps else [])


def _sheet(size: int) -> QImage:
    """Read when an icon is made, not kept: the six sheets would hold 1.1 MB."""
    from PySide6.QtGui import QImage

    path = ICON_FOLDER / f"sheet-{size}.png"
    sheet = QImage(str(path))
    if sheet.isNull() or sheet.width() != size * len(LAYERS):
        raise FileNotFoundError(f"the tray's icon sheet {path} is missing or damaged")
    return sheet


def _cells(layers: list[str], size: int) -> list[QImage]:
    sheet = _sheet(size)
    return [sheet.copy(LAYERS.index(layer) * size, 0, size, size) for layer in layers]


def image(state: IconState, progress: float | None, size: int) -> QImage:
    """The icon of ``state`` at ``size`` pixels, its layers painted in order."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QPainter

    result, *above = _cells(layers_of(state, quantize(progress)), size)
    if above:
        painter = QPainter(result)
        for layer in above:
            painter.drawImage(QPoint(0, 0), layer)
        painter.end()
    return result


def icon(state: IconState, progress: float | None = None) -> QIcon:
    """The tray icon for a state (progress quantised so that icons can be cached)."""
    return _icon(state, quantize(progress))


@lru_cache(maxsize=64)
def _icon(state: IconState, progress: float | None) -> QIcon:
    from PySide6.QtGui import QIcon, QPixmap

    result = QIcon()
    for size in TRAY_SIZES:
        result.addPixmap(QPixmap.fromImage(image(state, progress, size)))
    return result


def starting_icon() -> QIcon:
    """The icon shown while the rest of the tray loads (without the states' module).

    From one file that Qt decodes when it first paints it, at the size it paints:
    the six sheets would be 10 ms more before the first icon of the session.
    """
    from PySide6.QtGui import QIcon

    lazy = QIcon(str(STARTING_PNG))
    return lazy if not lazy.isNull() else _named("plain:starting")


def app_icon() -> QIcon:
    return _named("plain:app")


def _named(layer: str) -> QIcon:
    from PySide6.QtGui import QIcon, QPixmap

    result = QIcon()
    for size in TRAY_SIZES:
        result.addPixmap(QPixmap.fromImage(_cells([layer], size)[0]))
    return result

"""Tray icons drawn from the SVG files in ``icons/``; a Windows .ico for packaging.

Each state has its own shape (disc with a check, turning arrows, bars,
triangle, octagon), so the state reads without relying on colour. The
backing-up icon gets a ring that fills with the progress; while a backup of
one profile runs and another profile's state wins the shape (an error, a
warning), that shape, a little smaller, is framed by the same ring on a
light track, so the activity stays visible and the shape keeps its outline.

``python -m restic_monitor.tray.icons OUT.ico`` writes the application icon
in the sizes Windows asks for (PNG-compressed entries, Vista and later).
"""

from __future__ import annotations

import math
import struct
import sys
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (the states' module pulls in the status model: not for the first icon)
    from PySide6.QtGui import QIcon, QImage

    from restic_monitor.tray.state import IconState

TRAY_SIZES = (16, 22, 24, 32, 48, 64)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
PROGRESS_STEPS = 20  # the ring moves in 5 % steps: enough to see, few icons to cache
#: The ring's track around a shape other than backing-up's (whose disc has one).
TRACK = '<circle cx="32" cy="32" r="27" fill="none" stroke="#bbdefb" stroke-width="6"/>'


#: Beside this file in a wheel and in the packaged app (its spec copies the folder);
#: importlib.resources would cost the idle tray half a megabyte of modules.
ICON_FOLDER = Path(__file__).with_name("icons")


@cache
def svg_text(name: str) -> str:
    return (ICON_FOLDER / f"{name}.svg").read_text("utf-8")


def progress_ring(fraction: float) -> str:
    """An SVG arc from 12 o'clock, clockwise, covering ``fraction`` of the ring."""
    fraction = min(max(fraction, 0.0), 1.0)
    if fraction <= 0:
        return ""
    if fraction >= 0.999:
        return '<circle cx="32" cy="32" r="26.5" fill="none" stroke="#0d47a1" stroke-width="5"/>'
    angle = 2 * math.pi * fraction
    x = 32 + 26.5 * math.sin(angle)
    y = 32 - 26.5 * math.cos(angle)
    large = 1 if fraction > 0.5 else 0
    return (
        f'<path d="M32 5.5 A26.5 26.5 0 {large} 1 {x:.2f} {y:.2f}" fill="none" '
        'stroke="#0d47a1" stroke-width="5" stroke-linecap="butt"/>'
    )


def svg_for(state: IconState, progress: float | None = None) -> str:
    """The state's icon; ``progress`` (None: no backup runs) adds the progress ring."""
    text = svg_text(state.value)
    if state.value == "backing-up":
        return text.replace("<!--PROGRESS-->", progress_ring(progress or 0.0))
    if progress is None:
        return text
    # The shape shrinks inside the ring so that it keeps its outline (octagon, triangle).
    head, _, body = text.partition(">")
    body = body.replace("</svg>", "")
    return (
        f'{head}><g transform="translate(32 32) scale(0.7) translate(-32 -32)">{body}</g>'
        f"{TRACK}{progress_ring(progress)}</svg>"
    )


def quantize(progress: float | None) -> float | None:
    if progress is None:
        return None
    return round(min(max(progress, 0.0), 1.0) * PROGRESS_STEPS) / PROGRESS_STEPS


def render(svg: str, size: int) -> QImage:
    from PySide6.QtCore import QByteArray
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    # Transparent from zeroed bytes (copied, so Qt owns them): any QImage.fill() makes
    # the binding weigh its Qt.GlobalColor overload, which builds the whole Qt namespace
    # (ninety enums, 2 MB the idle tray would keep).
    blank = bytes(size * size * 4)
    image = QImage(blank, size, size, QImage.Format.Format_ARGB32_Premultiplied).copy()
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def icon(state: IconState, progress: float | None = None) -> QIcon:
    """The tray icon for a state (progress quantised so that icons can be cached)."""
    return _icon(state, quantize(progress))


@lru_cache(maxsize=64)
def _icon(state: IconState, progress: float | None) -> QIcon:
    from PySide6.QtGui import QIcon, QPixmap

    svg = svg_for(state, progress)
    result = QIcon()
    for size in TRAY_SIZES:
        result.addPixmap(QPixmap.fromImage(render(svg, size)))
    return result


def starting_icon() -> QIcon:
    """The icon shown while the rest of the tray loads, drawn only at the size asked for.

    Qt's SVG icon engine renders a file lazily; the icons made here render
    every tray size up front, a few milliseconds each, which the first icon
    of the session should not wait for.
    """
    from PySide6.QtGui import QIcon

    source = ICON_FOLDER / "starting.svg"
    if source.is_file():
        lazy = QIcon(str(source))
        if not lazy.isNull():
            return lazy
    from restic_monitor.tray.state import IconState

    return icon(IconState.STARTING)


def app_icon() -> QIcon:
    from PySide6.QtGui import QIcon, QPixmap

    result = QIcon()
    for size in TRAY_SIZES:
        result.addPixmap(QPixmap.fromImage(render(svg_text("app"), size)))
    return result


def png_bytes(svg: str, size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide6's stubs say bytes, its runtime wants str.
    render(svg, size).save(buffer, "PNG")  # type: ignore[call-overload]
    buffer.close()
    return bytes(data.data())


def ico_bytes(svg: str, sizes: tuple[int, ...] = ICO_SIZES) -> bytes:
    """A .ico file with one PNG image per size."""
    images = [png_bytes(svg, size) for size in sizes]
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries = b""
    for size, data in zip(sizes, images, strict=True):
        dim = 0 if size >= 256 else size  # 0 means 256 in the ICO directory
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return header + entries + b"".join(images)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m restic_monitor.tray.icons OUT.ico", file=sys.stderr)
        return 2
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(["icons", "-platform", "offscreen"])
    out = Path(args[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(ico_bytes(svg_text("app")))
    print(f"wrote {out} ({out.stat().st_size} bytes, sizes {', '.join(map(str, ICO_SIZES))})")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())

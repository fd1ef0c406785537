"""The tray's icons as drawn: the SVG files in ``icons/`` and what is made from them.

Each state has its own shape (disc with a check, turning arrows, bars,
triangle, octagon), so the state reads without relying on colour. The
backing-up icon gets a ring that fills with the progress; while a backup of
one profile runs and another profile's state wins the shape (an error, a
warning), that shape, a little smaller, is framed by the same ring on a
light track, so the activity stays visible and the shape keeps its outline.

The running tray does not render SVG: Qt's SVG module costs its idle process
2.3 MB. It composes its icons from the layers in ``icons/sheet-<size>.png``,
which are rendered here from the SVGs (``--sheets``), so the SVGs stay the
one source; a test holds the sheets' composition equal to these renderings.

``python -m restic_monitor.tray.icon_art OUT.ico`` writes the application
icon in the sizes Windows asks for (PNG-compressed entries, Vista and later);
``--sheets`` writes the layer sheets again after an SVG changed.
"""

from __future__ import annotations

import math
import struct
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from restic_monitor.tray.icons import (
    ICON_FOLDER,
    LAYERS,
    PROGRESS_STEPS,
    STARTING_PNG,
    TRAY_SIZES,
)

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

    from restic_monitor.tray.state import IconState

ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
#: The ring's track around a shape other than backing-up's (whose disc has one).
TRACK = '<circle cx="32" cy="32" r="27" fill="none" stroke="#bbdefb" stroke-width="6"/>'
SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'


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


def _shrunk(text: str) -> str:
    """The shape at 70 %, centred: room for the ring around it."""
    head, _, body = text.partition(">")
    body = body.replace("</svg>", "")
    return f'{head}><g transform="translate(32 32) scale(0.7) translate(-32 -32)">{body}</g>'


def svg_for(state: IconState, progress: float | None = None) -> str:
    """The state's icon; ``progress`` (None: no backup runs) adds the progress ring."""
    text = svg_text(state.value)
    if state.value == "backing-up":
        return text.replace("<!--PROGRESS-->", progress_ring(progress or 0.0))
    if progress is None:
        return text
    return f"{_shrunk(text)}{TRACK}{progress_ring(progress)}</svg>"


def layer_svg(layer: str) -> str:
    """One cell of the sheets: a name of ``icons.LAYERS``."""
    kind, _, name = layer.partition(":")
    if kind == "plain":
        return svg_text(name).replace("<!--PROGRESS-->", "")
    if kind == "shrunk":
        return _shrunk(svg_text(name)) + "</svg>"
    if kind == "track":
        return f"{SVG_HEAD}{TRACK}</svg>"
    if kind == "ring":
        return f"{SVG_HEAD}{progress_ring(int(name) / PROGRESS_STEPS)}</svg>"
    raise ValueError(f"unknown icon layer {layer!r}")


def render(svg: str, size: int) -> QImage:
    from PySide6.QtCore import QByteArray
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    blank = bytes(size * size * 4)  # transparent: fill() would build the Qt namespace (see icons)
    image = QImage(blank, size, size, QImage.Format.Format_ARGB32_Premultiplied).copy()
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def render_sheet(size: int) -> QImage:
    """Every layer at ``size``, side by side in the order of LAYERS."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QImage, QPainter

    width = size * len(LAYERS)
    blank = bytes(width * size * 4)
    sheet = QImage(blank, width, size, QImage.Format.Format_ARGB32_Premultiplied).copy()
    painter = QPainter(sheet)
    for i, layer in enumerate(LAYERS):
        painter.drawImage(QPoint(i * size, 0), render(layer_svg(layer), size))
    painter.end()
    return sheet


def png_bytes(image: QImage) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide6's stubs say bytes, its runtime wants str.
    image.save(buffer, "PNG")  # type: ignore[call-overload]
    buffer.close()
    return bytes(data.data())


def ico_bytes(svg: str, sizes: tuple[int, ...] = ICO_SIZES) -> bytes:
    """A .ico file with one PNG image per size."""
    images = [png_bytes(render(svg, size)) for size in sizes]
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries = b""
    for size, data in zip(sizes, images, strict=True):
        dim = 0 if size >= 256 else size  # 0 means 256 in the ICO directory
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return header + entries + b"".join(images)


def write_sheets(folder: Path = ICON_FOLDER) -> list[Path]:
    written = []
    for size in TRAY_SIZES:
        path = folder / f"sheet-{size}.png"
        path.write_bytes(png_bytes(render_sheet(size)))
        written.append(path)
    starting = folder / STARTING_PNG.name
    starting.write_bytes(png_bytes(render(svg_text("starting"), max(TRAY_SIZES))))
    return [*written, starting]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m restic_monitor.tray.icon_art OUT.ico | --sheets", file=sys.stderr)
        return 2
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(["icons", "-platform", "offscreen"])
    if args[0] == "--sheets":
        for path in write_sheets():
            print(f"wrote {path} ({path.stat().st_size} bytes)")
        return 0
    out = Path(args[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(ico_bytes(svg_text("app")))
    print(f"wrote {out} ({out.stat().st_size} bytes, sizes {', '.join(map(str, ICO_SIZES))})")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())

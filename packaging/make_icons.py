"""Draw the WYNTEK Desktop app icon and write it in every format the platforms need.

    .venv/bin/python packaging/make_icons.py [--out resources/app]

Writes `wyntek-<size>.png` (16 … 1024), `wyntek.ico` (Windows, PNG-compressed entries)
and `wyntek.icns` (macOS). Drawn with QPainter on the offscreen platform, so it runs on a
headless build machine; the output is committed, the build only reads it.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# icns chunk types holding PNG data, by pixel size (the @2x types reuse larger images).
ICNS_TYPES = (("icp4", 16), ("icp5", 32), ("icp6", 64), ("ic07", 128), ("ic08", 256),
              ("ic09", 512), ("ic10", 1024), ("ic11", 32), ("ic12", 64), ("ic13", 256),
              ("ic14", 512))

BACKGROUND_TOP = "#2f80ed"
BACKGROUND_BOTTOM = "#173f7a"
ACCENT = "#ffb020"


def render_png(size: int) -> bytes:
    """The icon at `size` x `size` pixels as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter, QPainterPath, QPen

    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = float(size)
    margin = s * 0.06
    tile = QRectF(margin, margin, s - 2 * margin, s - 2 * margin)
    gradient = QLinearGradient(tile.topLeft(), tile.bottomLeft())
    gradient.setColorAt(0.0, QColor(BACKGROUND_TOP))
    gradient.setColorAt(1.0, QColor(BACKGROUND_BOTTOM))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(gradient)
    painter.drawRoundedRect(tile, s * 0.2, s * 0.2)

    # An isometric cube outline: the part being made.
    cx, cy, r = s * 0.5, s * 0.53, s * 0.30
    top = QPointF(cx, cy - r)
    upper_left, upper_right = QPointF(cx - r * 0.87, cy - r * 0.5), QPointF(cx + r * 0.87,
                                                                             cy - r * 0.5)
    lower_left, lower_right = QPointF(cx - r * 0.87, cy + r * 0.5), QPointF(cx + r * 0.87,
                                                                             cy + r * 0.5)
    bottom, centre = QPointF(cx, cy + r), QPointF(cx, cy)
    cube = QPainterPath(top)
    for point in (upper_right, lower_right, bottom, lower_left, upper_left, top):
        cube.lineTo(point)
    for corner in (upper_left, upper_right, bottom):
        cube.moveTo(centre)
        cube.lineTo(corner)
    pen = QPen(QColor(255, 255, 255, 110), max(1.0, s * 0.025))
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(cube)

    # The W, drawn as one stroke.
    w = QPainterPath(QPointF(s * 0.24, s * 0.33))
    for x, y in ((0.36, 0.70), (0.50, 0.45), (0.64, 0.70), (0.76, 0.33)):
        w.lineTo(QPointF(s * x, s * y))
    pen = QPen(QColor("white"), max(1.5, s * 0.085))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.drawPath(w)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(ACCENT))
    painter.drawEllipse(QPointF(s * 0.76, s * 0.33), s * 0.06, s * 0.06)
    painter.end()

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stub says bytes; str works
    buffer.close()
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding PNG images (supported since Windows Vista)."""
    sizes = [size for size in ICO_SIZES if size in pngs]
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, blobs = [], []
    for size in sizes:
        blob = pngs[size]
        dim = 0 if size >= 256 else size  # 0 means 256 in the directory entry
        entries.append(struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset))
        blobs.append(blob)
        offset += len(blob)
    return header + b"".join(entries) + b"".join(blobs)


def icns(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns made of PNG chunks."""
    chunks = b"".join(kind.encode("ascii") + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
                      for kind, size in ICNS_TYPES if size in pngs)
    return b"icns" + struct.pack(">I", 8 + len(chunks)) + chunks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parent.parent / "resources" / "app")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    args.out.mkdir(parents=True, exist_ok=True)
    pngs = {size: render_png(size) for size in SIZES}
    for size, blob in pngs.items():
        (args.out / f"wyntek-{size}.png").write_bytes(blob)
    (args.out / "wyntek.ico").write_bytes(ico(pngs))
    (args.out / "wyntek.icns").write_bytes(icns(pngs))
    del app
    print(f"wrote {len(pngs)} PNGs, wyntek.ico and wyntek.icns to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The real GL view on an X display: STEP parts whose seams hide features thinner than a
pixel (box_sides: a 0.13 mm clearance between each tab and its slot, tabs 0.05 mm
proud). Counts speckles, pixels unlike all 8 of their neighbours while those agree, in
the still frame and in a moving one. Prints one JSON line."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from tests.support.samples import SAMPLES
from wyntek_desktop.design import tasks
from wyntek_desktop.ui.viewer import MeshView, request_gl_format


def wait(app: QApplication, cond: Callable[[], bool], timeout: float = 20.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.processEvents()
        if cond():
            return True
        time.sleep(0.005)
    return False


def pixels(img: QImage) -> np.ndarray:
    """(h, w, 3) int32 RGB of the image."""
    img = img.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = img.width(), img.height(), img.bytesPerLine()
    raw = np.frombuffer(img.constBits(), np.uint8, count=stride * h).reshape(h, stride)
    return raw[:, :w * 3].reshape(h, w, 3).astype(np.int32)


def speckles(rgb: np.ndarray, *, alike: int = 2, unlike: int = 40) -> int:
    """Pixels differing by more than ``unlike`` (in a channel) from their 8 neighbours,
    which agree within ``alike``: a dot on an evenly shaded face. A line of a thin
    feature, drawn with its coverage, has neighbours along it and does not count."""
    h, w = rgb.shape[:2]
    centre = rgb[1:-1, 1:-1]
    first = rgb[:-2, :-2]
    even = np.ones((h - 2, w - 2), dtype=bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dx or dy:
                near = rgb[1 + dy:h - 1 + dy, 1 + dx:w - 1 + dx]
                even &= np.abs(near - first).max(axis=-1) <= alike
    return int(np.count_nonzero(even & (np.abs(centre - first).max(axis=-1) > unlike)))


def main() -> None:
    save = Path(sys.argv[1]) if len(sys.argv) > 1 else None  # a folder for the frames
    request_gl_format()
    app = QApplication([])
    out: dict[str, object] = {}
    view = MeshView()
    view.resize(960, 720)
    view.show()
    gl = view.gl
    assert gl is not None
    frames: list[float] = []
    view.first_frame.connect(frames.append)
    for name in ("box_sides.STEP", "featuretype.STEP"):
        frames.clear()
        part = tasks.load_preview(None, SAMPLES / name)
        view.set_mesh(part.triangles, part.lo, part.hi,
                      normals=tasks.flat_normals(part.triangles))
        if not wait(app, lambda: bool(frames)):
            out[name] = {"drawn": False}
            continue
        gl.set_view("iso")
        still = gl.grabFramebuffer()
        result: dict[str, object] = {"drawn": True, "still": speckles(pixels(still)),
                                     "multisampled": gl.drew_multisampled}
        gl.moving = True  # as while orbiting: one sample per pixel, within budget
        moving = gl.grabFramebuffer()
        result["moving"] = speckles(pixels(moving))
        result["moving_multisampled"] = gl.drew_multisampled
        gl.moving = False
        if name == "box_sides.STEP":  # the tools still draw in a multisampled frame
            plain = pixels(still)
            gl.show_edges = True
            edged = pixels(gl.grabFramebuffer())
            gl.show_edges = False
            result["edges_drawn"] = int(np.count_nonzero(
                np.abs(edged - plain).max(axis=-1) > 40))
            gl.section_axis = "x"
            cut = pixels(gl.grabFramebuffer())
            gl.section_axis = None
            result["section_changed"] = int(np.count_nonzero(
                np.abs(cut - plain).max(axis=-1) > 40))
        if save is not None:
            stem = Path(name).stem
            still.save(str(save / f"{stem}_still.png"))
            moving.save(str(save / f"{stem}_moving.png"))
        out[name] = result
    view.shutdown()
    view.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()

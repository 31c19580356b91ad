"""The real GL view on an X display: a STEP part shaded with its face normals, a narrow
view keeps the whole part, a big part's still view is a decimated surface. Prints one
JSON line."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from tests.support.samples import SAMPLES
from tests.ui.meshgen import sphere_triangles
from wyntek_desktop.design import tasks
from wyntek_desktop.ui.viewer import MeshView, request_gl_format

BACKGROUND = (41, 43, 48)


def wait(app: QApplication, cond: Callable[[], bool], timeout: float = 20.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.processEvents()
        if cond():
            return True
        time.sleep(0.005)
    return False


def _rgb(img: QImage, x: int, y: int) -> tuple[int, int, int]:
    c = img.pixelColor(x, y)
    return c.red(), c.green(), c.blue()


def lit_at_border(img: QImage) -> bool:
    """Does any non-background pixel touch the left or right edge (the part clipped)?"""
    for y in range(0, img.height(), 2):
        for x in (0, img.width() - 1):
            r, g, b = _rgb(img, x, y)
            if abs(r - BACKGROUND[0]) + abs(g - BACKGROUND[1]) + abs(b - BACKGROUND[2]) > 30:
                return True
    return False


def main() -> None:
    request_gl_format()
    app = QApplication([])
    out: dict[str, object] = {}
    view = MeshView()
    view.resize(640, 480)
    view.show()
    gl = view.gl
    assert gl is not None
    frames: list[float] = []
    view.first_frame.connect(frames.append)
    step = tasks.load_preview(None, SAMPLES / "box_sides.STEP")
    view.set_mesh(step.triangles, step.lo, step.hi, normals=tasks.flat_normals(step.triangles))
    out["drawn"] = wait(app, lambda: bool(frames))
    # narrow: the part is refitted to the width, not clipped
    view.resize(210, 520)
    wait(app, lambda: gl.width() <= 212, 5)
    gl.repaint()
    out["clipped_when_narrow"] = lit_at_border(gl.grabFramebuffer())
    view.resize(640, 480)
    wait(app, lambda: gl.width() >= 600, 5)
    # a big part: stand-in first, then the decimated still and moving copies
    sphere = sphere_triangles(120_000)
    quick = tasks.stride_thin(sphere, 20_000)
    view.set_mesh(quick, total=3_000_000, stand_in=True)
    gl.repaint()
    out["stand_in_text"] = gl.detail_text()
    still = tasks.lod(None, sphere, 60_000)
    moving = tasks.lod(None, still, 15_000)
    view.set_still(still)
    view.set_lod(moving)
    gl.repaint()
    out["still_is_decimated"] = not gl.drew_lod and gl.still_kind == "decimated"
    out["still_text"] = gl.detail_text()
    out["uploaded"] = gl.uploaded_triangles
    out["decimated_count"] = len(still) + len(moving)
    view.shutdown()
    view.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()

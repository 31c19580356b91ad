"""Orbits the real GL view while new copies of the part arrive; prints one JSON line."""

from __future__ import annotations

import json

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.ui.gl_viewer_script import wait
from tests.ui.meshgen import sphere_triangles
from wyntek_desktop.ui.viewer import MeshView, request_gl_format


def main() -> None:
    request_gl_format()
    app = QApplication([])
    view = MeshView()
    view.resize(640, 480)
    view.show()
    gl = view.gl
    part = sphere_triangles(300_000)
    light = part[::8]
    view.set_mesh(part, lod=light)
    out: dict[str, object] = {"shown": wait(app, lambda: gl.full_uploaded, 15)}
    gl.repaint()
    before = gl.uploaded_triangles
    QTest.mousePress(gl, Qt.MouseButton.LeftButton, pos=QPoint(300, 200))
    x = 300.0

    def drag() -> None:
        nonlocal x
        x += 7
        QApplication.sendEvent(gl, QMouseEvent(
            QMouseEvent.Type.MouseMove, QPointF(x, 220), QPointF(x, 220),
            Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
        gl.repaint()

    drag()
    # the helper's decimated copies arrive in the middle of the orbit
    view.set_still(part[::2])
    view.set_lod(part[::4], coarser=[(part[::16], None)])
    for _ in range(5):
        drag()
    out["moving"] = gl.moving
    out["uploaded_while_moving"] = gl.uploaded_triangles
    out["before"] = before
    out["drawn_while_moving"] = gl.drawn_triangles
    out["light"] = len(light)
    out["moving_copy_timed"] = getattr(gl._lod, "draw_ms", None) is not None
    QTest.mouseRelease(gl, Qt.MouseButton.LeftButton, pos=QPoint(int(x), 220))
    out["still_again"] = wait(app, lambda: not gl.moving, 15)
    gl.repaint()
    out["uploaded_when_still"] = gl.uploaded_triangles
    out["expected_when_still"] = len(part[::2]) + len(part[::4])
    out["drawn_when_still"] = gl.drawn_triangles
    out["still_copy"] = len(part[::2])
    # each moving copy is drawn once, unseen, while still: the next orbit knows its cost
    out["copies_timed_when_still"] = wait(app, lambda: all(
        getattr(m, "draw_ms", None) is not None for m in (gl._lod, *gl._coarser)), 15)
    out["moving_copies"] = 1 + len(gl._coarser)
    view.shutdown()
    view.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()

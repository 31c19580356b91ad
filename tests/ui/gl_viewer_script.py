"""Drives the real GL view on an X display; prints one JSON line of observations."""

from __future__ import annotations

import json
import sys
import time

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from tests.ui.meshgen import sphere_triangles
from wyntek_desktop.ui.viewer import MeshView, gl_available, request_gl_format


def wait(app: QApplication, cond, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.processEvents()
        if cond():
            return True
        time.sleep(0.005)
    return False


def center_is_lit(view) -> bool:
    img = view.gl.grabFramebuffer()
    c = img.pixelColor(img.width() // 2, img.height() // 2)
    return c.red() > 60 and c.blue() > 80 and abs(c.red() - 41) + abs(c.green() - 43) > 20


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
    request_gl_format()
    app = QApplication([])
    out: dict[str, object] = {"gl_available": gl_available()}
    view = MeshView()
    view.resize(640, 480)
    view.show()
    frames: list[float] = []
    view.first_frame.connect(frames.append)
    tris = sphere_triangles(n)
    view.set_mesh(tris)
    out["first_frame_seen"] = wait(app, lambda: bool(frames))
    out["first_frame_ms"] = frames[0] if frames else None
    out["triangles"] = view.gl.triangle_count
    out["center_lit"] = center_is_lit(view)
    yaw_before = view.gl.camera.yaw
    view.gl.setFocus()
    from PySide6.QtTest import QTest
    QTest.keyClick(view.gl, Qt.Key.Key_5)
    out["top_pitch"] = view.gl.camera.pitch
    QTest.keyClick(view.gl, Qt.Key.Key_F)
    out["center_lit_top"] = center_is_lit(view)
    view.set_lod(tris[::4])
    # orbit with a real left-drag
    QTest.mousePress(view.gl, Qt.MouseButton.LeftButton, pos=QPoint(300, 200))
    move = QMouseEvent(QMouseEvent.Type.MouseMove, QPointF(360, 230), QPointF(360, 230),
                       Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.gl, move)
    view.gl.repaint()
    out["lod_while_moving"] = view.gl.drew_lod
    out["yaw_changed"] = view.gl.camera.yaw != yaw_before
    QTest.mouseRelease(view.gl, Qt.MouseButton.LeftButton, pos=QPoint(360, 230))
    wait(app, lambda: not view.gl.moving, 15)  # a loaded machine draws slowly
    view.gl.repaint()
    out["full_when_still"] = not view.gl.drew_lod
    out["draw_ms_full"] = view.gl.last_draw_ms
    view.shutdown()
    view.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()

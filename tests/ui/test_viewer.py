"""The 3D view's math and its offscreen fallback (no OpenGL on the offscreen platform)."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtGui import QVector3D

from tests.ui.meshgen import sphere_triangles
from wyntek_desktop.design.tasks import stride_thin
from wyntek_desktop.ui.camera import Camera
from wyntek_desktop.ui.viewer import MeshView, bbox_lines, gl_available


def test_camera_standard_views_look_along_axes() -> None:
    cam = Camera()
    cam.set_view("front")
    assert cam.eye_direction().toTuple() == (0.0, -1.0, 0.0)
    cam.set_view("top")
    d = cam.eye_direction()
    assert abs(d.z() - 1) < 1e-9 and abs(cam.up().y() - 1) < 1e-9
    cam.set_view("right")
    assert abs(cam.eye_direction().x() - 1) < 1e-9


def test_camera_fit_contains_the_box_and_zoom_pan_move() -> None:
    cam = Camera()
    cam.fit((0, 0, 0), (200, 100, 10))
    assert cam.target == QVector3D(100, 50, 5)
    radius = 0.5 * math.dist((0, 0, 0), (200, 100, 10))
    assert cam.distance * math.sin(math.radians(17.5)) >= radius
    d0 = cam.distance
    cam.zoom(2)
    assert cam.distance < d0
    t0 = QVector3D(cam.target)
    cam.pan(10, 0, 500)
    assert cam.target != t0
    cam.orbit(0, 1000)
    assert cam.pitch == 90.0


def test_bbox_lines_and_decimation() -> None:
    lines = bbox_lines(np.array([0, 0, 0.0]), np.array([1, 2, 3.0]))
    assert lines.shape == (30, 3) and lines.dtype == np.float32
    tris = sphere_triangles(450_000)
    lod = stride_thin(tris, 200_000)
    assert 100_000 < len(lod) <= 200_000 and lod.flags.c_contiguous


def test_offscreen_falls_back_to_a_thumbnail_with_a_note(qtbot) -> None:
    assert gl_available() is False
    view = MeshView()
    qtbot.addWidget(view)
    assert view.wants_thumbnail
    assert "unavailable" in view.note.text()
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage
    img = QImage(64, 64, QImage.Format.Format_RGB32)
    img.fill(0x336699)
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    view.set_thumbnail(bytes(data))
    assert not view.thumb.pixmap().isNull()
    view.shutdown()


def test_a_moving_copy_once_drawn_over_budget_gives_way_to_a_lighter_one(qtbot) -> None:
    """The time per triangle of whole frames misjudges a copy's first draws (a 180 k copy
    took 45 ms where 25 were predicted): what a copy's own draws took decides."""
    from types import SimpleNamespace

    from wyntek_desktop.ui.viewer import MOVING_BUDGET_MS, GLMeshView

    view = GLMeshView()
    qtbot.addWidget(view)
    view._ms_per_triangle = 1e-5   # predicts 7 ms for the finest copy
    view._frame_ms = 5.0
    finest = SimpleNamespace(count=3 * 689_000, draw_ms=None)
    middle = SimpleNamespace(count=3 * 180_000, draw_ms=None)
    lightest = SimpleNamespace(count=3 * 49_000, draw_ms=None)
    copies = [finest, middle, lightest]
    assert view._moving_copy(copies) is finest  # type: ignore[arg-type]
    finest.draw_ms = 2.0 * MOVING_BUDGET_MS
    assert view._moving_copy(copies) is middle  # type: ignore[arg-type]
    middle.draw_ms = MOVING_BUDGET_MS - 4.0
    assert view._moving_copy(copies) is lightest  # type: ignore[arg-type]
    lightest.draw_ms = 2.0 * MOVING_BUDGET_MS
    assert view._moving_copy(copies) is lightest  # type: ignore[arg-type]

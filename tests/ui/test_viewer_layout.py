"""The 3D view's words and layout without OpenGL: dimension labels that never overlap,
a fit that holds in a narrow view, wrapped messages, honest detail text, and decimated
copies that are surfaces (not scattered faces)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtGui import QFontMetrics, QVector3D

from tests.design.meshes import cube
from tests.ui.meshgen import sphere_triangles, write_binary_stl
from wyntek_desktop.design import tasks
from wyntek_desktop.design.measure import measure
from wyntek_desktop.ui.camera import STANDARD_VIEWS, Camera
from wyntek_desktop.ui.viewer import GLMeshView, MeshView


@pytest.mark.parametrize("view_name", sorted(STANDARD_VIEWS))
def test_dimension_labels_never_overlap(qtbot: Any, view_name: str) -> None:
    view = GLMeshView()
    qtbot.addWidget(view)
    view.resize(420, 300)
    view.set_mesh(cube(27.5))
    view.set_view(view_name)
    mvp = view.camera.projection(view.width() / view.height()) * view.camera.view()
    labels = view.dimension_labels(mvp, QFontMetrics(view.font()))
    rects = [r for r, _ in labels]
    for i, a in enumerate(rects):
        assert view.rect().contains(a.toRect()), (view_name, labels)
        for b in rects[i + 1:]:
            assert not a.intersects(b), (view_name, labels)
    assert len(labels) >= 2, labels
    if view_name == "iso":
        assert [t for _, t in labels] == ["X 27.50", "Y 27.50", "Z 27.50"]


@pytest.mark.parametrize("aspect", [0.25, 0.6, 1.0, 2.5])
def test_fit_keeps_the_whole_part_in_a_narrow_view(aspect: float) -> None:
    cam = Camera()
    lo, hi = (0.0, 0.0, 0.0), (200.0, 100.0, 50.0)
    for name in STANDARD_VIEWS:
        cam.set_view(name)
        cam.fit(lo, hi, aspect)
        mvp = cam.projection(aspect) * cam.view()
        for corner in ((x, y, z) for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                       for z in (lo[2], hi[2])):
            p = mvp.map(QVector3D(*corner))
            assert abs(p.x()) <= 1 and abs(p.y()) <= 1, (name, aspect, corner)


def test_a_long_message_wraps_instead_of_running_off_the_view(qtbot: Any) -> None:
    view = MeshView(use_gl=False)
    qtbot.addWidget(view)
    view.resize(260, 300)
    view.show()
    text = ("box_sides.STEP could not be shown: the STEP reader stopped with an error "
            "while tessellating face 118 of the assembly's third part.")
    view.show_message(text)
    assert view.message_text() == text
    assert view.message.wordWrap()
    line = view.message.fontMetrics().height()
    assert view.message.heightForWidth(260) > 2 * line


def test_the_detail_line_says_moving_only_while_moving(qtbot: Any) -> None:
    view = GLMeshView()
    qtbot.addWidget(view)
    view.set_mesh(cube(10), total=6_000_000, stand_in=True)
    view.drew_lod, view.moving = False, False
    assert view.detail_text() == ("6,000,000 triangles (quick preview; preparing the "
                                  "detailed view…)")
    view.drew_lod, view.moving = True, True
    assert view.detail_text() == "6,000,000 triangles (simplified while moving)"
    view.drew_lod, view.moving = True, False
    assert "while moving" not in view.detail_text()


def _boundary_share(tris: np.ndarray) -> float:
    m = measure(np.ascontiguousarray(tris, dtype=np.float32))
    return m.boundary_edges / (1.5 * len(tris))


def test_decimated_copies_are_surfaces_not_scattered_faces() -> None:
    sphere = sphere_triangles(240_000)
    out = tasks.lod(None, sphere, 60_000)
    assert 0 < len(out) <= 60_000 * tasks.LOD_SLACK
    assert _boundary_share(out) < 0.05, "the copy is a surface with few open edges"
    assert _boundary_share(tasks.stride_thin(sphere, 60_000)) > 0.5  # what dots look like


def test_a_mesh_too_big_to_draw_when_still_gets_a_stand_in_and_decimated_copies(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tasks, "STILL_TRIANGLES", 150_000)
    monkeypatch.setattr(tasks, "VIEW_TRIANGLES", 40_000)
    stl = write_binary_stl(tmp_path / "big.stl", sphere_triangles(240_000))
    preview = tasks.load_preview(None, stl, None, True)
    assert preview.stand_in and preview.total >= 230_000 and preview.lod_wanted
    assert len(preview.triangles) <= tasks.FIRST_FRAME_TRIANGLES
    assert preview.normals is not None and preview.normals.shape == (len(preview.triangles), 3, 4)
    meshes = tasks.view_meshes(None, stl, None)
    assert meshes.still is not None
    assert len(meshes.still) <= 150_000 * tasks.LOD_SLACK
    assert len(meshes.moving) <= 40_000 * tasks.LOD_SLACK
    assert _boundary_share(meshes.still) < 0.05 and _boundary_share(meshes.moving) < 0.05
    assert meshes.still_normals is not None and len(meshes.still_normals) == len(meshes.still)


def test_face_normals_are_unit_and_survive_sliver_faces() -> None:
    sliver = np.array([[[0, 0, 0], [100, 0, 0], [50, 1e-4, 0]]], dtype=np.float32)
    flat = np.array([[[0, 0, 0], [0, 0, 0], [0, 0, 0]]], dtype=np.float32)
    n = tasks.flat_normals(np.concatenate([cube(10), sliver, flat]))
    lengths = np.linalg.norm(n[:12, 0, :3].astype(float), axis=1)
    assert np.allclose(lengths, 127, atol=1.5)
    assert tuple(n[12, 0, :3]) == (0, 0, 127)      # the sliver still faces +Z
    assert tuple(n[13, 0, :3]) == (0, 0, 0)        # no area: no direction, not NaN
    assert math.isclose(float(np.abs(n[:, :, 3]).sum()), 0.0)

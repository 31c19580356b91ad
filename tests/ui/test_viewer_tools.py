"""The inspection tools without OpenGL: where the problems are, picking, the colours
carried to a decimated copy, the report's links, and the tool bar in step with keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtTest import QTest

from tests.design.meshes import cube, write_binary_stl
from wyntek_desktop.design import inspect_tasks
from wyntek_desktop.design.problems import find_problems
from wyntek_desktop.design.report import DesignReport
from wyntek_desktop.ui.report_panel import ReportPanel, report_html
from wyntek_desktop.ui.viewer import GLMeshView
from wyntek_desktop.ui.viewer_tools import ViewerTools


def test_each_kind_of_problem_is_found_where_it_is() -> None:
    c = cube(10)
    assert find_problems(c).empty
    holed = find_problems(c[:-1])
    assert holed.counts["open"] == 3 and len(holed.open_edges) == 3
    flipped = c.copy()
    flipped[5] = flipped[5][::-1]
    one = find_problems(flipped)
    assert one.counts["inverted"] == 1
    assert np.array_equal(one.inverted_faces[0], flipped[5])
    assert find_problems(c[:, ::-1]).counts["inverted"] == 12  # inside out
    two = np.concatenate([c, cube(10, (10, 0, 0))])  # the shared face's edges: 4 faces
    assert find_problems(two).counts["non_manifold"] == 4
    sliver = np.array([[[0, 0, 0], [1, 1, 1], [1, 1, 1]]], dtype=np.float32)
    marked = find_problems(np.concatenate([c, sliver]))
    assert marked.counts["degenerate"] == 1 and len(marked.degenerate_marks) == 6
    assert marked.boxes["degenerate"] == ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))


def test_a_cavity_is_not_called_inside_out() -> None:
    hollow = np.concatenate([cube(20), cube(18, (1, 1, 1))[:, ::-1]])
    assert find_problems(hollow).empty


def test_picking_hits_the_near_face_and_snaps_to_a_close_corner() -> None:
    c = cube(10)
    hit = inspect_tasks.ray_pick(c, (3.0, -50.0, 4.0), (0.0, 1.0, 0.0))
    assert hit == pytest.approx((3.0, 0.0, 4.0))
    snapped = inspect_tasks.ray_pick(c, (0.2, -50.0, 9.9), (0.0, 1.0, 0.0), snap_mm=0.5)
    assert snapped == (0.0, 0.0, 10.0)
    assert inspect_tasks.ray_pick(c, (30.0, -50.0, 4.0), (0.0, 1.0, 0.0)) is None


def test_thin_spots_survive_on_a_simplified_copy() -> None:
    source = cube(10)
    values = np.full(len(source), 5.0, dtype=np.float32)
    values[0] = 0.3
    carried = inspect_tasks.transfer(values, source, source)
    assert carried.min() == pytest.approx(0.3)
    rgb = inspect_tasks.thickness_rgb(np.array([0.2, 0.8, 5.0, np.inf], np.float32), 0.8)
    assert tuple(rgb[0]) == inspect_tasks.THIN_RGB
    assert tuple(rgb[1]) == inspect_tasks.NEAR_RGB  # at the minimum: it meets it
    assert tuple(rgb[2]) == inspect_tasks.OK_RGB
    assert tuple(rgb[3]) == inspect_tasks.UNMEASURED_RGB


def test_the_check_brings_the_problems_with_the_report(tmp_path: Path) -> None:
    path = write_binary_stl(tmp_path / "holed.stl", cube(10)[:-1])
    checked = inspect_tasks.check(None, path)
    assert checked.report.blocking and checked.problems is not None
    assert checked.problems.counts["open"] == 3
    closed = inspect_tasks.check(None, write_binary_stl(tmp_path / "ok.stl", cube(10)))
    assert closed.problems is None and closed.report.mesh is not None


def test_findings_with_a_place_are_links_and_the_old_estimate_is_labelled(
        tmp_path: Path, qtbot: Any) -> None:
    material = type("M", (), {"id": "sls", "name": "PA12", "process": "sls",
                              "build_volume_mm": (300, 300, 300), "min_wall_mm": 2.0})()
    path = write_binary_stl(tmp_path / "thin.stl", cube(1.5)[:-1])
    report: DesignReport = inspect_tasks.check(None, path, material).report
    html = report_html(report, "thin.stl", linked=True)
    assert "finding:not_watertight" in html and "finding:thin_walls" in html
    assert "2·V/A" in html
    panel = ReportPanel()
    qtbot.addWidget(panel)
    panel.linked = True
    seen: list[str] = []
    panel.finding_activated.connect(seen.append)
    panel.show_report(report, "thin.stl")
    view = inspect_tasks.thickness(None, path, None, 2.0)
    panel.set_thickness(report, view)
    assert "Wall thickness" in panel.text() and "under the 2 mm minimum" in panel.text()
    panel.browser.anchorClicked.emit(QUrl("finding:not_watertight"))
    panel.browser.anchorClicked.emit(QUrl("https://example.invalid/"))  # not a finding
    assert seen == ["not_watertight"]


def test_the_tool_bar_follows_the_keys(qtbot: Any) -> None:
    view = GLMeshView()
    qtbot.addWidget(view)
    tools = ViewerTools(view)
    qtbot.addWidget(tools)
    view.set_mesh(cube(10))
    QTest.keyClick(view, Qt.Key.Key_W)
    assert view.show_edges and tools.buttons["edges"].isChecked()
    QTest.keyClick(view, Qt.Key.Key_X)
    QTest.keyClick(view, Qt.Key.Key_BracketRight)
    assert view.section_axis == "x" and tools.axis.currentData() == "x"
    assert tools.slider.value() == 55
    assert view.section_plane() == ((1.0, 0.0, 0.0), pytest.approx(5.5))
    tools.buttons["plate"].click()
    assert view.show_plate is False
    tools.axis.setCurrentIndex(3)
    assert view.section_axis == "z"
    view.add_measure_point((0, 0, 0))
    view.add_measure_point((3, 4, 0))
    assert view.measured_distance() == 5.0 and tools.distance.text() == "5.000 mm"


def test_every_tool_key_is_on_the_shortcuts_sheet(qtbot: Any) -> None:
    from PySide6.QtGui import QKeySequence

    from wyntek_desktop.ui.dialogs.shortcuts import ShortcutsDialog
    from wyntek_desktop.ui.viewer import TOOL_KEYS

    dialog = ShortcutsDialog([])
    qtbot.addWidget(dialog)
    listed = " ".join(keys for where, keys, _ in dialog.rows() if where == "Prepare: 3D view")
    for key in [*TOOL_KEYS, Qt.Key.Key_X, Qt.Key.Key_Escape]:
        name = QKeySequence(key).toString()
        assert name in listed, (name, listed)

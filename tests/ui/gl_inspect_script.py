"""The Prepare page's inspection tools with real OpenGL (run on an X display by
``test_viewer_inspect.py``): a part with a known hole is opened in the real window;
the script looks at the overlay, clicks the finding, measures, cuts a section and
shows the thickness map. Prints one JSON line of observations."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCursor, QVector3D
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.design.meshes import cube, write_binary_stl
from wyntek_desktop.core.appdirs import AppDirs
from wyntek_desktop.core.settings import Settings
from wyntek_desktop.ui.app import DesktopApp
from wyntek_desktop.ui.viewer import request_gl_format

SIZE = 20.0
HOLE = 6  # the first triangle of the back face (y = 20): corners (20,20,0) (0,20,0) (0,20,20)
BACKGROUND = (41, 43, 48)


def holed_cube() -> np.ndarray:
    tris = cube(SIZE)
    return np.delete(tris, HOLE, axis=0)


def anchor_rect(browser: Any, href: str) -> Any:
    """Where the link ``href`` is drawn in the report (viewport coordinates)."""
    doc = browser.document()
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().anchorHref() == href:
                cursor = QTextCursor(doc)
                cursor.setPosition(fragment.position() + 1)
                return browser.cursorRect(cursor)
            it += 1
        block = block.next()
    return None


def pixel(gl: Any, x: float, y: float) -> tuple[int, int, int]:
    img = gl.grabFramebuffer()
    scale = img.width() / max(gl.width(), 1)
    c = img.pixelColor(int(x * scale), int(y * scale))
    return c.red(), c.green(), c.blue()


def is_background(rgb: tuple[int, int, int]) -> bool:
    return sum(abs(a - b) for a, b in zip(rgb, BACKGROUND, strict=True)) < 12


def project(gl: Any, p: tuple[float, float, float]) -> QPoint:
    mvp = gl.camera.projection(gl.width() / gl.height()) * gl.camera.view()
    v = mvp.map(QVector3D(*p))
    return QPoint(round((v.x() + 1) / 2 * gl.width()), round((1 - v.y()) / 2 * gl.height()))


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    stl = write_binary_stl(folder / "holed.stl", holed_cube())
    request_gl_format()
    qapp = QApplication([])
    app = DesktopApp(qapp, dirs=AppDirs.default(), settings=Settings())
    app.start()
    window = app.window
    window.resize(1200, 760)
    window.show()

    def pump_until(cond: Any, timeout: float = 60.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            qapp.processEvents()
            if cond():
                return True
            time.sleep(0.005)
        return False

    pump_until(lambda: app.booted)
    page = window.prepare
    gl = page.view.gl
    out: dict[str, Any] = {"gl": gl is not None}
    reported: list[float] = []
    drawn: list[float] = []
    page.report.browser.textChanged.connect(
        lambda: reported.append(time.perf_counter())
        if page.files and page.files[0].report is not None and not reported else None)
    gl.frame_drawn.connect(
        lambda ms: drawn.append(time.perf_counter())
        if gl.problem_counts and gl._problem_data is None and not drawn else None)
    page.open_paths([str(stl)])
    pump_until(lambda: page.files and page.files[0].report is not None, 120)
    out["report"] = page.files[0].report is not None
    pump_until(lambda: bool(drawn), 10)
    # from the report on screen to the first frame with the problems drawn
    out["overlay_after_report_s"] = (drawn[0] - reported[0]) if reported and drawn else None
    out["counts"] = gl.problem_counts
    state = page.inspector.files[stl]
    segments = state.problems.open_edges
    edges = {tuple(sorted((tuple(map(float, a)), tuple(map(float, b))))) for a, b in segments}
    hole = cube(SIZE)[HOLE]
    expected = {tuple(sorted((tuple(map(float, hole[i])), tuple(map(float, hole[(i + 1) % 3])))))
                for i in range(3)}
    out["open_edges_are_the_hole"] = edges == expected
    out["legend"] = [text for _, text in gl.legend_rows()]

    # looking at the back, the hole's rim is drawn red
    gl.set_view("back")
    gl.repaint()
    mid = project(gl, tuple((hole[0] + hole[1]) / 2))
    rgb = max((pixel(gl, mid.x() + dx, mid.y() + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)),
              key=lambda c: c[0] - c[2])
    out["rim_pixel"] = rgb
    out["rim_is_red"] = rgb[0] > 180 and rgb[1] < 120 and rgb[2] < 120

    # clicking the finding frames the hole
    gl.set_view("iso")
    browser = page.report.browser
    rect = anchor_rect(browser, "finding:not_watertight")
    out["finding_is_a_link"] = rect is not None
    if rect is not None:
        QTest.mouseClick(browser.viewport(), Qt.MouseButton.LeftButton,
                         pos=rect.center())
    pump_until(lambda: not gl.framing, 5)
    qapp.processEvents()
    centre = np.array([gl.camera.target.x(), gl.camera.target.y(), gl.camera.target.z()])
    hole_centre = (hole.min(axis=0) + hole.max(axis=0)) / 2
    out["framed_target"] = centre.tolist()
    out["framed_on_hole"] = bool(np.allclose(centre, hole_centre, atol=1e-3))
    # and by keyboard: Tab to the link, Return
    gl.fit()
    browser.setFocus()
    QTest.keyClick(browser, Qt.Key.Key_Tab)
    QTest.keyClick(browser, Qt.Key.Key_Return)
    pump_until(lambda: not gl.framing, 5)
    key_centre = np.array([gl.camera.target.x(), gl.camera.target.y(), gl.camera.target.z()])
    out["keyboard_framed_on_hole"] = bool(np.allclose(key_centre, hole_centre, atol=1e-3))

    # measure between two corners of the front face, clicked on screen
    gl.setFocus()
    gl.set_view("front")
    QTest.keyClick(gl, Qt.Key.Key_M)
    out["measuring"] = gl.measuring
    a, b = (0.0, 0.0, SIZE), (SIZE, 0.0, 0.0)
    for corner in (a, b):
        point = project(gl, corner)
        inward = QPoint(3 if corner[0] == 0 else -3, 3 if corner[2] == SIZE else -3)
        before = len(gl.measure_points)
        QTest.mouseClick(gl, Qt.MouseButton.LeftButton, pos=point + inward)
        pump_until(lambda before=before: len(gl.measure_points) > before, 30)
    out["measure_points"] = gl.measure_points
    out["distance"] = gl.measured_distance()
    out["tool_bar_distance"] = page.view.tools.distance.text()
    QTest.keyClick(gl, Qt.Key.Key_Escape)
    out["measuring_after_esc"] = gl.measuring

    # section across X at the middle: the right half (x > 10) is cut away
    QTest.keyClick(gl, Qt.Key.Key_X)
    out["section_axis"] = gl.section_axis
    gl.repaint()
    left, right = project(gl, (SIZE * 0.25, 0, SIZE / 2)), project(gl, (SIZE * 0.75, 0, SIZE / 2))
    out["section_left"] = pixel(gl, left.x(), left.y())
    out["section_right"] = pixel(gl, right.x(), right.y())
    out["left_kept"] = not is_background(out["section_left"])
    out["right_cut"] = is_background(out["section_right"])
    QTest.keyClick(gl, Qt.Key.Key_X)
    QTest.keyClick(gl, Qt.Key.Key_X)
    QTest.keyClick(gl, Qt.Key.Key_X)
    out["section_off"] = gl.section_axis is None
    gl.repaint()
    out["right_back"] = not is_background(pixel(gl, right.x(), right.y()))

    # the thickness map: the walls of this (open) cube are 20 mm across
    out["thickness_arrived"] = pump_until(lambda: gl.has_thickness, 60)
    plain = pixel(gl, left.x(), left.y())
    QTest.keyClick(gl, Qt.Key.Key_T)
    gl.repaint()
    out["thickness_on"] = gl.show_thickness
    out["thickness_pixel"] = pixel(gl, left.x(), left.y())
    out["thickness_changes_colour"] = out["thickness_pixel"] != plain
    out["thickness_text"] = "Wall thickness" in page.report.text()
    QTest.keyClick(gl, Qt.Key.Key_W)
    out["edges_on"] = gl.show_edges and page.view.tools.buttons["edges"].isChecked()
    window.close()
    app.shutdown()
    print(json.dumps(out))


if __name__ == "__main__":
    main()

"""Screenshots of the 3D view's inspection tools from the real window (run under Xvfb):

    xvfb-run -a -s "-screen 0 1280x800x24" \
        .venv/bin/python -m tests.ui.capture_inspect_screens docs/screenshots

Starts the app with ``--local`` (demo service, demo account, the real materials
catalogue) in throw-away app folders, chooses PLA (FDM: 0.8 mm minimum wall, the
Prusa MK4's 250 x 210 mm plate) and captures: the problems of the open teapot sample,
the wall-thickness map of a part with ribs 0.4 to 3 mm thick, a measurement on it, and
a section through the threaded shell sample (and the edges of the ribbed part).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QVector3D

from tests.design.meshes import box, write_binary_stl
from tests.support.samples import SAMPLES

RIBS_MM = (0.4, 0.8, 1.2, 3.0)


def ribbed_part(folder: Path) -> Path:
    """A 3 mm base plate with four ribs of the given widths standing on it."""
    shells = [box((60.0, 30.0, 3.0))]
    x = 6.0
    for width in RIBS_MM:
        rib = box((width, 24.0, 14.0)) + np.float32([x, 3.0, 3.0])
        shells.append(rib)
        x += width + 11.0
    return write_binary_stl(folder / "ribs.stl", np.concatenate(shells))


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="wyntek-inspect-screens-"))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        os.environ[var] = str(home / var.lower())
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from wyntek_desktop.core.appdirs import AppDirs
    from wyntek_desktop.ui.app import DesktopApp
    from wyntek_desktop.ui.viewer import request_gl_format

    request_gl_format()
    qapp = QApplication(["wyntek-desktop"])
    app = DesktopApp(qapp, dirs=AppDirs.default(), local=True)
    w = app.window
    page = w.prepare

    def pump(seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            qapp.processEvents()
            time.sleep(0.01)

    def wait(cond: Callable[[], bool], timeout: float = 180, what: str = "") -> None:
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise SystemExit(f"timed out waiting for {what}")
            pump(0.05)

    def shot(name: str) -> None:
        pump(0.8)
        geo = w.frameGeometry()
        subprocess.run(["import", "-window", "root", "-crop",
                        f"{geo.width()}x{geo.height()}+{geo.x()}+{geo.y()}",
                        str(out / f"{name}.png")], check=True)
        print("saved", out / f"{name}.png")

    def show(path: Path) -> None:
        page.clear_files()  # one part at a time: the estimate stays short
        page.open_paths([str(path)])
        wait(lambda: page._shown_path == path and gl.full_uploaded, what=path.name)
        wait(lambda: any(f.path == path and f.report is not None for f in page.files),
             what=f"the report of {path.name}")

    w.move(0, 0)
    w.resize(1280, 780)
    app.start()
    wait(lambda: app.booted and app.services.signed_in, what="the local demo service")
    wait(lambda: page.spec.process.count() > 0, what="the materials catalogue")
    page.spec.select_material("fdm-pla")
    page.splitter.setSizes([200, 800, 280])
    gl = page.view.gl
    assert gl is not None, "the screenshots need OpenGL (run under Xvfb)"

    # the open teapot: its holes' rims in red, the finding framed
    teapot = SAMPLES / "teapot.stl"
    show(teapot)
    wait(lambda: bool(gl.problem_counts), what="the teapot's problems")
    gl.set_view("iso")
    page.inspector.frame_finding("not_watertight")
    wait(lambda: not gl.framing, what="framing")
    shot("view-problems")

    # wall thickness against PLA's 0.8 mm minimum
    ribs = ribbed_part(home)
    show(ribs)
    wait(lambda: gl.has_thickness, what="the thickness map")
    gl.set_view("iso")
    gl.setFocus()
    QTest.keyClick(gl, Qt.Key.Key_T)
    wait(lambda: "Press T" in page.report.text(), what="the measured walls in the report")
    pump(1.0)
    bar = page.report.browser.verticalScrollBar()
    bar.setValue(bar.maximum())  # the measured wall thickness is at the end of the report
    shot("view-thickness")

    # measure between the thinnest and the thickest rib's top corners
    QTest.keyClick(gl, Qt.Key.Key_T)
    QTest.keyClick(gl, Qt.Key.Key_M)
    mvp = gl.camera.projection(gl.width() / gl.height()) * gl.camera.view()

    def screen(p: tuple[float, float, float]) -> QPoint:
        v = mvp.map(QVector3D(*p))
        return QPoint(round((v.x() + 1) / 2 * gl.width()), round((1 - v.y()) / 2 * gl.height()))

    # from the plate's front corner to the thickest rib's top corner: each click lands
    # half a millimetre inside a face and snaps to the corner
    last_x = 6.0 + sum(RIBS_MM[:-1]) + 11.0 * 3
    for inside in ((0.5, 0.5, 3.0), (last_x + RIBS_MM[-1] - 0.5, 3.5, 17.0)):
        before = len(gl.measure_points)
        QTest.mouseClick(gl, Qt.MouseButton.LeftButton, pos=screen(inside))
        wait(lambda before=before: len(gl.measure_points) > before, what="a picked point")
    shot("view-measure")
    QTest.keyClick(gl, Qt.Key.Key_Escape)
    QTest.keyClick(gl, Qt.Key.Key_W)
    shot("view-edges")
    QTest.keyClick(gl, Qt.Key.Key_W)

    # a section through the threaded shell
    shell = SAMPLES / "shell.prusa-slicer-project.3mf"
    show(shell)
    gl.set_view("iso")
    gl.setFocus()
    gl.set_section("y", 0.5)  # the half towards +Y is cut away: look from there
    gl.set_tool("plate", False)
    gl.camera.yaw, gl.camera.pitch = 160.0, 18.0
    gl.fit()
    shot("view-section")
    w.close()
    app.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())

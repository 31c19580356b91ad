"""The Prepare page with real OpenGL: open a big STL, first frame, LOD, full mesh."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from tests.ui.meshgen import sphere_triangles, write_binary_stl
from wyntek_desktop.core.appdirs import AppDirs
from wyntek_desktop.core.settings import Settings
from wyntek_desktop.ui.app import DesktopApp
from wyntek_desktop.ui.viewer import request_gl_format


def main() -> None:
    n = int(sys.argv[1])
    stl = write_binary_stl(Path(tempfile.mkdtemp()) / "part.stl", sphere_triangles(n))
    request_gl_format()
    qapp = QApplication([])
    app = DesktopApp(qapp, dirs=AppDirs.default(), settings=Settings())
    app.start()

    def pump_until(cond, timeout=60.0) -> bool:  # type: ignore[no-untyped-def]
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            qapp.processEvents()
            if cond():
                return True
            time.sleep(0.002)
        return False

    pump_until(lambda: app.booted)
    gl = app.window.prepare.view.gl
    frames: list[float] = []
    lod_first: list[bool] = []
    gl.first_frame.connect(lambda ms: (frames.append(time.perf_counter()),
                                       lod_first.append(gl.drew_lod)))
    t0 = time.perf_counter()
    app.window.prepare.open_paths([str(stl)])
    out: dict[str, object] = {"gl": gl is not None}
    out["first_frame"] = pump_until(lambda: bool(frames))
    out["first_frame_s"] = frames[0] - t0 if frames else None
    out["first_frame_was_lod"] = lod_first[0] if lod_first else None
    out["full_uploaded"] = pump_until(lambda: gl.full_uploaded, 30)
    gl.repaint()
    out["still_draws_full"] = not gl.drew_lod
    out["report"] = pump_until(lambda: app.window.prepare.files[0].report is not None, 240)
    out["triangles_in_report"] = app.window.prepare.files[0].report.mesh.triangles
    from wyntek_desktop.design.tasks import STILL_TRIANGLES
    if n > STILL_TRIANGLES:  # the decimated still copy follows the report
        out["still_decimated"] = pump_until(lambda: gl.still_kind == "decimated", 240)
        gl.repaint()
        out["still_draws_full"] = not gl.drew_lod
    out["still_kind"] = gl.still_kind
    out["uploaded"] = gl.uploaded_triangles
    out["detail"] = gl.detail_text()
    out["banner"] = app.window.prepare.banner.text()
    app.window.close()
    app.shutdown()
    print(json.dumps(out))


if __name__ == "__main__":
    main()

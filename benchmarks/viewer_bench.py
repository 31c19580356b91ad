"""3D view benchmark: orbiting a 20 M-triangle part in the real window (Xvfb + Mesa).

    .venv/bin/python benchmarks/viewer_bench.py [--triangles 20M] [--seconds 4]

Opens the part in the Prepare page of the real app (the helper process makes the
decimated still and moving copies, as for a user), then orbits it with synthetic left
drags: a mouse move is posted every 16 ms, as a hand on a mouse does. Measured:

- GUI-thread stalls: a 10 ms heartbeat timer's late ticks (``tests/ui/heartbeat.py``);
  also without the time the GUI thread waited for a CPU other processes held;
- input latency: from a posted mouse move to the end of the first frame drawn after it;
- the draw time of the frames (moving copy) and what the view says it draws.

The baseline, in the same run and the same window: the same orbit of an 82 k-triangle
part (drawn whole). Starts its own Xvfb when DISPLAY is not set. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO / "benchmarks" / ".data"
SPHERE = 1_310_720  # triangles of an icosphere of level 8


def _count(text: str) -> int:
    text = text.strip().upper()
    factor = {"K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KM")) * factor)


def make_part(triangles: int) -> Path:
    """A binary STL of icospheres side by side (closed, no faces without area: a clean
    part, as in ``design_bench.py``), cached in benchmarks/.data/."""
    import numpy as np
    import trimesh

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"viewer_icospheres_{triangles}.stl"
    if path.exists():
        return path
    level = 8 if triangles >= SPHERE else max(1, int(np.log(triangles / 20) / np.log(4)))
    sphere = np.asarray(trimesh.creation.icosphere(subdivisions=level, radius=20.0).triangles,
                        dtype=np.float32)
    count = max(1, round(triangles / len(sphere)))
    part = path.with_suffix(".part")
    with part.open("wb") as f:
        f.write(b"viewer_bench".ljust(80, b" "))
        f.write(np.uint32(count * len(sphere)).tobytes())
        record = np.zeros(len(sphere), dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)),
                                              ("a", "<u2")])
        for i in range(count):
            record["v"] = sphere + np.float32([45.0 * (i % 4), 45.0 * (i // 4), 0.0])
            f.write(record.tobytes())
    part.replace(path)
    return path


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def orbit(qapp: Any, gl: Any, seconds: float) -> dict[str, Any]:
    """Drag to orbit for ``seconds``: stalls, latency and draw times."""
    from PySide6.QtCore import QPointF, Qt, QTimer
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from tests.ui.heartbeat import Heartbeat

    posted: list[float] = []
    frames: list[tuple[float, float, bool]] = []  # end time, draw ms, drew the moving copy
    drawn: list[int] = []
    uploads: list[float] = []
    gl.frame_drawn.connect(lambda ms: (frames.append((time.perf_counter(), ms, gl.drew_lod)),
                                       drawn.append(gl.drawn_triangles),
                                       uploads.append(gl.last_upload_ms)))
    centre = QPointF(gl.width() / 2, gl.height() / 2)

    def event(kind: Any, pos: QPointF, buttons: Any) -> QMouseEvent:
        return QMouseEvent(kind, pos, gl.mapToGlobal(pos), Qt.MouseButton.LeftButton,
                           buttons, Qt.KeyboardModifier.NoModifier)

    QApplication.postEvent(gl, event(QMouseEvent.Type.MouseButtonPress, centre,
                                     Qt.MouseButton.LeftButton))
    step = [0]

    def move() -> None:
        step[0] += 1
        x = centre.x() + 120 * __import__("math").sin(step[0] / 15)
        posted.append(time.perf_counter())
        QApplication.postEvent(gl, event(QMouseEvent.Type.MouseMove,
                                         QPointF(x, centre.y() + (step[0] % 7)),
                                         Qt.MouseButton.LeftButton))

    timer = QTimer()
    timer.setInterval(16)
    timer.timeout.connect(move)
    beat = Heartbeat()
    beat.start()
    timer.start()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        qapp.processEvents()
        time.sleep(0.001)
    timer.stop()
    beat.stop()  # while orbiting: the still copy drawn after it is not an input stall
    QApplication.postEvent(gl, event(QMouseEvent.Type.MouseButtonRelease, centre,
                                     Qt.MouseButton.NoButton))
    settle = time.monotonic() + 0.5
    while time.monotonic() < settle:
        qapp.processEvents()
        time.sleep(0.001)
    ends = [t for t, _, _ in frames]
    latencies = []
    for t in posted:
        after = next((e for e in ends if e >= t), None)
        if after is not None:
            latencies.append((after - t) * 1000)
    moving = [ms for _, ms, lod in frames if lod]
    start = posted[0] if posted else 0.0
    slow = [(round(t - start, 2), round(ms, 1), round(up, 1), n)
            for (t, ms, _), n, up in zip(frames, drawn, uploads, strict=True) if ms > 40]
    return {"moves_posted": len(posted), "frames": len(frames),
            "frames_with_moving_copy": len(moving),
            "moving_triangles_drawn": sorted(set(drawn)),
            "draw_ms_median": round(statistics.median([ms for _, ms, _ in frames]), 1)
            if frames else None,
            "latency_ms_p50": round(_percentile(latencies, 0.5), 1),
            "latency_ms_p95": round(_percentile(latencies, 0.95), 1),
            "latency_ms_max": round(max(latencies, default=0.0), 1),
            "stall_ms_worst": round(beat.worst_ms, 1),
            "stall_ms_p99": round(beat.percentile(0.99), 1),
            "stall_ms_worst_own": round(beat.worst_own_ms, 1),
            "ticks": len(beat.gaps),
            "slow_frames_s_ms_upload_triangles": slow[:20],
            "late_ticks_s_ms": [(round(t, 2), round(g, 1)) for t, g in beat.late[:20]]}


def run(triangles: int, seconds: float) -> dict[str, Any]:
    from PySide6.QtWidgets import QApplication

    from wyntek_desktop.core.appdirs import AppDirs
    from wyntek_desktop.core.settings import Settings
    from wyntek_desktop.ui.app import DesktopApp
    from wyntek_desktop.ui.viewer import request_gl_format

    small, big = make_part(82_000), make_part(triangles)
    request_gl_format()
    qapp = QApplication(["viewer-bench"])
    app = DesktopApp(qapp, dirs=AppDirs.default(), settings=Settings())
    app.start()
    app.window.resize(1280, 780)
    app.window.show()

    def pump_until(cond: Any, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            qapp.processEvents()
            if cond():
                return True
            time.sleep(0.005)
        return False

    pump_until(lambda: app.booted, 120)
    page = app.window.prepare
    gl = page.view.gl
    out: dict[str, Any] = {"gl": gl is not None, "view_size": [gl.width(), gl.height()]}
    results = {}
    for name, path in (("baseline_82k", small), ("part", big)):
        started = time.perf_counter()
        page.open_paths([str(path)])
        pump_until(lambda p=path: page._shown_path == p and gl.full_uploaded, 600)
        pump_until(lambda p=path: any(f.path == p and f.report is not None
                                      for f in page.files), 1800)
        ready = pump_until(lambda: gl.still_kind != "stand-in" and (
            gl.triangle_count <= 200_000 or (gl.has_lod and gl._lod is not None)), 1800)
        if gl.triangle_count > 200_000:  # the moving copy must be on the GPU
            gl.repaint()
        pump_until(lambda: False, 2.0)  # let the helper's work settle
        result = orbit(qapp, gl, seconds)
        result.update(ready=ready, triangles=gl.triangle_count,
                      uploaded=gl.uploaded_triangles, detail=gl.detail_text(),
                      load_s=round(time.perf_counter() - started, 1))
        results[name] = result
        page.clear_files()
        pump_until(lambda: False, 1.0)
    out.update(results)
    base, part = results["baseline_82k"], results["part"]
    out["latency_p95_ratio"] = round(part["latency_ms_p95"] / max(base["latency_ms_p95"], 1e-3),
                                     2)
    out["stall_worst_ratio"] = round(part["stall_ms_worst"] / max(base["stall_ms_worst"], 1e-3),
                                     2)
    out["load_average"] = os.getloadavg()
    app.window.close()
    app.shutdown()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triangles", default="20M")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner or os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
        print(json.dumps(run(_count(args.triangles), args.seconds)))
        return 0
    if shutil.which("Xvfb") is None:
        print("Xvfb is needed (apt-get install xvfb)", file=sys.stderr)
        return 2
    from tests.ui.xvfb import _free_display

    display = f":{_free_display()}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten",
                             "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb")
        return subprocess.call([sys.executable, __file__, "--inner", "--triangles",
                                args.triangles, "--seconds", str(args.seconds)], env=env)
    finally:
        xvfb.terminate()
        xvfb.wait(5)


if __name__ == "__main__":
    raise SystemExit(main())

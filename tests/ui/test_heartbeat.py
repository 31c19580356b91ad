"""The GUI thread keeps ticking while a 1.3 M-triangle STL is checked and a file uploads.

The default run uploads a 16 MB file; ``benchmarks/ui_bench.py`` does the same with
200 MB and reports the numbers.

On a loaded machine every step may take long; the test therefore waits for what each
step leaves behind (the job's id when it is queued, its state in the outbox, the runner's
"submitted" event) with generous limits, never for a state that may come and go between
two looks (the Outbox page's row is there only while the job uploads).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.ui.heartbeat import Heartbeat
from tests.ui.journey_support import start_app, stop_app, wait_reports
from tests.ui.meshgen import sphere_triangles, write_binary_stl
from wyntek_desktop.upload.events import JobStateChanged

pytestmark = pytest.mark.timeout(900)
# The requirement is 50 ms on an idle machine (measured by the benchmark). Tests share
# two cores with other processes: the bound applies to the stalls the app causes itself
# (the heartbeat takes out the time the GUI thread waited for a CPU held by others), and
# still leaves room for the wake-up jitter of a busy scheduler.
STALL_BOUND_MS = float(os.environ.get("WYNTEK_STALL_BOUND_MS", "120"))


@pytest.fixture(scope="module")
def big_stl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "sphere_1m3.stl"
    return write_binary_stl(path, sphere_triangles(1_300_000))


def test_gui_thread_never_stalls_while_checking_and_uploading(qtbot, localstack, big_stl,
                                                              tmp_path: Path) -> None:
    email, password, user_id = localstack.new_user("heartbeat")
    localstack.service_client().rpc("grant_tokens", {"user_id": user_id, "amount": 100_000,
                                                     "reason": "grant"}).execute()
    payload = tmp_path / "measurements.bin"
    payload.write_bytes(os.urandom(16 * 1024 * 1024))
    app = start_app(qtbot, localstack)
    w = app.window
    beat = Heartbeat()
    try:
        app.services.sign_in(email, password, True, on_done=lambda r: None,
                             on_error=lambda e: pytest.fail(str(e)))
        qtbot.waitUntil(lambda: w.prepare.spec.process.count() > 0, timeout=120_000)
        queued: list[str] = []
        w.prepare.job_queued.connect(lambda client_job_id, submit: queued.append(client_job_id))
        submitted: list[str] = []
        app.services.runner_event.connect(
            lambda e: submitted.append(e.client_job_id)
            if isinstance(e, JobStateChanged) and e.state == "submitted" else None)

        beat.start()
        w.prepare.open_paths([str(big_stl)])
        wait_reports(qtbot, app, 1, timeout=300_000)
        load_worst = beat.worst_own_ms
        print("loaded at", round(time.perf_counter() - beat._t0, 2))
        report = w.prepare.files[0].report
        assert report.mesh.triangles == 1_299_600

        w.prepare.clear_files()
        w.prepare.open_paths([str(payload)])
        wait_reports(qtbot, app, 1)
        w.prepare.spec.select_material(app.services.catalogue.materials[0].id)
        qtbot.waitUntil(w.prepare.spec.submit_button.isEnabled, timeout=120_000)
        qtbot.mouseClick(w.prepare.spec.submit_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(queued) == 1, timeout=120_000)  # copied and hashed
        outbox = app.services.outbox
        assert outbox is not None
        qtbot.waitUntil(lambda: submitted == queued, timeout=300_000)  # sent by the runner
        assert outbox.get(queued[0]).state == "submitted"
        qtbot.waitUntil(lambda: w.outbox.model.rowCount() == 0, timeout=30_000)
        beat.stop()
        print(f"\nworst GUI stall: load {load_worst:.1f} ms, overall {beat.worst_ms:.1f} ms "
              f"(p99 {beat.percentile(0.99):.1f} ms, {len(beat.gaps)} ticks); "
              f"caused by the app {beat.worst_own_ms:.1f} ms")
        print("late ticks (s since start, ms):", [(round(t, 2), round(g)) for t, g in beat.late])
        assert len(beat.gaps) > 100
        assert beat.worst_own_ms < STALL_BOUND_MS, (
            f"GUI thread stalled {beat.worst_own_ms:.0f} ms ({beat.worst_ms:.0f} ms with the "
            "time it waited for a CPU)")
    finally:
        beat.stop()
        stop_app(qtbot, app)

"""The window's upload runner comes from the composition root and reports through
``AppContext.upload_events``; its events reach the GUI thread; a new context (settings
changed) brings a new runner over the same outbox only after the old one has stopped."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from tests.ui.journey_support import start_app, stop_app
from wyntek_desktop.context import AppContext
from wyntek_desktop.core.outbox import FileInput
from wyntek_desktop.upload.events import JobStateChanged


def test_runner_events_reach_the_gui_thread_through_the_context(
        qtbot, localstack, tmp_path: Path) -> None:
    app = start_app(qtbot, localstack)
    services = app.services
    try:
        qtbot.waitUntil(lambda: services.runner is not None, timeout=10_000)
        ctx, runner, outbox = services.ctx, services.runner, services.outbox
        assert runner.outbox is outbox
        assert services._bridge.emit_event in ctx.upload_events

        part = tmp_path / "part.stl"
        part.write_bytes(b"solid x\nendsolid x\n")
        job = outbox.add_job({"material": "PLA", "quantity": 1}, [FileInput(part, "model")],
                             queue=False)
        seen: list[tuple[object, bool]] = []
        gui = QApplication.instance().thread()  # type: ignore[union-attr]
        services.runner_event.connect(
            lambda e: seen.append((e, QThread.currentThread() == gui)))
        worker = threading.Thread(target=runner.pause, args=(job.client_job_id,))
        worker.start()
        worker.join(10)
        qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
        event, in_gui_thread = seen[0]
        assert isinstance(event, JobStateChanged) and event.client_job_id == job.client_job_id
        assert in_gui_thread

        fresh = AppContext.build(ctx.settings, dirs=ctx.dirs)
        services.set_context(fresh)
        assert services.runner is None  # not before the old one has stopped
        qtbot.waitUntil(lambda: services.runner is not None, timeout=15_000)
        assert services.runner is not runner and services.runner.outbox is outbox
        assert runner._thread is None or not runner._thread.is_alive()
        assert services._bridge.emit_event not in ctx.upload_events
        assert services._bridge.emit_event in fresh.upload_events
        assert ctx.http.is_closed
    finally:
        stop_app(qtbot, app)

"""The Outbox page's state line: what the uploads do, and what waits for the user."""

from __future__ import annotations

from pathlib import Path

from tests.design.meshes import cube, write_binary_stl
from wyntek_desktop.core.outbox import Outbox
from wyntek_desktop.ui.pages.outbox import OutboxPage
from wyntek_desktop.ui.services import Services
from wyntek_desktop.upload.events import IDLE, RUNNER_MESSAGES, RunnerStateChanged


def test_state_line_names_drafts_and_failures_beside_the_runner_state(
        qtbot, tmp_path: Path) -> None:
    part = write_binary_stl(tmp_path / "part.stl", cube())
    outbox = Outbox.open(tmp_path / "outbox.sqlite3")
    services = Services()
    services.outbox = outbox
    page = OutboxPage(services)
    qtbot.addWidget(page)
    try:
        spec = {"material_id": "fdm-pla", "quantity": 1}
        outbox.add_job(spec, [part], queue=False)
        failed = outbox.add_job(spec, [part], queue=False)
        outbox.mark_failed(failed.client_job_id, "The file changed after it was checked.")
        page._on_event(RunnerStateChanged(IDLE, RUNNER_MESSAGES[IDLE]))
        page._got_jobs(outbox.jobs())
        text = page.runner_label.text()
        assert text.startswith("Nothing is waiting to be sent.")
        assert "1 job kept as draft: select and press Send now." in text
        assert "1 job failed: select to see why, then Retry." in text
        outbox.remove(failed.client_job_id)
        page._got_jobs(outbox.jobs())
        assert "failed" not in page.runner_label.text()
    finally:
        page.shutdown()
        services.shutdown()
        outbox.close()

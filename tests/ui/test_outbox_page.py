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
        assert "Nothing is waiting" not in text  # these two wait for the user
        assert "1 job kept as draft: select and press Send now." in text
        assert "1 job failed: select to see why, then Retry." in text
        outbox.remove(failed.client_job_id)
        page._got_jobs(outbox.jobs())
        assert "failed" not in page.runner_label.text()
    finally:
        page.shutdown()
        services.shutdown()
        outbox.close()


def _filled_fraction(fraction: float) -> list[float]:
    """Draw the progress cell at ``fraction``; the share of each pixel row in the
    highlight colour (the bar's fill), at the top, middle and bottom of the bar."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QColor, QImage, QPainter, QPalette
    from PySide6.QtWidgets import QApplication, QStyleOptionViewItem

    from wyntek_desktop.ui.models import OutboxModel, OutboxRow
    from wyntek_desktop.ui.pages.outbox import ProgressDelegate

    model = OutboxModel()
    model.set_records([OutboxRow("job", 0, "part.stl", 1000, "uploading", False, None, 0)])
    model.update_progress("job", 0, round(fraction * 1000), 1000, 1e6, 1.0)
    image = QImage(200, 24, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, 200, 24)
    ProgressDelegate().paint(painter, option, model.index(0, OutboxModel.PROGRESS_COLUMN))
    painter.end()
    highlight = QApplication.palette().color(QPalette.ColorRole.Highlight)

    def filled(c: QColor) -> bool:
        return abs(c.hue() - highlight.hue()) < 20 and c.saturation() > 80
    return [sum(filled(QColor(image.pixel(x, y))) for x in range(200)) / 200
            for y in (6, 12, 18)]


def test_progress_bars_fill_partly_from_the_left(qtbot) -> None:
    for fraction in (0.25, 0.5, 0.75):
        rows = _filled_fraction(fraction)
        assert all(abs(share - fraction) < 0.08 for share in rows), (fraction, rows)


def test_a_paused_upload_is_not_described_as_nothing_waiting(qtbot, tmp_path: Path) -> None:
    part = write_binary_stl(tmp_path / "part.stl", cube())
    outbox = Outbox.open(tmp_path / "outbox.sqlite3")
    services = Services()
    services.outbox = outbox
    page = OutboxPage(services)
    qtbot.addWidget(page)
    try:
        job = outbox.add_job({"material_id": "fdm-pla", "quantity": 1}, [part], queue=True)
        outbox.set_paused(job.client_job_id, True)
        page._on_event(RunnerStateChanged(IDLE, RUNNER_MESSAGES[IDLE]))
        page._got_jobs(outbox.jobs())
        text = page.runner_label.text()
        assert "Nothing is waiting" not in text
        assert text == "1 job paused: select and press Resume."
    finally:
        page.shutdown()
        services.shutdown()
        outbox.close()


def test_a_cancelled_upload_stops_showing_its_speed(qtbot, tmp_path: Path) -> None:
    from wyntek_desktop.ui.models import PROGRESS_ROLE, OutboxModel
    from wyntek_desktop.upload.events import JobStateChanged, UploadProgress

    part = write_binary_stl(tmp_path / "part.stl", cube())
    outbox = Outbox.open(tmp_path / "outbox.sqlite3")
    services = Services()
    services.outbox = outbox
    page = OutboxPage(services)
    qtbot.addWidget(page)
    try:
        job = outbox.add_job({"material_id": "fdm-pla", "quantity": 1}, [part], queue=True)
        cid, size = job.client_job_id, job.files[0].size
        outbox.set_state(cid, "uploading")
        page._got_jobs(outbox.jobs())
        page._on_event(UploadProgress(cid, 0, "part.stl", size // 2, size, size // 2, size,
                                      250_000.0, 3.0))
        speed = page.model.index(0, OutboxModel.SPEED_COLUMN)
        eta = page.model.index(0, OutboxModel.ETA_COLUMN)
        assert speed.data().endswith("/s") and eta.data()
        outbox.set_state(cid, "draft")  # what the runner does on Cancel upload
        page._on_event(JobStateChanged(cid, "draft"))
        page._got_jobs(outbox.jobs())
        assert page.model.index(0, OutboxModel.SPEED_COLUMN).data() == ""
        assert page.model.index(0, OutboxModel.ETA_COLUMN).data() == ""
        progress = page.model.index(0, OutboxModel.PROGRESS_COLUMN)
        assert progress.data() == "Not sent"  # the upload starts again from nothing
        assert progress.data(PROGRESS_ROLE) is None  # and no bar says otherwise
    finally:
        page.shutdown()
        services.shutdown()
        outbox.close()

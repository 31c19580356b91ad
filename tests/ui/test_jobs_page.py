"""The Jobs page over many jobs: status filter, notifications for hidden jobs, memory."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.jobs import make_jobs
from wyntek_desktop.core.models import Job, JobFile
from wyntek_desktop.ui.gc_policy import BIG_LOAD
from wyntek_desktop.ui.pages.jobs import JobsPage
from wyntek_desktop.ui.services import Services


@pytest.fixture
def page(qtbot) -> Iterator[JobsPage]:
    services = Services()
    page = JobsPage(services)
    qtbot.addWidget(page)
    page.resize(900, 300)
    page.show()
    yield page
    page.shutdown()
    services.shutdown()


def _in_view(page: JobsPage, job_id: str) -> bool:
    row = page.table.visualRect(page.model.index(page.model.row_of(job_id), 0))
    return page.table.viewport().rect().contains(row.center())


def test_status_filter_hides_rows_but_not_their_notifications(page: JobsPage) -> None:
    jobs = make_jobs(300)
    page._got_changes(jobs)
    page.filter.setCurrentIndex(page.filter.findData("shipped"))
    assert page.table.model().rowCount() == 50
    assert page.select_job(jobs[9].id)
    assert page.selected_job().id == jobs[9].id
    assert _in_view(page, jobs[9].id)  # the oldest shipped job: the last row
    assert jobs[9].id[:8] in page.detail.toPlainText()
    changes: list[tuple[str, str]] = []
    page.status_changed.connect(lambda job, old: changes.append((job.status, old)))
    hidden = jobs[0]  # "submitted": filtered out right now
    page._got_changes([Job(**{**hidden.__dict__, "status": "reviewing"})])
    assert changes == [("reviewing", "submitted")]
    assert page.model.row_of(hidden.id) is None
    assert page.selected_job().id == jobs[9].id  # the selection survived the change
    assert page.select_job(hidden.id)  # going to a hidden job shows every job again
    assert page.filter.currentData() is None and page.table.model().rowCount() == 300
    assert page.selected_job().id == hidden.id
    assert _in_view(page, hidden.id)
    assert not page.select_job("no-such-job")


def test_a_big_load_is_moved_out_of_the_collectors_full_passes(page: JobsPage) -> None:
    before = gc.get_freeze_count()
    try:
        page._got_changes(make_jobs(BIG_LOAD))
        assert gc.get_freeze_count() >= before + BIG_LOAD  # one Job object each, at least
    finally:
        gc.unfreeze()


def test_restored_column_widths_survive_the_first_load(page: JobsPage, qtbot) -> None:
    from PySide6.QtCore import Qt

    page.table.setColumnWidth(2, 211)
    page.table.horizontalHeader().setSortIndicator(5, Qt.SortOrder.AscendingOrder)
    header, _ = page.view_state()
    fresh = JobsPage(page.services)
    qtbot.addWidget(fresh)
    try:
        fresh.restore_view(header, "cancelled")
        fresh._got_changes(make_jobs(60))
        assert fresh.table.columnWidth(2) == 211  # not refitted to the text
        assert fresh.model.rowCount() == 10  # the "cancelled" filter
        costs = [fresh.model.record(r).token_cost for r in range(10)]
        assert costs == sorted(costs)
    finally:
        fresh.shutdown()


def test_search_box_filters_after_a_pause_and_going_to_a_job_clears_it(
        page: JobsPage, qtbot) -> None:
    jobs = make_jobs(300)
    page._got_changes(jobs)
    qtbot.keyClicks(page.search, "00000042")
    assert page.model.rowCount() == 300  # not on every key
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=2_000)
    assert page.model.record(0).id == jobs[42].id
    assert page.select_job(jobs[7].id)
    assert page.search.text() == "" and page.model.rowCount() == 300


def test_verification_is_shown_and_each_outcome_is_announced(page: JobsPage) -> None:
    pending = Job(id="a" * 8 + "-0000-4000-8000-000000000001", token_cost=16, quoted_cost=16,
                  verification="pending", material_id="fdm-pla")
    page._got_changes([pending])
    assert page.select_job(pending.id)
    assert "Verifying files…" in page.detail.toPlainText()
    assert page.confirm_button.isHidden()
    outcomes: list[Job] = []
    page.verification_changed.connect(outcomes.append)
    waiting = Job(**{**pending.__dict__, "verification": "needs_tokens", "token_cost": 52_600,
                     "verification_note": "The stored files measure 1000.000 cm³."})
    page._got_changes([waiting])
    page._show_selected()
    assert [j.verification for j in outcomes] == ["needs_tokens"]
    text = page.detail.toPlainText()
    assert "Needs 52,584 more tokens at the measured price of 52,600 (quoted 16)" in text
    assert not page.confirm_button.isHidden() and not page.buy_button.isHidden()
    assert page.cancel_button.isEnabled()
    page._got_changes([Job(**{**waiting.__dict__, "verification": "adjusted"})])
    assert len(outcomes) == 1  # announced once, when the service decided
    failed = Job(id="b" * 8 + "-0000-4000-8000-000000000002", verification="failed",
                 status="rejected", verification_note="cube.stl changed after it was priced.")
    assert failed.verification_text == "Verification failed: cube.stl changed after it was priced."


def test_the_status_column_says_while_files_are_verified(page: JobsPage) -> None:
    base = make_jobs(1)[0]
    for verification, shown in (("pending", "Submitted · verifying files…"),
                                ("needs_tokens", "Submitted · needs tokens"),
                                ("passed", "Submitted")):
        page._got_changes([Job(**{**base.__dict__, "status": "submitted",
                                  "verification": verification})])
        assert page.model.index(page.model.row_of(base.id), 1).data() == shown


# A one-pixel PNG, as the Prepare page would have cached for a queued file.
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d494441"
    "54789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082")


_OPENED: list[tuple[str, threading.Thread]] | None = None


def _record_opens(event: str, args: tuple[Any, ...]) -> None:
    """An audit hook (it cannot be removed; it records only while a test listens)."""
    if event == "open" and _OPENED is not None and args and isinstance(args[0], (str, Path)):
        _OPENED.append((str(args[0]), threading.current_thread()))


def test_job_pictures_are_found_and_read_off_the_gui_thread(
        page: JobsPage, qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from PySide6.QtGui import QTextDocument

    from wyntek_desktop.core.appdirs import AppDirs
    from wyntek_desktop.ui.pages.jobs import picture_url

    global _OPENED
    sha = "ab" * 32
    picture = AppDirs.default().thumbnails / f"{sha}.png"  # named as the CLI and Prepare do
    picture.parent.mkdir(parents=True)
    picture.write_bytes(PNG_1PX)
    job = make_jobs(1)[0]
    job = Job(**{**job.__dict__, "files": (JobFile(id="1", file_name="a.stl", sha256=sha),)})
    gui = threading.current_thread()
    looked_at: list[Path] = []
    real_stat = Path.stat

    def stat(self: Path, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is gui and "thumbnails" in self.parts:
            looked_at.append(self)
        return real_stat(self, *args, **kwargs)
    monkeypatch.setattr(Path, "stat", stat)
    sys.addaudithook(_record_opens)
    _OPENED = []
    try:
        page._got_changes([job])
        assert page.select_job(job.id)
        url = picture_url(sha)
        qtbot.waitUntil(lambda: url.toString() in page.detail.toHtml(), timeout=30_000)
        page.detail.repaint()  # painting lays the picture out: from memory only
        image = page.detail.document().resource(QTextDocument.ResourceType.ImageResource, url)
        assert image is not None and image.width() == 1 and image.height() == 1
        reads = [thread for path, thread in _OPENED if path == str(picture)]
    finally:
        _OPENED = None
    assert looked_at == []  # no file-system call on the GUI thread for the picture
    assert reads and gui not in reads  # read, but by a worker
    assert "file:" not in page.detail.toHtml()  # nothing the view could read from disk

"""The Operations page's and the job history's pure parts: which status changes are news,
how a customer's reading of a file is taken from its analysis, what the work sheet shows,
and the "open" filter over many jobs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from wyntek_desktop.core.models import JobFile
from wyntek_desktop.core.operations import JobEvent, OperatorJob
from wyntek_desktop.ui.operations_models import (
    OPEN,
    OperationsTableModel,
    reading_of,
    work_sheet_html,
)
from wyntek_desktop.ui.pages.jobs import history_html, status_changes

JOB = "11111111-2222-4333-8444-555555555555"


def events(*steps: tuple[str, str | None]) -> list[JobEvent]:
    return [JobEvent(id=i + 1, job_id=JOB, status=status, verification=verification)
            for i, (status, verification) in enumerate(steps)]


def test_each_status_change_after_the_known_one_is_news_once() -> None:
    history = events(("submitted", None), ("submitted", "passed"), ("reviewing", None),
                     ("in_production", None), ("shipped", None))
    # the window knew the job as reviewing: two changes since, in order
    assert status_changes(history, "reviewing", None) == [
        ("in_production", "reviewing"), ("shipped", "in_production")]
    # it knew it as submitted (no change led there): every change is news
    assert [s for s, _ in status_changes(history, "submitted", None)] == [
        "reviewing", "in_production", "shipped"]
    # after an announced event id only later changes count; a verification is no change
    assert status_changes(history, "in_production", 4) == [("shipped", "in_production")]
    assert status_changes(history, "shipped", 5) == []


def test_history_says_who_and_the_note() -> None:
    e = replace(events(("reviewing", None))[0], actor="operator", note="Files look <ok>.",
                created_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
    html = history_html([e])
    assert "Reviewing" in html and "WYNTEK operator" in html
    assert "Files look &lt;ok&gt;." in html  # escaped


def test_the_customers_reading_of_a_file_comes_from_its_analysis() -> None:
    assert reading_of(None) == (None, None)
    assert reading_of({"mesh": {"scale": 1.0}}) == (None, None)
    assert reading_of({"mesh": {"scale": 25.4}}) == (25.4, None)
    gerber = {"layers": [{"file": "a.gbr", "role": "copper", "side": "top",
                          "recognised_by": "user"},
                         {"file": "b.gm1", "role": "outline", "side": "",
                          "recognised_by": "user"},
                         {"file": "c.drl", "role": "drill", "recognised_by": "name"}]}
    assert reading_of({"gerber": gerber}) == (None, {"a.gbr": "copper top",
                                                     "b.gm1": "outline"})


def test_the_work_sheet_shows_the_work_and_the_files_checksums() -> None:
    job = OperatorJob(id=JOB, status="reviewing", material_name="PLA", process="fdm",
                      notes="Deburr", delivery_instructions="Dock 4", verification="passed",
                      files=(JobFile(id="f", file_name="part.stl", kind="model",
                                     sha256="ab" * 32),))
    html = work_sheet_html(job)
    assert "Deburr" in html and "Dock 4" in html and "ab" * 32 in html and "FDM" in html


def test_open_filter_and_search_over_many_jobs(qtbot) -> None:
    statuses = ("submitted", "reviewing", "in_production", "shipped", "completed",
                "rejected")
    jobs = [OperatorJob(id=f"{i:08d}-0000-4000-8000-000000000000",
                        status=statuses[i % 6], notes=f"batch {i}",
                        created_at=datetime(2026, 1, 1, tzinfo=UTC).replace(minute=i % 60))
            for i in range(600)]
    model = OperationsTableModel()
    model.set_status(OPEN)
    model.set_records(jobs)
    assert model.rowCount() == 400  # completed and rejected ones are done
    model.set_search("batch 599")
    assert [model.record(r).id for r in range(model.rowCount())] == []  # 599 is rejected
    model.set_status(None)
    assert [model.record(r).notes for r in range(model.rowCount())] == ["batch 599"]
    model.set_search("")
    model.sort(OperationsTableModel.STATUS_COLUMN)
    assert model.record(0).status == "submitted"  # the lifecycle's order, not the alphabet
    assert model.record(model.rowCount() - 1).status in ("completed", "rejected")


def test_the_verified_price_says_when_it_was_refunded() -> None:
    from decimal import Decimal

    from wyntek_desktop.core.models import Job
    from wyntek_desktop.ui.pages.jobs import verified_price

    job = Job(id=JOB, token_cost=1234, verification="passed",
              verified_volume_cm3=Decimal("8.0"))
    assert verified_price(job).startswith("1,234 tokens (verified")
    assert "measured 8.000 cm³" in verified_price(job)
    assert verified_price(replace(job, status="rejected")).endswith("; refunded")
    assert verified_price(replace(job, verification="pending")).startswith("not yet")

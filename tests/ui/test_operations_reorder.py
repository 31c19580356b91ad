"""The customer's Reorder and Report a problem, through the real Jobs page and its
dialogs against the real local stack: nothing uploaded (no TUS request), the new job is
verified and charged once; a reorder whose files were removed says the service's
sentence; a problem report is a warranty message linked to the job."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.service.support import wait_verified
from tests.ui.journey_support import stop_app
from tests.ui.operations_support import (
    CTRL,
    activate,
    new_account,
    new_operator,
    press,
    service_headers,
    service_rows,
    signed_in_window,
    submit_verified,
)
from wyntek_desktop.core.operations import LIFECYCLE
from wyntek_desktop.ui.dialogs.reorder import ReorderDialog
from wyntek_desktop.ui.dialogs.report_problem import ReportProblemDialog

pytestmark = pytest.mark.timeout(600)
TUS = "/storage/v1/upload/resumable"


def request_counts(stack) -> dict[str, int]:
    with stack.http() as http:
        r = http.get(f"{stack.url}/debug/v1/request-counts", headers=service_headers(stack))
    assert r.status_code == 200, r.text
    counts: dict[str, int] = r.json()
    return counts


def uploads(counts: dict[str, int]) -> int:
    """Requests that would carry design bytes from a client: TUS and plain uploads."""
    return sum(n for key, n in counts.items()
               if key.split(" ", 1)[1].startswith((TUS, "/storage/v1/object/designs"))
               and not key.startswith("GET"))


def complete(operator, job_id: str) -> None:
    ops = operator.ctx.api.operations
    for status in LIFECYCLE[1:]:
        ops.advance(job_id, status)


def open_reorder(qtbot, app, job_id: str) -> ReorderDialog:
    jobs = app.window.jobs
    qtbot.waitUntil(lambda: jobs.select_job(job_id)
                    and jobs.selected_job().status == "completed", timeout=30_000)
    qtbot.waitUntil(jobs.reorder_button.isEnabled, timeout=10_000)
    qtbot.mouseClick(jobs.reorder_button, Qt.MouseButton.LeftButton)
    dialog = jobs.dialog
    assert isinstance(dialog, ReorderDialog)
    qtbot.waitUntil(dialog.quantity.hasFocus, timeout=5_000)
    return dialog


def test_reorder_uploads_nothing_charges_once_and_says_when_the_files_are_gone(
        qtbot, localstack, tmp_path: Path) -> None:
    customer, operator = new_account(localstack, 5_000), new_operator(localstack)
    job = submit_verified(localstack, customer, operator, tmp_path, notes="First batch")
    complete(operator, job["id"])
    app = signed_in_window(qtbot, localstack, customer)
    jobs = app.window.jobs
    try:
        app.window.show_page("jobs")
        activate(qtbot, app)
        dialog = open_reorder(qtbot, app, job["id"])
        qtbot.waitUntil(lambda: dialog.price is not None, timeout=30_000)
        one = dialog.price
        # three of them: the price follows the quantity before anything is spent
        qtbot.keyClicks(dialog.quantity, "3")
        qtbot.waitUntil(lambda: dialog.price is not None and dialog.quantity.value() == 3,
                        timeout=30_000)
        price = dialog.price
        expected = customer.ctx.api.operations.quote_reorder(job["id"]).tokens
        assert one == expected and price is not None and price > one
        assert f"Price: {price:,} tokens for 3" in dialog.price_label.text()
        assert dialog.ok.text() == f"Reorder for {price:,} tokens"
        dialog.notes.setFocus()
        dialog.notes.selectAll()
        qtbot.keyClicks(dialog.notes, "Same again, three of them")
        press(qtbot, dialog.notes, Qt.Key.Key_Return)  # Enter types; it spends nothing
        assert dialog.isVisible() and dialog.new_job is None
        balance = customer.customer.balance()
        before = request_counts(localstack)
        press(qtbot, dialog.notes, Qt.Key.Key_Return, CTRL)
        qtbot.waitUntil(lambda: jobs.dialog is None, timeout=30_000)
        new = dialog.new_job
        assert new is not None and new.id != job["id"] and new.quantity == 3
        assert new.token_cost == price and new.notes.startswith("Same again, three of them")
        qtbot.waitUntil(lambda: jobs.selected_job() is not None
                        and jobs.selected_job().id == new.id, timeout=30_000)
        assert "placed for" in jobs.banner.text()

        verified = wait_verified(localstack, [new.id])[new.id]
        assert verified["verification"] == "passed", verified["verification_note"]
        after = request_counts(localstack)
        assert uploads(after) == uploads(before)  # no TUS request, no upload at all
        assert customer.customer.balance() == balance - price
        assert [(e["reason"], e["delta"]) for e in customer.customer.ledger(new.id)] == [
            ("job", -price)]  # charged once, and the measured price held
        qtbot.waitUntil(lambda: app.services.balance == balance - price, timeout=30_000)

        # the original again, but its files are deleted while the dialog is open
        activate(qtbot, app)
        dialog = open_reorder(qtbot, app, job["id"])
        qtbot.waitUntil(lambda: dialog.price is not None, timeout=30_000)
        # meanwhile the files are deleted (another device, the retention task); the
        # reorder's copies belong to a live job and are kept
        assert customer.ctx.api.delete_my_files().files_removed == 1
        balance = customer.customer.balance()
        press(qtbot, dialog.quantity, Qt.Key.Key_Return, CTRL)
        qtbot.waitUntil(dialog.error.isVisible, timeout=30_000)
        assert dialog.error.text().startswith(
            "The files of this job are no longer kept (cube.stl removed), so it cannot be "
            "reordered")
        assert dialog.isVisible() and dialog.new_job is None
        assert customer.customer.balance() == balance
        rows = service_rows(localstack, "jobs", {"user_id": f"eq.{customer.uid}",
                                                 "select": "id"})
        assert len(rows) == 2  # the original and the first reorder: nothing new
        press(qtbot, dialog.quantity, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: jobs.dialog is None, timeout=5_000)
        jobs.refresh()  # the rows say deleted now: Reorder is off, with the reason
        assert jobs.select_job(job["id"])
        qtbot.waitUntil(lambda: not jobs.reorder_button.isEnabled(), timeout=30_000)
        assert "no longer kept" in jobs.reorder_button.toolTip()

        # Report a problem: a warranty message about this job
        activate(qtbot, app)
        assert jobs.problem_button.isEnabled()
        qtbot.mouseClick(jobs.problem_button, Qt.MouseButton.LeftButton)
        report = jobs.dialog
        assert isinstance(report, ReportProblemDialog)
        assert not report.ok.isEnabled()  # nothing said yet
        qtbot.waitUntil(report.body.hasFocus, timeout=5_000)
        qtbot.keyClicks(report.body, "Two of the holes are 0.5 mm too small.")
        press(qtbot, report.body, Qt.Key.Key_Return, CTRL)
        qtbot.waitUntil(lambda: jobs.dialog is None, timeout=30_000)
        sent = service_rows(localstack, "support_messages",
                            {"user_id": f"eq.{customer.uid}", "select": "*"})
        assert [(m["topic"], m["job_id"], m["subject"]) for m in sent] == [
            ("warranty", job["id"], f"Problem with job {job['id'][:8]}")]
        assert sent[0]["body"] == "Two of the holes are 0.5 mm too small."
        assert "warranty claim" in jobs.banner.text()

    finally:
        stop_app(qtbot, app)
        customer.ctx.close()
        operator.ctx.close()

"""An assigned operator drives a job through its lifecycle on the Operations page, by
keyboard; the customer's window shows the server's history and a notification per change.
Downloads are checked: a cancelled one keeps nothing, a tampered file is a loud error.
Real windows, the real local stack (HTTPS, RLS, the intake worker)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.ui.journey_support import stop_app
from tests.ui.operations_support import (
    CTRL,
    SHIFT,
    activate,
    new_account,
    new_operator,
    press,
    service_headers,
    signed_in_window,
    submit_verified,
)
from wyntek_desktop.ui.dialogs.job_step import AdvanceDialog, RejectDialog
from wyntek_desktop.ui.pages.operations import download_folder

pytestmark = pytest.mark.timeout(600)


def test_operator_moves_a_job_through_its_lifecycle_and_the_customer_follows(
        qtbot, localstack, tmp_path: Path) -> None:
    customer, operator = new_account(localstack, 2_000), new_operator(localstack)
    job = submit_verified(localstack, customer, operator, tmp_path,
                          notes="Deburr the edges", delivery_instructions="Leave at reception")
    other = submit_verified(localstack, customer, operator, tmp_path)
    buyer = signed_in_window(qtbot, localstack, customer)
    shop = signed_in_window(qtbot, localstack, operator)
    try:
        jobs = buyer.window.show_page("jobs")
        qtbot.waitUntil(lambda: buyer.window.jobs.model.rowCount() == 2, timeout=30_000)
        # the customer's account is not an operator: no Operations page for them
        qtbot.waitUntil(lambda: buyer.services.role is None and not buyer.services.is_operator)
        assert buyer.window.nav.item(6).isHidden()

        # the operator's window offers the page (Ctrl+7) and lists the jobs, oldest first
        qtbot.waitUntil(lambda: shop.services.is_operator, timeout=30_000)
        assert not shop.window.nav.item(6).isHidden()
        activate(qtbot, shop)
        press(qtbot, shop.window, Qt.Key.Key_7, CTRL)
        page = shop.window.operations
        assert shop.window.current_page() is page
        qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=30_000)
        assert [page.model.record(r).id for r in range(2)] == [job["id"], other["id"]]
        assert page.count_label.text() == "2 assigned"
        assert page.select_job(job["id"])
        sheet = page.sheet.toPlainText()
        assert "Deburr the edges" in sheet and "Leave at reception" in sheet
        assert customer.email not in sheet and customer.uid not in sheet  # no personal data

        # download (Ctrl+D): each file checked against its SHA-256, then viewed and checked
        page.table.setFocus()
        press(qtbot, page.table, Qt.Key.Key_D, CTRL)
        qtbot.waitUntil(lambda: "matching its SHA-256" in page.download_label.text(),
                        timeout=60_000)
        saved = next(iter(page._downloaded[job["id"]].values()))
        stored = page.selected_job().files[0]
        assert hashlib.sha256(saved.read_bytes()).hexdigest() == stored.sha256
        assert "SHA-256 checked ✓" in page.file_list.item(0).text()
        assert page.progress.value() == 1000
        qtbot.waitUntil(lambda: "Watertight" in page.report.text(), timeout=120_000)
        assert "20.00 × 20.00 × 20.00 mm" in page.report.text()  # noqa: RUF001

        # each step by keyboard: Ctrl+Shift+A, a note, Enter; the customer's window hears
        # of each change (two quick steps between its polls are two notifications)
        def advance(target: str, note: str) -> None:
            activate(qtbot, shop)  # the closed dialog handed activation back
            page.table.setFocus()
            press(qtbot, page.table, Qt.Key.Key_A, CTRL | SHIFT)
            dialog = page.dialog
            assert isinstance(dialog, AdvanceDialog) and dialog.target == target
            qtbot.waitUntil(dialog.text.hasFocus, timeout=5_000)  # type at once
            qtbot.keyClicks(dialog.text, note)
            press(qtbot, dialog.text, Qt.Key.Key_Return)
            qtbot.waitUntil(lambda: page.dialog is None, timeout=30_000)
            assert page.selected_job().status == target

        def statuses_heard() -> list[str]:
            return [title.split(": ", 1)[1] for title, _ in buyer.window.notifications]

        advance("reviewing", "Files look good.")
        jobs.poll()
        qtbot.waitUntil(lambda: statuses_heard() == ["Reviewing"], timeout=30_000)
        advance("in_production", "Printing now.")
        advance("shipped", "Sent with the courier.")
        jobs.poll()
        qtbot.waitUntil(lambda: statuses_heard() == ["Reviewing", "In production", "Shipped"],
                        timeout=30_000)
        advance("completed", "Delivered.")
        jobs.poll()
        qtbot.waitUntil(lambda: len(statuses_heard()) == 4, timeout=30_000)
        assert statuses_heard()[-1] == "Completed"
        assert not page.advance_button.isEnabled()  # a completed job does not move

        # the customer's detail: the server's history, with notes, times and who
        assert jobs.select_job(job["id"])
        qtbot.waitUntil(lambda: "Delivered." in jobs.detail.toPlainText(), timeout=30_000)
        detail = jobs.detail.toPlainText()
        assert "History" in detail and "seen by this app" not in detail
        for line in ("Submitted · you", "Files verified · WYNTEK",
                     "Reviewing · WYNTEK operator", "Files look good.", "Printing now.",
                     "Shipped · WYNTEK operator", "Sent with the courier."):
            assert line in detail, (line, detail)
        assert "Verified price" in detail

        # the other job: a download cancelled at once keeps nothing; a stored file changed
        # behind the job (same size) is a loud error and is not kept
        assert page.select_job(other["id"])
        folder = download_folder(other["id"])
        page.download_selected()
        assert page.cancel_download_button.isEnabled()
        page.cancel_download()
        qtbot.waitUntil(lambda: page._download is None, timeout=30_000)
        assert "cancelled" in page.download_label.text()
        assert not folder.exists() or list(folder.iterdir()) == []
        stored = page.selected_job().files[0]
        url = f"{localstack.url}/storage/v1/object/designs/{stored.storage_path}"
        with localstack.http() as http:
            data = http.get(url, headers=service_headers(localstack)).content
            r = http.post(url, content=bytes([data[0] ^ 0xFF]) + data[1:],
                          headers={**service_headers(localstack), "x-upsert": "true",
                                   "Content-Type": "application/octet-stream"})
        assert r.status_code == 200, r.text
        page.download_selected()
        qtbot.waitUntil(lambda: page._download is None, timeout=60_000)
        assert page.banner.kind == "error"
        assert "does not match the file the service priced" in page.banner.text()
        assert "Do not fabricate from it" in page.banner.text()
        assert "SHA-256 MISMATCH" in page.file_list.item(0).text()
        assert list(folder.iterdir()) == []  # nothing half-trusted is left
        assert "not downloaded yet" in page.view.message_text()
        page.banner.dismiss()

        # reject it: a reason is required; Escape changes nothing
        activate(qtbot, shop)
        page.table.setFocus()
        press(qtbot, page.table, Qt.Key.Key_R, CTRL | SHIFT)
        dialog = page.dialog
        assert isinstance(dialog, RejectDialog) and not dialog.ok.isEnabled()
        qtbot.waitUntil(dialog.text.hasFocus, timeout=5_000)
        press(qtbot, dialog.text, Qt.Key.Key_Return)  # nothing typed: nothing sent
        assert dialog.isVisible()
        press(qtbot, dialog.text, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: page.dialog is None)
        assert page.selected_job().status == "submitted"
        before = customer.customer.balance()
        activate(qtbot, shop)
        press(qtbot, page.table, Qt.Key.Key_R, CTRL | SHIFT)
        dialog = page.dialog
        qtbot.waitUntil(dialog.text.hasFocus, timeout=5_000)
        qtbot.keyClicks(dialog.text, "The walls are too thin to print.")
        press(qtbot, dialog.text, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: page.dialog is None, timeout=30_000)
        assert page.selected_job().status == "rejected"
        refund = -sum(e["delta"] for e in customer.customer.ledger(other["id"])
                      if e["reason"] == "job")
        assert customer.customer.balance() == before + refund
        jobs.poll()
        qtbot.waitUntil(lambda: statuses_heard()[-1:] == ["Rejected"], timeout=30_000)
        assert page.banner.text() == "" or page.banner.kind == "info"
    finally:
        stop_app(qtbot, shop)
        stop_app(qtbot, buyer)
        customer.ctx.close()
        operator.ctx.close()

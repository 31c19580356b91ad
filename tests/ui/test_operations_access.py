"""Who sees what on the Operations page: a customer who forces it open sees no job and no
storm of errors; an operator's tampered file is a loud error and is not kept; a cancelled
download keeps nothing. Real windows against the real local stack."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.ui.journey_support import stop_app
from tests.ui.operations_support import (
    CTRL,
    activate,
    new_account,
    new_operator,
    press,
    service_headers,
    signed_in_window,
    submit_verified,
)
from wyntek_desktop.ui.pages.operations import download_folder

pytestmark = pytest.mark.timeout(300)


def test_a_customer_who_forces_the_page_open_sees_nothing(qtbot, localstack,
                                                          tmp_path: Path) -> None:
    customer, operator = new_account(localstack, 2_000), new_operator(localstack)
    submit_verified(localstack, customer, operator, tmp_path)  # assigned, but not to them
    app = signed_in_window(qtbot, localstack, customer)
    w = app.window
    errors: list[object] = []
    app.services.error.connect(errors.append)
    try:
        qtbot.waitUntil(lambda: w.jobs.model.rowCount() == 1, timeout=30_000)
        qtbot.waitUntil(lambda: app.services.role is None, timeout=30_000)
        assert w.nav.item(6).isHidden()
        assert not w.actions_by_name["page-operations"].isVisible()
        activate(qtbot, app)
        press(qtbot, w, Qt.Key.Key_7, CTRL)  # the hidden page's shortcut does nothing
        assert w.current_page() is not w.operations
        page = w.show_page("operations")  # forced open: RLS gives it nothing
        assert page is w.operations
        for _ in range(3):
            page.refresh()
            qtbot.waitUntil(lambda: not page._loading, timeout=30_000)
        assert page.model.rowCount() == 0 and page.model.records() == []
        assert page.count_label.text() == "No jobs are assigned to you."
        assert page.banner.text() == "" and errors == []
        assert not page.advance_button.isEnabled() and not page.download_button.isEnabled()
        page.download_selected()  # the shortcuts' slots with nothing selected: no-ops
        page.advance_selected()
        page.reject_selected()
        assert page.dialog is None and page.banner.text() == ""
    finally:
        stop_app(qtbot, app)
        customer.ctx.close()
        operator.ctx.close()


def test_a_tampered_file_is_a_loud_error_and_a_cancelled_download_keeps_nothing(
        qtbot, localstack, tmp_path: Path) -> None:
    customer, operator = new_account(localstack, 2_000), new_operator(localstack)
    job = submit_verified(localstack, customer, operator, tmp_path)
    app = signed_in_window(qtbot, localstack, operator)
    try:
        qtbot.waitUntil(lambda: app.services.is_operator, timeout=30_000)
        page = app.window.show_page("operations")
        qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=30_000)
        assert page.select_job(job["id"])
        folder = download_folder(job["id"])

        # cancelled at once: nothing is written
        page.download_selected()
        assert page.cancel_download_button.isEnabled()
        page.cancel_download()
        qtbot.waitUntil(lambda: page._download is None, timeout=30_000)
        assert "cancelled" in page.download_label.text()
        assert not folder.exists() or list(folder.iterdir()) == []
        assert page.download_button.isEnabled()

        # someone with storage access changes the stored bytes (same size)
        stored = page.selected_job().files[0]
        with localstack.http() as http:
            data = http.get(f"{localstack.url}/storage/v1/object/designs/{stored.storage_path}",
                            headers=service_headers(localstack)).content
            r = http.post(f"{localstack.url}/storage/v1/object/designs/{stored.storage_path}",
                          content=bytes([data[0] ^ 0xFF]) + data[1:],
                          headers={**service_headers(localstack), "x-upsert": "true",
                                   "Content-Type": "application/octet-stream"})
        assert r.status_code == 200, r.text
        page.download_selected()
        qtbot.waitUntil(lambda: page._download is None, timeout=60_000)
        assert page.banner.kind == "error"
        assert "does not match the file the service priced" in page.banner.text()
        assert "Do not fabricate from it" in page.banner.text()
        assert "SHA-256 MISMATCH" in page.file_list.item(0).text()
        assert "Download stopped" in page.download_label.text()
        assert list(folder.iterdir()) == []  # nothing half-trusted is left
        assert "not downloaded yet" in page.view.message_text()
    finally:
        stop_app(qtbot, app)
        customer.ctx.close()
        operator.ctx.close()

"""A customer who forces the Operations page open sees no job and no storm of errors (RLS
decides, not the window). A real window against the real local stack."""

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
    signed_in_window,
    submit_verified,
)

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

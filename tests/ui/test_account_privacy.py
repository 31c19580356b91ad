"""The Account page's privacy controls in the real window against the real local stack:
the deletion request with its date and Cancel, email choices kept by the service, and the
export preview counting what the export then contains."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt

from tests.ui.account_support import database, sign_in_window, start_app, stop_app
from wyntek_desktop.ui.dialogs.confirm import confirm_button
from wyntek_desktop.ui.dialogs.export_preview import ExportPreviewDialog
from wyntek_desktop.ui.pages.account import long_date


def click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def tick(qtbot: Any, box: Any) -> None:
    """Click a check box on its box (a wide one takes no clicks right of its text)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def deletion_row(stack: Any, user_id: str) -> tuple[str, Any]:
    with database(stack) as db:
        row = db.execute("select status, scheduled_for from public.account_deletion_requests "
                         "where user_id = %s", [user_id]).fetchone()
    assert row is not None
    return row[0], row[1]


def test_deletion_request_shows_its_date_and_is_cancelled(qtbot, localstack) -> None:
    email, password, user_id = localstack.new_user("leaving")
    app = start_app(qtbot, localstack)
    try:
        sign_in_window(qtbot, app, email, password)
        app.window.show_page("account")
        page = app.window.account
        qtbot.waitUntil(lambda: page.preferences is not None, timeout=30_000)
        assert not page.deletion_box.isVisible()
        click(qtbot, page.delete_account_button)
        assert page.confirmation is not None
        click(qtbot, confirm_button(page.confirmation))
        qtbot.waitUntil(lambda: page.deletion_box.isVisible(), timeout=30_000)
        status, scheduled_for = deletion_row(localstack, user_id)
        assert status == "pending"
        assert long_date(scheduled_for) in page.deletion_label.text()
        assert app.services.signed_in  # signed in still: the date and Cancel are here
        assert not page.delete_account_button.isEnabled()
    finally:
        stop_app(qtbot, app)

    # the next start shows the pending request with its date, and Cancel works
    again = start_app(qtbot, localstack)
    try:
        qtbot.waitUntil(lambda: again.services.signed_in, timeout=30_000)
        again.window.show_page("account")
        page = again.window.account
        qtbot.waitUntil(lambda: page.deletion_box.isVisible(), timeout=30_000)
        assert long_date(scheduled_for) in page.deletion_label.text()
        assert page.cancel_deletion_button.isVisible()
        click(qtbot, page.cancel_deletion_button)
        qtbot.waitUntil(lambda: not page.deletion_box.isVisible(), timeout=30_000)
        assert "cancelled" in page.result.text()
        assert page.delete_account_button.isEnabled()
        assert deletion_row(localstack, user_id)[0] == "cancelled"
    finally:
        stop_app(qtbot, again)


def test_email_choices_are_saved_and_read_back(qtbot, localstack) -> None:
    email, password, user_id = localstack.new_user("prefs")
    app = start_app(qtbot, localstack)
    try:
        sign_in_window(qtbot, app, email, password)
        app.window.show_page("account")
        page = app.window.account
        qtbot.waitUntil(lambda: page.preferences is not None, timeout=30_000)
        assert page.job_emails.isChecked() and not page.objection.isChecked()
        tick(qtbot, page.job_emails)
        qtbot.waitUntil(lambda: (page.preferences is not None
                        and not page.preferences.email_job_updates)
                        or page.banner.kind == "error", timeout=30_000)
        assert page.banner.kind != "error", page.banner.text()
        tick(qtbot, page.objection)
        qtbot.waitUntil(lambda: page.preferences is not None
                        and page.preferences.processing_objection, timeout=30_000)
        with database(localstack) as db:
            row = db.execute("select email_job_updates, processing_objection from "
                             "public.profiles where id = %s", [user_id]).fetchone()
        assert row == (False, True)
    finally:
        stop_app(qtbot, app)

    again = start_app(qtbot, localstack)
    try:
        qtbot.waitUntil(lambda: again.services.signed_in, timeout=30_000)
        again.window.show_page("account")
        page = again.window.account
        qtbot.waitUntil(lambda: page.preferences is not None, timeout=30_000)
        assert not page.job_emails.isChecked()
        assert page.objection.isChecked()
        tick(qtbot, page.objection)  # withdrawn again
        qtbot.waitUntil(lambda: page.preferences is not None
                        and not page.preferences.processing_objection, timeout=30_000)
        assert not page.objection.isChecked()
    finally:
        stop_app(qtbot, again)


def test_export_preview_counts_what_the_export_contains(qtbot, localstack,
                                                        tmp_path: Path) -> None:
    email, password, _ = localstack.new_user("export")
    app = start_app(qtbot, localstack)
    try:
        sign_in_window(qtbot, app, email, password)
        api = app.services.api
        assert api is not None
        for n in range(2):  # something to count besides the profile
            api.create_support_message(f"Question {n}", "Where is my part?")
        app.window.show_page("account")
        page = app.window.account
        click(qtbot, page.export_button)
        qtbot.waitUntil(lambda: isinstance(page.account_dialog, ExportPreviewDialog),
                        timeout=30_000)
        dialog = page.account_dialog
        assert isinstance(dialog, ExportPreviewDialog) and dialog.isVisible()
        counts = dialog.counts
        assert dialog.export_button.isEnabled()
        assert counts.get("support_messages") == 2
        qtbot.wait(50)  # the dialog grows to its rows
        for key, count in counts.items():  # each section is on screen, whole, with its count
            label = dialog.count_labels[key]
            assert label.text() == f"{count:,}"
            assert label.height() >= label.sizeHint().height(), (key, label.size())
            name = dialog.form.labelForField(label)
            assert name is not None and name.height() >= name.sizeHint().height(), key
        target = tmp_path / "export.json"
        dialog.export_to(target)
        qtbot.waitUntil(lambda: dialog.result_info is not None, timeout=30_000)
        data = json.loads(target.read_text("utf-8"))
        exported = {key: len(value) if isinstance(value, list) else 1
                    for key, value in data.items() if isinstance(value, list | dict)}
        assert {k: exported.get(k, 0) for k in counts} == counts
        assert str(target) in dialog.banner.text()
        dialog.close()
    finally:
        stop_app(qtbot, app)

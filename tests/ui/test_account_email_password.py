"""Change email (codes from the mail catcher) and change password, from the Account
page of the real window against the real local stack."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.ui.account_support import (
    Mailbox,
    shown_whole,
    sign_in_window,
    start_app,
    stop_app,
)
from wyntek_desktop.ui.dialogs.change_email import ChangeEmailDialog
from wyntek_desktop.ui.dialogs.change_password import ChangePasswordDialog


def click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def wait_idle(qtbot: Any, dialog: Any) -> None:
    qtbot.waitUntil(lambda: not dialog.running, timeout=30_000)


def test_email_change_needs_the_mailed_codes_then_renames_the_account(qtbot,
                                                                      localstack) -> None:
    email, password, _ = localstack.new_user("move")
    new_email = f"moved-{uuid.uuid4().hex[:10]}@example.com"
    to_new, to_old = Mailbox(localstack, new_email), Mailbox(localstack, email)
    app = start_app(qtbot, localstack)
    try:
        sign_in_window(qtbot, app, email, password)
        app.window.show_page("account")
        page = app.window.account
        click(qtbot, page.change_email_button)
        dialog = page.account_dialog
        assert isinstance(dialog, ChangeEmailDialog) and dialog.isVisible()

        dialog.new_email.setText(email.upper())  # the address it already has
        click(qtbot, dialog.ok)
        assert "different" in dialog.error_text()

        dialog.new_email.setText(new_email)
        click(qtbot, dialog.ok)
        wait_idle(qtbot, dialog)
        assert dialog.step == "code", dialog.error_text()
        assert new_email in dialog.sent_to
        new_code, message = to_new.next_code(qtbot)
        assert "email" in str(message["Subject"]).lower()
        codes = {new_email: new_code}
        if email in dialog.sent_to:  # secure email change: the current address too
            codes[email] = to_old.next_code(qtbot)[0]
            assert dialog.form.isRowVisible(dialog.current_code)

        # a wrong code: one sentence; nothing changes and the other code stays typed
        dialog.code.setText(f"{(int(new_code) + 1) % 1_000_000:06d}")
        if email in codes:
            dialog.current_code.setText(codes[email])
        click(qtbot, dialog.ok)
        wait_idle(qtbot, dialog)
        assert "code" in dialog.error_text().lower(), dialog.error_text()
        assert shown_whole(dialog.banner)
        assert app.services.email == email and dialog.isVisible()

        dialog.code.setText(new_code)
        if email in codes and dialog.form.isRowVisible(dialog.current_code):
            dialog.current_code.setText(codes[email])
        click(qtbot, dialog.ok)
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=30_000)
        assert dialog.changed_to == new_email
        qtbot.waitUntil(lambda: app.services.email == new_email, timeout=30_000)
        assert page.email.text() == new_email
        assert app.window.user_label.text() == new_email
        assert new_email in page.banner.text()
    finally:
        stop_app(qtbot, app)
    assert localstack.sign_in(new_email, password)["user"]["email"] == new_email
    with pytest.raises(Exception, match="400"):
        localstack.sign_in(email, password)


def test_change_password_checks_the_current_one_and_keeps_the_fields(qtbot,
                                                                     localstack) -> None:
    email, password, _ = localstack.new_user("pw")
    new_password = "another long password 77"
    app = start_app(qtbot, localstack)
    try:
        sign_in_window(qtbot, app, email, password)
        app.window.show_page("account")
        page = app.window.account
        click(qtbot, page.change_password_button)
        dialog = page.account_dialog
        assert isinstance(dialog, ChangePasswordDialog)

        dialog.current.setText("not my password")
        dialog.password.setText(new_password)
        dialog.repeat.setText(new_password)
        click(qtbot, dialog.ok)
        wait_idle(qtbot, dialog)
        assert "current password" in dialog.error_text().lower(), dialog.error_text()
        assert dialog.password.text() == new_password  # nothing typed is lost

        dialog.current.setText(password)
        dialog.password.setText("abc")
        dialog.repeat.setText("abc")
        click(qtbot, dialog.ok)
        wait_idle(qtbot, dialog)
        assert "password" in dialog.error_text().lower(), dialog.error_text()
        assert dialog.current.text() == password

        dialog.password.setText(new_password)
        dialog.repeat.setText(new_password)
        click(qtbot, dialog.ok)
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=30_000)
        assert dialog.changed and "changed" in page.banner.text()
        assert app.services.signed_in  # this device stays signed in
    finally:
        stop_app(qtbot, app)
    assert localstack.sign_in(email, new_password)["user"]["email"] == email

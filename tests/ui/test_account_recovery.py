"""Forgot password, from the sign-in dialog, through the real window and the real local
stack: the code is read from the stack's mail catcher as a person reads their mail."""

from __future__ import annotations

import socket
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.ui.account_support import Mailbox, database, shown_whole, start_app, stop_app
from wyntek_desktop.api.keyring_storage import KeyringStorage
from wyntek_desktop.api.session import STORAGE_KEY
from wyntek_desktop.ui.dialogs.forgot_password import ForgotPasswordDialog


def click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def kept_email(stack: Any) -> str | None:
    """The email of the session kept in the keyring for ``stack`` (None: nothing kept)."""
    from supabase_auth.types import Session as AuthSession

    raw = KeyringStorage(scope=stack.url).get_item(STORAGE_KEY)
    return AuthSession.model_validate_json(raw).user.email if raw else None


def open_forgot(qtbot: Any, app: Any, email: str, remember: bool = True
                ) -> ForgotPasswordDialog:
    app.window.sign_in()
    sign_in = app.window.sign_in_dialog
    sign_in.email.setText(email)
    sign_in.remember.setChecked(remember)  # "stay signed in" applies to the reset too
    click(qtbot, sign_in.forgot)
    dialog = sign_in.forgot_dialog
    assert isinstance(dialog, ForgotPasswordDialog) and dialog.isVisible()
    assert not sign_in.isVisible()
    assert dialog.email.text() == email  # carried over from the sign-in dialog
    return dialog


def wait_idle(qtbot: Any, dialog: Any) -> None:
    qtbot.waitUntil(lambda: not dialog.running, timeout=30_000)


def test_reset_with_the_emailed_code_signs_in_with_the_new_password(qtbot, localstack) -> None:
    email, old_password, _ = localstack.new_user("reset")
    new_password = "a new and long password 42"
    mail = Mailbox(localstack, email)
    app = start_app(qtbot, localstack)
    try:
        assert not app.services.signed_in
        dialog = open_forgot(qtbot, app, email)
        click(qtbot, dialog.ok)  # Email me a code
        wait_idle(qtbot, dialog)
        assert dialog.step == "code", dialog.error_text()
        assert email in dialog.intro.text()
        code, message = mail.next_code(qtbot)
        assert "password" in str(message["Subject"]).lower()

        # a wrong code: one sentence, and what was typed stays
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        dialog.code.setText(wrong)
        dialog.password.setText(new_password)
        dialog.repeat.setText(new_password)
        click(qtbot, dialog.ok)
        wait_idle(qtbot, dialog)
        error = dialog.error_text()
        assert "code" in error.lower() and error.count(".") <= 2, error
        assert shown_whole(dialog.banner)
        assert dialog.password.text() == new_password and dialog.repeat.text() == new_password
        assert not app.services.signed_in and dialog.isVisible()

        # passwords that differ are caught before anything is sent
        dialog.code.setText(code)
        dialog.repeat.setText(new_password + "x")
        click(qtbot, dialog.ok)
        assert "differ" in dialog.error_text()
        assert not dialog.code_accepted

        # a weak password after a good code: the code is not asked for again
        dialog.password.setText("abc")
        dialog.repeat.setText("abc")
        click(qtbot, dialog.ok)
        wait_idle(qtbot, dialog)
        assert dialog.code_accepted
        assert "password" in dialog.error_text().lower()
        assert not dialog.form.isRowVisible(dialog.code)
        assert dialog.isVisible()

        dialog.password.setText(new_password)
        dialog.repeat.setText(new_password)
        click(qtbot, dialog.ok)
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=30_000)
        qtbot.waitUntil(lambda: app.services.signed_in, timeout=30_000)
        assert app.services.email == email
        assert app.window.user_label.text() == email
        assert not app.window.sign_in_dialog.isVisible()
        assert kept_email(localstack) == email  # "stay signed in" was ticked
    finally:
        stop_app(qtbot, app)
    # the new password works, the old one no longer does
    assert localstack.sign_in(email, new_password)["user"]["email"] == email
    with pytest.raises(Exception, match="400"):
        localstack.sign_in(email, old_password)


def test_an_expired_code_says_so_and_a_new_one_works(qtbot, localstack) -> None:
    email, _, user_id = localstack.new_user("expired")
    mail = Mailbox(localstack, email)
    app = start_app(qtbot, localstack)
    try:
        dialog = open_forgot(qtbot, app, email, remember=False)
        click(qtbot, dialog.ok)
        wait_idle(qtbot, dialog)
        code, _ = mail.next_code(qtbot)
        with database(localstack) as db:  # the hour the code is valid for went by
            db.execute("update auth.users set recovery_sent_at = now() - interval '2 hours' "
                       "where id = %s", [user_id])
        dialog.code.setText(code)
        dialog.password.setText("a new and long password 42")
        dialog.repeat.setText("a new and long password 42")
        click(qtbot, dialog.ok)
        wait_idle(qtbot, dialog)
        error = dialog.error_text()
        assert "expired" in error.lower() and "new code" in error.lower(), error
        assert not app.services.signed_in
        assert dialog.password.text() == "a new and long password 42"

        click(qtbot, dialog.resend)  # Send a new code
        wait_idle(qtbot, dialog)
        assert "new code" in dialog.banner.text().lower(), dialog.banner.text()
        fresh, _ = mail.next_code(qtbot)
        dialog.code.setText(fresh)
        click(qtbot, dialog.ok)
        qtbot.waitUntil(lambda: app.services.signed_in, timeout=30_000)
        assert kept_email(localstack) is None  # "stay signed in" was not ticked
    finally:
        stop_app(qtbot, app)


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_service_unreachable_is_one_sentence_and_keeps_the_email(qtbot, localstack) -> None:
    down = SimpleNamespace(url=f"https://127.0.0.1:{closed_port()}",
                           anon_key=localstack.anon_key, ca_path=localstack.ca_path)
    app = start_app(qtbot, down)
    try:
        dialog = open_forgot(qtbot, app, "someone@example.com")
        click(qtbot, dialog.ok)
        wait_idle(qtbot, dialog)
        error = dialog.error_text()
        assert error and "reach" in error.lower(), error
        assert dialog.step == "email" and dialog.email.text() == "someone@example.com"
        assert dialog.ok.isEnabled()
        dialog.reject()
    finally:
        # offline, the window probes for the service on a timer that DesktopApp.shutdown
        # does not stop (the app exits anyway); the test's timer check would see it
        app.reconnector.timer.stop()
        stop_app(qtbot, app)

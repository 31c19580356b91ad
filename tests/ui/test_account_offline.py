"""The service goes away in the middle of account management: each action says so in one
sentence, keeps what was typed or shown, and works once the service is back. The window
talks to the real local stack through a proxy that can cut the line."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from PySide6.QtCore import QPoint, Qt

from tests.support.uploads import make_proxy
from tests.ui.account_support import database, sign_in_window, start_app, stop_app
from wyntek_desktop.ui.dialogs.change_password import ChangePasswordDialog
from wyntek_desktop.ui.dialogs.confirm import confirm_button


def click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def deletion_status(stack: Any, user_id: str) -> str:
    with database(stack) as db:
        row = db.execute("select status from public.account_deletion_requests "
                         "where user_id = %s", [user_id]).fetchone()
    return str(row[0]) if row else ""


def one_sentence_about_reaching(text: str) -> bool:
    return "reach" in text.lower() and text.count(". ") <= 2 and "Traceback" not in text


def test_account_actions_while_the_service_is_unreachable(qtbot, localstack) -> None:
    email, password, user_id = localstack.new_user("away")
    proxy = make_proxy(localstack)
    line = SimpleNamespace(url=proxy.url, anon_key=localstack.anon_key, ca_path=None)
    app = start_app(qtbot, line)
    try:
        sign_in_window(qtbot, app, email, password)
        app.window.show_page("account")
        page = app.window.account
        qtbot.waitUntil(lambda: page.preferences is not None, timeout=30_000)
        click(qtbot, page.delete_account_button)
        assert page.confirmation is not None
        click(qtbot, confirm_button(page.confirmation))
        qtbot.waitUntil(lambda: page.deletion_box.isVisible(), timeout=30_000)
        shown = page.deletion_label.text()

        proxy.set_offline(True)
        # Cancel deletion: refused, the request and its button stay
        click(qtbot, page.cancel_deletion_button)
        qtbot.waitUntil(lambda: page.banner.kind == "error" and page.banner.isVisible(),
                        timeout=30_000)
        assert one_sentence_about_reaching(page.banner.text()), page.banner.text()
        assert page.deletion_box.isVisible() and page.deletion_label.text() == shown
        assert page.cancel_deletion_button.isEnabled()
        assert deletion_status(localstack, user_id) == "pending"

        # the objection: the box goes back to what the service holds
        page.banner.dismiss()
        qtbot.mouseClick(page.objection, Qt.MouseButton.LeftButton,
                         pos=QPoint(8, page.objection.height() // 2))
        qtbot.waitUntil(lambda: page.banner.kind == "error" and page.banner.isVisible(),
                        timeout=30_000)
        assert one_sentence_about_reaching(page.banner.text()), page.banner.text()
        assert not page.objection.isChecked()

        # change password: the dialog stays with everything typed
        click(qtbot, page.change_password_button)
        dialog = page.account_dialog
        assert isinstance(dialog, ChangePasswordDialog)
        dialog.current.setText(password)
        dialog.password.setText("a brand new password 9")
        dialog.repeat.setText("a brand new password 9")
        click(qtbot, dialog.ok)
        qtbot.waitUntil(lambda: not dialog.running, timeout=30_000)
        assert one_sentence_about_reaching(dialog.error_text()), dialog.error_text()
        assert dialog.isVisible() and dialog.current.text() == password
        assert dialog.password.text() == dialog.repeat.text() == "a brand new password 9"

        # back online (the status bar says so once the window's probe gets an answer):
        # the same clicks work
        proxy.set_offline(False)
        qtbot.waitUntil(lambda: app.services.connection == "online", timeout=60_000)
        click(qtbot, dialog.ok)
        qtbot.waitUntil(lambda: not dialog.isVisible() or bool(dialog.error_text()),
                        timeout=30_000)
        assert not dialog.isVisible(), dialog.error_text()
        click(qtbot, page.cancel_deletion_button)
        qtbot.waitUntil(lambda: not page.deletion_box.isVisible(), timeout=30_000)
        assert deletion_status(localstack, user_id) == "cancelled"
    finally:
        app.reconnector.timer.stop()  # see test_account_recovery: not stopped at shutdown
        stop_app(qtbot, app)
        proxy.close()
    assert localstack.sign_in(email, "a brand new password 9")["user"]["email"] == email

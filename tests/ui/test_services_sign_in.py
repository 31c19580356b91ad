""""Stay signed in" in the sign-in dialog, driven through the real window against the
real local stack; the keyring is the test stand-in (a folder of secrets)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from tests.ui.journey_support import start_app, stop_app
from wyntek_desktop.api.http import make_http_client
from wyntek_desktop.api.keyring_storage import KeyringStorage
from wyntek_desktop.api.session import STORAGE_KEY, Session
from wyntek_desktop.core.settings import Settings


def _stored_email(stack: Any) -> str | None:
    """The email of the session kept in the keyring for ``stack``, read as a new app would."""
    from supabase_auth.types import Session as AuthSession

    raw = KeyringStorage(scope=stack.url).get_item(STORAGE_KEY)
    return AuthSession.model_validate_json(raw).user.email if raw else None


def _sign_in(qtbot: Any, app: Any, email: str, password: str, *, remember: bool) -> None:
    app.window.sign_in()
    dialog = app.window.sign_in_dialog
    dialog.email.setText(email)
    dialog.password.setText(password)
    if dialog.remember.isChecked() != remember:
        qtbot.mouseClick(dialog.remember, Qt.MouseButton.LeftButton)
    assert dialog.remember.isChecked() is remember
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.services.signed_in or dialog.error.isVisible(),
                    timeout=30_000)
    assert not dialog.error.isVisible(), dialog.error.text()
    assert app.services.email == email


def _sign_out(qtbot: Any, app: Any) -> None:
    assert app.window.sign_out_action.isEnabled()
    app.window.sign_out_action.trigger()
    qtbot.waitUntil(lambda: not app.services.signed_in, timeout=30_000)


def _warnings(app: Any) -> str:
    banner = app.window.current_page().banner
    return banner.text() if banner.isVisible() else ""


def test_unticked_keeps_nothing_and_a_later_ticked_sign_in_is_kept(qtbot, localstack) -> None:
    email, password, _ = localstack.new_user("stay")
    app = start_app(qtbot, localstack)
    try:
        _sign_in(qtbot, app, email, password, remember=False)
        assert _stored_email(localstack) is None
        assert app.services.ctx.session.persistence_warning is None
        assert "chose not" not in _warnings(app)
        _sign_out(qtbot, app)

        _sign_in(qtbot, app, email, password, remember=True)
        assert _stored_email(localstack) == email
        assert app.services.ctx.session.persistence_warning is None
        assert "session only" not in _warnings(app)
    finally:
        stop_app(qtbot, app)
    # what a restart finds: the ticked sign-in
    again = start_app(qtbot, localstack)
    try:
        qtbot.waitUntil(lambda: again.services.signed_in, timeout=30_000)
        assert again.services.email == email
    finally:
        stop_app(qtbot, again)


def test_unticked_sign_in_removes_a_session_kept_earlier(qtbot, localstack) -> None:
    kept_email, kept_password, _ = localstack.new_user("kept")
    email, password, _ = localstack.new_user("once")
    app = start_app(qtbot, localstack)
    try:
        assert not app.services.signed_in
        # another program (e.g. the command line) signs in and keeps its session
        settings = Settings(supabase_url=localstack.url, anon_key=localstack.anon_key,
                            ca_bundle=str(localstack.ca_path) if localstack.ca_path else None)
        with make_http_client(settings) as http:
            Session(settings, http).sign_in(kept_email, kept_password)
        assert _stored_email(localstack) == kept_email

        # a mistyped password changes nothing that was kept
        app.window.sign_in()
        dialog = app.window.sign_in_dialog
        dialog.email.setText(email)
        dialog.password.setText(password + "-typo")
        if dialog.remember.isChecked():
            qtbot.mouseClick(dialog.remember, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(dialog.error.isVisible, timeout=30_000)
        assert not app.services.signed_in
        assert _stored_email(localstack) == kept_email
        dialog.reject()

        _sign_in(qtbot, app, email, password, remember=False)
        assert _stored_email(localstack) is None
        assert app.services.ctx.session.email == email  # kept in memory
    finally:
        stop_app(qtbot, app)

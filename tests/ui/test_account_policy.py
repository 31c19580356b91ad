"""The privacy-policy notice: after sign-in, in the background, once per version, and
recorded by the service as shown. A stack of its own: publishing a version on the shared
one would show the notice in every other test's window."""

from __future__ import annotations

from typing import Any

from tests.ui.account_support import database, sign_in_window, start_app, stop_app


def settle(qtbot: Any, app: Any) -> None:
    """Signed in and every call it started answered (the policy check among them)."""
    qtbot.waitUntil(lambda: app.services.signed_in, timeout=30_000)
    qtbot.waitUntil(lambda: app.services.pool.active() == 0, timeout=30_000)


def sign_out(qtbot: Any, app: Any) -> None:
    app.services.sign_out()
    qtbot.waitUntil(lambda: not app.services.signed_in, timeout=30_000)


def acknowledged(stack: Any, user_id: str) -> list[str]:
    with database(stack) as db:
        rows = db.execute("select version from public.policy_acknowledgements where "
                          "user_id = %s order by version", [user_id]).fetchall()
    return [r[0] for r in rows]


def publish(stack: Any, version: str, summary: str) -> None:
    with database(stack) as db:
        db.execute("insert into public.policy_versions (version, published_at, summary) "
                   "values (%s, now(), %s)", [version, summary])


def test_policy_notice_is_shown_once_per_version(qtbot, localstack_factory) -> None:
    stack = localstack_factory(worker=False)
    email, password, user_id = stack.new_user("policy")
    app = start_app(qtbot, stack)
    try:
        notice = app.window.policy_notice
        # the version in force when the account was made was accepted with it: no notice
        sign_in_window(qtbot, app, email, password)
        settle(qtbot, app)
        assert not notice.isVisible() and notice.shown_versions == []

        publish(stack, "2099-01-01", "Support messages are now kept two years instead "
                                     "of five.")
        sign_out(qtbot, app)
        sign_in_window(qtbot, app, email, password)
        qtbot.waitUntil(lambda: notice.isVisible(), timeout=30_000)
        assert "version 2099-01-01" in notice.text()
        assert "What changed: Support messages are now kept two years" in notice.text()
        qtbot.waitUntil(lambda: acknowledged(stack, user_id) == ["2099-01-01"],
                        timeout=30_000)
        notice.show_details()  # the whole summary, without leaving the notice
        assert notice.details is not None and notice.details.isVisible()
        notice.details.close()
        assert notice.isVisible()
        notice.close_button.click()
        assert not notice.isVisible()

        # signed in again: nothing new, nothing shown
        sign_out(qtbot, app)
        sign_in_window(qtbot, app, email, password)
        settle(qtbot, app)
        assert not notice.isVisible()
        assert notice.shown_versions == ["2099-01-01"]

        # a newer version: shown at the next sign-in, once
        publish(stack, "2099-02-01", "Invoices now go to the address in your profile.")
        sign_out(qtbot, app)
        sign_in_window(qtbot, app, email, password)
        qtbot.waitUntil(lambda: notice.isVisible(), timeout=30_000)
        assert "version 2099-02-01" in notice.text() and "Invoices" in notice.text()
        qtbot.waitUntil(lambda: acknowledged(stack, user_id) == ["2099-01-01", "2099-02-01"],
                        timeout=30_000)
        assert notice.shown_versions == ["2099-01-01", "2099-02-01"]
    finally:
        stop_app(qtbot, app)

    # a restart finds the session and the acknowledgement: no notice
    again = start_app(qtbot, stack)
    try:
        settle(qtbot, again)
        assert not again.window.policy_notice.isVisible()
        assert again.window.policy_notice.shown_versions == []
    finally:
        stop_app(qtbot, again)

"""The Tokens page in the real window against the local stack: the packs with prices,
Buy opens the checkout (captured through Qt's own URL handler, as a browser would get
it) and shows the address, paying on that page brings the receipt, the new balance, a
notification and the purchase in the history."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from tests.payments.shop import Shop
from tests.ui.journey_support import start_app, stop_app

pytestmark = pytest.mark.timeout(300)


class Browser(QObject):
    """Stands where the system browser would: records the addresses Qt was asked to open."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())


def test_buy_a_pack_from_the_tokens_page(qtbot: Any, shop: Shop) -> None:
    email, password, _ = shop.stack.new_user("window-buyer")
    browser = Browser()
    QDesktopServices.setUrlHandler("http", browser, "open")
    app = start_app(qtbot, shop.stack)
    w = app.window
    try:
        w.sign_in()
        dialog = w.sign_in_dialog
        dialog.email.setText(email)
        dialog.password.setText(password)
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: app.services.signed_in, timeout=30_000)

        w.show_page("tokens")
        page = w.tokens
        qtbot.waitUntil(lambda: page.packs.rowCount() == 3, timeout=30_000)
        assert [page.packs.data(page.packs.index(r, 2)) for r in range(3)] == [
            "10.00 EUR", "45.00 EUR", "160.00 EUR"]
        page.packs_table.selectRow(1)
        qtbot.mouseClick(page.buy, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(browser.opened) == 1, timeout=30_000)
        url = browser.opened[0]
        assert url in page.checkout_state.text() and page.waiting
        assert page.copy_address.isVisible() or not w.isVisible()

        assert shop.pay(url).status_code == 303
        qtbot.waitUntil(lambda: page.receipt is not None, timeout=30_000)
        assert "Paid 45.00 EUR for 500 tokens" in page.checkout_state.text()
        qtbot.waitUntil(lambda: w.balance_label.text() == "Tokens: 500", timeout=30_000)
        assert page.balance.text() == "500 tokens"
        assert ("Tokens added", "500 tokens for 45.00 EUR.") in w.notifications
        # The history showed the purchase as waiting while it was; it ends up paid.
        qtbot.waitUntil(lambda: page.purchases.rowCount() == 1 and page.purchases.data(
            page.purchases.index(0, 4)) == "Paid", timeout=30_000)
        assert not page.waiting

        # The opt-out of job status emails, on the Account page.
        w.show_page("account")
        assert w.account.job_emails.isChecked()
        w.account.job_emails.click()
        key = shop.stack.service_role_key

        def opted_out() -> bool:
            rows = shop.http.get(
                f"{shop.stack.url}/rest/v1/profiles?email=eq.{email}&select=email_job_updates",
                headers={"apikey": key, "Authorization": f"Bearer {key}"}).json()
            return bool(rows == [{"email_job_updates": False}])
        qtbot.waitUntil(opted_out, timeout=30_000)
    finally:
        QDesktopServices.unsetUrlHandler("http")
        stop_app(qtbot, app)

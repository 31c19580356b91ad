"""Tokens: the balance, the ledger and "Buy tokens" (checkout happens on the web)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from wyntek_desktop.ui.models import LedgerModel
from wyntek_desktop.ui.widgets import Page, heading, record_table


class TokensPage(Page):
    title = "Tokens"

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.body.addWidget(heading("Tokens"))
        row = QHBoxLayout()
        self.balance = QLabel("—", self)
        self.balance.setAccessibleName("Token balance")
        font = self.balance.font()
        font.setPointSizeF(font.pointSizeF() * 2.2)
        font.setBold(True)
        self.balance.setFont(font)
        row.addWidget(self.balance)
        row.addStretch(1)
        self.buy = QPushButton("Buy tokens…", self)
        self.buy.setAccessibleName("Buy tokens in the browser")
        self.buy.clicked.connect(self.buy_tokens)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setAccessibleName("Refresh balance and ledger")
        self.refresh_button.clicked.connect(self.refresh)
        row.addWidget(self.buy)
        row.addWidget(self.refresh_button)
        self.body.addLayout(row)
        note = QLabel("Payment happens on the WYNTEK website; the balance here refreshes "
                      "when you come back to the app.", self)
        note.setWordWrap(True)
        note.setStyleSheet("color:#888")
        self.body.addWidget(note)
        self.model = LedgerModel(self)
        self.table = record_table(self, self.model, "Token ledger")
        self.body.addWidget(self.table, 1)
        services.balance_changed.connect(self._show_balance)
        services.balance_changed.connect(lambda _: self._ledger_if_shown())
        # the page the last session ended on is shown before the sign-in is restored:
        # the ledger is loaded once it is, not left empty until Refresh
        services.signed_in_changed.connect(self._on_sign_in)
        self._awaiting_checkout = False
        app = QGuiApplication.instance()
        if app is not None:
            app.applicationStateChanged.connect(self._app_state)  # type: ignore[attr-defined]
        self.last_opened_url: str | None = None

    def _show_balance(self, balance: int | None) -> None:
        self.balance.setText("—" if balance is None else f"{balance:,} tokens")

    def checkout_url(self) -> str:
        ctx = self.services.ctx
        return ctx.settings.checkout_url if ctx is not None else "https://wyntek.app/tokens"

    def buy_tokens(self) -> None:
        url = self.checkout_url()
        self.last_opened_url = url
        self._awaiting_checkout = True
        if not QDesktopServices.openUrl(QUrl(url)):
            self.show_error(f"No browser could be opened; visit {url} to buy tokens.")

    def _app_state(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationActive and self._awaiting_checkout:
            self._awaiting_checkout = False
            self.refresh()

    def _on_sign_in(self, email: str | None) -> None:
        if email is None:
            self.model.clear()
        else:
            self._ledger_if_shown()

    def _ledger_if_shown(self) -> None:
        if self.isVisible():
            self.load_ledger()

    def refresh(self) -> None:
        """Balance and ledger (the balance's change reloads the ledger too)."""
        if self.services.api is None or not self.services.signed_in:
            return
        self.services.refresh_profile()
        self.load_ledger()

    def load_ledger(self) -> None:
        api = self.services.api
        if api is None or not self.services.signed_in:
            return
        self.services.call(lambda state: api.ledger(), on_result=self.model.set_records,
                           on_error=self.show_error, latest="ledger")

    def page_shown(self) -> None:
        self.refresh()

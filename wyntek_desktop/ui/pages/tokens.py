"""Tokens: the balance, the packs on sale, buying one through Stripe Checkout in the
browser, the purchase history and the ledger.

Payment happens on Stripe's page, never in the app: Buy asks the service for a checkout
(create-checkout), opens its address in the browser and shows it for copying, then asks
the service every few seconds whether the purchase is paid. Every request runs in a
worker; the page only starts them and shows what comes back.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from wyntek_desktop.core.purchases import Checkout, Purchase
from wyntek_desktop.ui.models import Column, LedgerModel, RecordTableModel, fmt_time
from wyntek_desktop.ui.widgets import Page, heading, record_table

POLL_MS = 2000
#: Stop asking after this long; the purchase history still shows the outcome later.
WAIT_LIMIT_MS = 30 * 60 * 1000


class PacksModel(RecordTableModel):
    columns = (
        Column("Pack", lambda p: p.name),
        Column("Tokens", lambda p: f"{p.tokens:,}", lambda p: p.tokens, align_right=True),
        Column("Price", lambda p: p.price, lambda p: p.price_cents, align_right=True),
    )


class PurchasesModel(RecordTableModel):
    columns = (
        Column("Date", lambda p: fmt_time(p.created_at), lambda p: p.created_at),
        Column("Pack", lambda p: p.pack_id),
        Column("Tokens", lambda p: f"{p.tokens:,}", lambda p: p.tokens, align_right=True),
        Column("Amount", lambda p: p.amount, lambda p: p.amount_cents, align_right=True),
        Column("Status", lambda p: p.status_words),
    )


def _section(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


class TokensPage(Page):
    title = "Tokens"
    #: (title, text) of a desktop notification: a purchase was paid.
    notify = Signal(str, str)

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
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setAccessibleName("Refresh balance, packs, purchases and ledger")
        self.refresh_button.clicked.connect(self.refresh)
        row.addWidget(self.refresh_button)
        self.body.addLayout(row)

        self.body.addWidget(_section("Buy tokens", self))
        self.packs = PacksModel(self)
        self.packs_table = record_table(self, self.packs, "Token packs")
        self.packs_table.setMaximumHeight(140)
        self.packs_table.doubleClicked.connect(lambda index: self.buy_tokens())
        self.body.addWidget(self.packs_table)
        buy_row = QHBoxLayout()
        self.buy = QPushButton("Buy in the browser…", self)
        self.buy.setAccessibleName("Buy the selected pack in the browser")
        self.buy.clicked.connect(self.buy_tokens)
        buy_row.addWidget(self.buy)
        self.copy_address = QPushButton("Copy address", self)
        self.copy_address.setAccessibleName("Copy the checkout address")
        self.copy_address.clicked.connect(self._copy_address)
        self.copy_address.hide()
        buy_row.addWidget(self.copy_address)
        buy_row.addStretch(1)
        self.body.addLayout(buy_row)
        self.checkout_state = QLabel("Payment happens on Stripe's page in your browser; "
                                     "WYNTEK never sees your card.", self)
        self.checkout_state.setWordWrap(True)
        self.checkout_state.setAccessibleName("Checkout status")
        self.checkout_state.setTextInteractionFlags(
            self.checkout_state.textInteractionFlags() | _selectable())
        self.body.addWidget(self.checkout_state)
        self.demo_note = QLabel(self)
        self.demo_note.setWordWrap(True)
        self.demo_note.setOpenExternalLinks(True)
        self.demo_note.setAccessibleName("Demo checkout and mail")
        self.demo_note.hide()
        self.body.addWidget(self.demo_note)

        self.body.addWidget(_section("Purchases", self))
        self.purchases = PurchasesModel(self)
        self.purchases_table = record_table(self, self.purchases, "Purchase history")
        self.purchases_table.setMaximumHeight(160)
        self.body.addWidget(self.purchases_table)

        self.body.addWidget(_section("Ledger", self))
        self.model = LedgerModel(self)
        self.table = record_table(self, self.model, "Token ledger")
        self.body.addWidget(self.table, 1)

        services.balance_changed.connect(self._show_balance)
        services.balance_changed.connect(lambda _: self._ledger_if_shown())
        services.signed_in_changed.connect(self._signed_in_changed)
        self.checkout: Checkout | None = None
        self.last_opened_url: str | None = None
        self.receipt: Purchase | None = None
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._check_purchase)
        self._waited_ms = 0

    # -- state shown
    def _show_balance(self, balance: int | None) -> None:
        self.balance.setText("—" if balance is None else f"{balance:,} tokens")

    def _signed_in_changed(self, email: str | None) -> None:
        if email is None:
            self._stop_waiting()
            self.model.clear()
            self.purchases.clear()
            self.checkout = None
            self.copy_address.hide()
        elif self.isVisible():
            # the page the last session ended on is shown before the sign-in is restored:
            # load it once signed in, instead of leaving it empty until Refresh
            self.refresh()

    def _ledger_if_shown(self) -> None:
        if self.isVisible():
            self.load_ledger()

    # -- buying
    def buy_tokens(self) -> None:
        api = self.services.api
        if api is None or not self.services.signed_in:
            self.show_error("Sign in to buy tokens.")
            return
        rows = self.packs_table.selectionModel().selectedRows()
        if not rows:
            if self.packs.rowCount() == 0:
                self.refresh()
            self.show_info("Choose a pack in the list, then Buy.")
            self.packs_table.setFocus()
            return
        pack = self.packs.record(rows[0].row())
        self.buy.setEnabled(False)
        self.checkout_state.setText(f"Opening a checkout for {pack.name} ({pack.price})…")
        self.services.call(lambda state: api.start_checkout(pack.id),
                           on_result=self._checkout_opened, on_error=self._checkout_failed,
                           latest="checkout")

    def _checkout_failed(self, err: object) -> None:
        self.buy.setEnabled(True)
        self.checkout_state.setText("No checkout was opened; nothing was charged.")
        self.show_error(err)

    def _checkout_opened(self, checkout: Checkout) -> None:
        self.buy.setEnabled(True)
        self.checkout = checkout
        self.receipt = None
        self.last_opened_url = checkout.url
        self.copy_address.show()
        opened = QDesktopServices.openUrl(QUrl(checkout.url))
        where = ("The checkout is open in your browser." if opened else
                 "No browser could be opened: copy the address into one.")
        self.checkout_state.setText(f"{where} Pay there; this page shows the receipt once "
                                    f"Stripe confirms the payment.\nAddress: {checkout.url}")
        self._waited_ms = 0
        self._poll.start()
        self.refresh_purchases()

    def _copy_address(self) -> None:
        clipboard = QGuiApplication.clipboard()
        if self.checkout is not None and clipboard is not None:
            clipboard.setText(self.checkout.url)
            self.show_info("The checkout address is on the clipboard.")

    def _check_purchase(self) -> None:
        api, checkout = self.services.api, self.checkout
        self._waited_ms += POLL_MS
        if api is None or checkout is None or self._waited_ms > WAIT_LIMIT_MS:
            self._stop_waiting()
            return
        self.services.call(lambda state: api.purchase(checkout.purchase_id),
                           on_result=self._purchase_state, on_error=lambda err: None,
                           latest="purchase-state")

    def _purchase_state(self, purchase: Purchase) -> None:
        if self.checkout is None or purchase.id != self.checkout.purchase_id \
                or not purchase.settled:
            return
        self._stop_waiting()
        self.receipt = purchase
        self.copy_address.hide()
        self.checkout_state.setText(purchase.receipt())
        if purchase.status == "paid":
            self.notify.emit("Tokens added",
                             f"{purchase.tokens:,} tokens for {purchase.amount}.")
        self.refresh()

    def _stop_waiting(self) -> None:
        self._poll.stop()

    @property
    def waiting(self) -> bool:
        return self._poll.isActive()

    # -- loading
    def refresh(self) -> None:
        api = self.services.api
        if api is None or not self.services.signed_in:
            return
        self.services.refresh_profile()
        self.load_ledger()
        self.services.call(lambda state: api.token_packs(), on_result=self._got_packs,
                           on_error=self.show_error, latest="packs")
        self.refresh_purchases()

    def load_ledger(self) -> None:
        api = self.services.api
        if api is None or not self.services.signed_in:
            return
        self.services.call(lambda state: api.ledger(), on_result=self.model.set_records,
                           on_error=self.show_error, latest="ledger")

    def refresh_purchases(self) -> None:
        api = self.services.api
        if api is None or not self.services.signed_in:
            return
        self.services.call(lambda state: api.purchases(), on_result=self.purchases.set_records,
                           on_error=self.show_error, latest="purchases")

    def _got_packs(self, packs: list[Any]) -> None:
        self.packs.set_records(packs)
        if packs and not self.packs_table.selectionModel().selectedRows():
            self.packs_table.selectRow(0)

    def page_shown(self) -> None:
        self._show_demo_note()
        self.refresh()

    def _show_demo_note(self) -> None:
        backend = self.services.local_backend
        if backend is None:
            self.demo_note.hide()
            return
        from wyntek_desktop.local_demo import mail_page
        self.demo_note.setText(
            "Demo service, Stripe test mode: on the checkout page 4242 4242 4242 4242 pays "
            "and 4000 0000 0000 0002 is declined; no real card is charged. Receipts and job "
            f"emails land in <a href='{mail_page(backend)}'>the local mail folder</a>.")
        self.demo_note.show()


def _selectable() -> Any:
    from PySide6.QtCore import Qt
    return Qt.TextInteractionFlag.TextSelectableByMouse

"""Reorder a completed job: the same stored files made again, nothing uploaded.

The service copies the retained files into the new job's folder, then prices and
verifies it like any job. The dialog shows the price for the chosen quantity before
anything is spent; Ctrl+Return orders, Escape closes (a stray Enter spends nothing).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from wyntek_desktop.core.errors import WyntekError
from wyntek_desktop.core.models import Job
from wyntek_desktop.ui.models import fmt_time, material_text
from wyntek_desktop.ui.spec_form import DEFAULT_FINISHES, FINISHES, MAX_NOTES

QUOTE_PAUSE_MS = 200  # typing pause before the price is asked again

Quote = Callable[[int], int]                     # quantity -> tokens (blocking: a worker)
Order = Callable[[str, dict[str, Any]], Job]     # client job id, changes -> the new job


def retained_until(job: Job) -> str:
    dates = [f.retain_until for f in job.files if f.retain_until is not None]
    return fmt_time(min(dates)) if dates else ""


class ReorderDialog(QDialog):
    ordered = Signal(object)  # the new job

    def __init__(self, services: Any, job: Job, quote: Quote, order: Order,
                 names: dict[str, str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services, self.job = services, job
        self._quote, self._order = quote, order
        # one key per dialog: pressing Reorder again after a lost answer returns the
        # same new job instead of a second one (the service keys reorders on it)
        self.client_job_id = str(uuid.uuid4())
        self.price: int | None = None
        self.new_job: Job | None = None
        self.setWindowTitle("Reorder")
        self.setObjectName("reorder")
        layout = QVBoxLayout(self)
        kept = retained_until(job)
        intro = QLabel(
            f"Make job {job.id[:8]} ({material_text(job, names)}, {len(job.files)} file(s)) "
            "again from the files WYNTEK keeps"
            + (f" (until {kept})" if kept else "") + ". Nothing is uploaded; the service "
            "checks the copied files and charges the measured price.", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.quantity = QSpinBox(self)
        self.quantity.setRange(1, 10000)
        self.quantity.setValue(job.quantity)
        self.quantity.setAccessibleName("Quantity")
        form.addRow("&Quantity", self.quantity)
        self.finish = QComboBox(self)
        self.finish.setEditable(True)
        self.finish.setAccessibleName("Finish")
        self.finish.addItems(FINISHES.get(job.process or "", DEFAULT_FINISHES))
        if job.finish and self.finish.findText(job.finish) < 0:
            self.finish.addItem(job.finish)
        self.finish.setCurrentText(job.finish or "")  # the original's, none included
        form.addRow("F&inish", self.finish)
        self.notes = QPlainTextEdit(self)
        self.notes.setAccessibleName("Notes")
        self.notes.setPlainText(job.notes or "")
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(80)
        form.addRow("&Notes", self.notes)
        layout.addLayout(form)
        self.price_label = QLabel("Price: asking the service…", self)
        self.price_label.setObjectName("reorder-price")
        self.price_label.setAccessibleName("Price")
        layout.addWidget(self.price_label)
        self.error = QLabel("", self)
        self.error.setObjectName("reorder-error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#e05555")
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(self)
        self.ok: QPushButton = buttons.addButton("Reorder",
                                                 QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("confirm")
        self.ok.setToolTip("Ctrl+Return")
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("cancel")
        for button in (self.ok, cancel):  # Enter in a field must not spend tokens
            button.setAutoDefault(False)
            button.setDefault(False)
        buttons.accepted.connect(self.confirm)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.confirm,
                      context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._pause = QTimer(self)
        self._pause.setObjectName("reorder-quote")
        self._pause.setSingleShot(True)
        self._pause.setInterval(QUOTE_PAUSE_MS)
        self._pause.timeout.connect(self._ask_price)
        self.quantity.valueChanged.connect(self._quantity_changed)
        self._busy = False
        self.finished.connect(lambda _: self._pause.stop())
        self._update_button()
        self._ask_price()
        self.quantity.setFocus()
        self.quantity.selectAll()

    # -- price --------------------------------------------------------------------------------
    def _quantity_changed(self) -> None:
        self.price = None
        self.price_label.setText("Price: asking the service…")
        self._update_button()
        self._pause.start()

    def _ask_price(self) -> None:
        quantity, quote = self.quantity.value(), self._quote

        def got(tokens: int) -> None:
            if quantity != self.quantity.value():
                return  # a newer quantity is being priced
            self.price = tokens
            balance = self.services.balance
            after = (f"; your balance is {balance:,}" if balance is not None else "")
            self.price_label.setText(f"Price: {tokens:,} tokens for {quantity}{after}.")
            self._update_button()

        def failed(err: WyntekError) -> None:
            self.price_label.setText(f"Price: unknown ({err.message})")
        self.services.call(lambda state: quote(quantity), on_result=got, on_error=failed,
                           latest=f"reorder-quote:{id(self)}")

    def _update_button(self) -> None:
        balance = self.services.balance
        short = (self.price is not None and balance is not None and self.price > balance)
        self.ok.setEnabled(self.price is not None and not short and not self._busy)
        self.ok.setText(f"Reorder for {self.price:,} tokens" if self.price is not None
                        else "Reorder")
        if short and self.price is not None:
            self.show_error(f"This reorder costs {self.price:,} tokens and your balance is "
                            f"{balance:,}; buy tokens on the Tokens page first.")

    # -- ordering ------------------------------------------------------------------------------
    def changes(self) -> dict[str, Any]:
        return {"quantity": self.quantity.value(), "finish": self.finish.currentText().strip(),
                "notes": self.notes.toPlainText().strip()[:MAX_NOTES]}

    def confirm(self) -> None:
        if not self.ok.isEnabled():
            return
        changes, client_job_id, order = self.changes(), self.client_job_id, self._order
        self._busy = True
        self.error.hide()
        self._update_button()

        def done(job: Job) -> None:
            self._busy = False
            self.new_job = job
            self.ordered.emit(job)
            self.accept()

        def failed(err: WyntekError) -> None:
            self._busy = False
            self._update_button()
            self.show_error(err.message)  # the service's sentence
        self.services.call(lambda state: order(client_job_id, changes), on_result=done,
                           on_error=failed)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

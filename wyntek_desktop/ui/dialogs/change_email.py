"""Change email (signed in), confirmed as the auth service does it: a code is mailed to
the new address, and with secure email change one to the current address too; the change
is made only once every code is typed in here.

A code that was accepted is not asked for again (its field goes); a wrong one keeps
what was typed in the other field.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLineEdit, QPushButton, QWidget

from wyntek_desktop.core.account import EmailChange, EmailChangeConfirmation
from wyntek_desktop.ui.dialogs.account_form import (
    AccountFormDialog,
    code_field,
    fit_height,
    typed_code,
)

SEND = "Email the code"
CONFIRM = "Change email"


def _valid_address(text: str) -> bool:
    name, at, domain = text.partition("@")
    return bool(name and at and "." in domain and " " not in text)


class ChangeEmailDialog(AccountFormDialog):
    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(services, "Change email", SEND, parent)
        self.current_email = services.email or ""
        self.new_email = QLineEdit(self)
        self.new_email.setAccessibleName("New email")
        self.new_email.setPlaceholderText("new@company.com")
        self.code = code_field(self)
        self.code.setAccessibleName("Code sent to the new address")
        self.current_code = code_field(self)
        self.current_code.setAccessibleName("Code sent to the current address")
        self.resend = QPushButton("Send new codes", self)
        self.resend.setAccessibleName("Send new codes")
        self.resend.setAutoDefault(False)
        self.resend.clicked.connect(self.send_code)
        self.form.addRow("New &email", self.new_email)
        self.form.addRow("Code sent to the &new address", self.code)
        self.form.addRow("Code sent to the &current address", self.current_code)
        self.form.addRow("", self.resend)
        self.step = "email"
        self.sent_to: tuple[str, ...] = ()
        self.confirmed: set[str] = set()
        self.changed_to: str | None = None
        self._show_step()
        self.new_email.setFocus()

    def _field_for(self, address: str) -> QLineEdit:
        return self.code if address.lower() == self.new_address().lower() else self.current_code

    def new_address(self) -> str:
        return self.new_email.text().strip()

    def waiting_for(self) -> list[str]:
        """Addresses whose code is still needed, the new one first."""
        return [a for a in self.sent_to if a not in self.confirmed]

    def _show_step(self) -> None:
        on_code = self.step == "code"
        waiting = self.waiting_for()
        if not on_code:
            self.intro.setText(f"You sign in with {self.current_email}. Enter the new "
                               "address: the service emails a six-digit code, and the change "
                               "is made once you type it in here.")
        elif len(waiting) > 1:
            self.intro.setText(f"We sent a six-digit code to {waiting[0]} and another to "
                               f"{waiting[1]}. Type both here to make the change; until then "
                               f"you sign in with {self.current_email}.")
        else:
            done = " The other code was accepted." if self.confirmed else ""
            self.intro.setText(f"We sent a six-digit code to {', '.join(waiting)}. Type it "
                               f"here to make the change; until then you sign in with "
                               f"{self.current_email}.{done}")
        self.new_email.setReadOnly(on_code)
        for field in (self.code, self.current_code):
            needed = on_code and any(self._field_for(a) is field for a in waiting)
            self.form.setRowVisible(field, needed)
        self.form.setRowVisible(self.resend, on_code)
        self.resend.setText("Send a new code" if len(self.sent_to) < 2 else "Send new codes")
        self.set_action(CONFIRM if on_code else SEND)
        fit_height(self)

    def submit(self) -> None:
        if self.running:
            return
        if self.step == "email":
            self.send_code()
        else:
            self.confirm()

    def send_code(self) -> None:
        new_email = self.new_address()
        if not _valid_address(new_email):
            self.fail("Enter the new email address in full, like name@company.com.")
            return
        if new_email.lower() == self.current_email.lower():
            self.fail("That is the address you sign in with now: enter a different one.")
            return

        def sent(change: EmailChange) -> None:
            again = self.step == "code"
            self.step = "code"
            self.sent_to = tuple(change.codes_sent_to) or (new_email,)
            self.confirmed = set()
            self._show_step()
            self.code.clear()
            self.current_code.clear()
            self._field_for(self.sent_to[0]).setFocus()
            if again:
                self.note("New codes are on their way; the earlier ones no longer work.")
        self.begin("Sending…")
        self.services.send_email_change_code(new_email, on_done=self.finished_with(sent),
                                             on_error=self.fail)

    def confirm(self) -> None:
        waiting = self.waiting_for()
        for address in waiting:
            code = typed_code(self._field_for(address))
            if not (code.isdigit() and len(code) == 6):
                self.fail(f"Type the six-digit code from the email sent to {address}.")
                self._field_for(address).setFocus()
                return
        self.begin("Changing…")
        self._confirm_next()

    def _confirm_next(self) -> None:
        address = self.waiting_for()[0]
        code = typed_code(self._field_for(address))

        def answered(result: EmailChangeConfirmation) -> None:
            self.confirmed.add(address)
            if result.done:
                self.changed_to = result.email or self.new_address()
                self._idle()
                self.accept()
            elif self.waiting_for():
                self._confirm_next()
            else:  # every code went in and the service still waits: say what it wants
                self._show_step()
                self.fail("The service is still waiting for a confirmation: send new "
                          "codes and type them in.")
        self.services.confirm_email_change(address, code, on_done=answered,
                                           on_error=self._refused)

    def _refused(self, err: Any) -> None:
        self._show_step()  # a code accepted before this one is not asked for again
        self.fail(err)

    def begin(self, busy: str) -> None:
        super().begin(busy)
        self.resend.setEnabled(False)

    def idle_changed(self) -> None:
        self.resend.setEnabled(True)

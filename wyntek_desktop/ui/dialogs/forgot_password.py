"""Forgot password: the account's email, the six-digit code the service emails, a new
password twice; then the person is signed in.

Two steps in one dialog. A wrong or expired code keeps the new password typed; once the
code has been accepted (the person is signed in by it) a refused password, e.g. a weak
one, asks only for another password, never for the used code again.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLineEdit, QPushButton, QWidget

from wyntek_desktop.core.models import SignInResult
from wyntek_desktop.ui.dialogs.account_form import (
    AccountFormDialog,
    code_field,
    fit_height,
    new_password_problem,
    password_field,
    typed_code,
)

SEND = "Email me a code"
RESET = "Set password and sign in"


class ForgotPasswordDialog(AccountFormDialog):
    def __init__(self, services: Any, parent: QWidget | None = None, email: str = "",
                 remember: bool = True) -> None:
        super().__init__(services, "Reset your password", SEND, parent)
        self.remember = remember  # the sign-in dialog's "stay signed in"
        self.email = QLineEdit(email, self)
        self.email.setAccessibleName("Email")
        self.email.setPlaceholderText("you@company.com")
        self.code = code_field(self)
        self.password = password_field(self, "New password")
        self.repeat = password_field(self, "Repeat the new password")
        self.resend = QPushButton("Send a new code", self)
        self.resend.setAccessibleName("Send a new code")
        self.resend.setAutoDefault(False)
        self.resend.clicked.connect(self.send_code)
        self.form.addRow("&Email", self.email)
        self.form.addRow("&Code", self.code)
        self.form.addRow("&New password", self.password)
        self.form.addRow("&Repeat", self.repeat)
        self.form.addRow("", self.resend)
        self.step = "email"
        self.code_accepted = False
        self.signed_in_email: str | None = None
        self._show_step()
        self.email.setFocus()

    def _show_step(self) -> None:
        on_code = self.step == "code"
        if not on_code:
            self.intro.setText("Enter the email address of your WYNTEK account. We email "
                               "you a six-digit code to type in here.")
        elif self.code_accepted:
            self.intro.setText("Your code was accepted and you are signed in. Choose the new "
                               "password (closing this window keeps the old one).")
        else:
            self.intro.setText(f"We sent a six-digit code to {self.email.text().strip()} "
                               "(it is valid for one hour). Type it here with your new "
                               "password.")
        self.email.setReadOnly(on_code)
        for row in (self.code, self.password, self.repeat, self.resend):
            self.form.setRowVisible(row, on_code)
        self.form.setRowVisible(self.code, on_code and not self.code_accepted)
        self.form.setRowVisible(self.resend, on_code and not self.code_accepted)
        self.set_action(RESET if on_code else SEND)
        fit_height(self)

    def submit(self) -> None:
        if self.running:
            return
        if self.step == "email":
            self.send_code()
        else:
            self.reset()

    def send_code(self) -> None:
        email = self.email.text().strip()
        if "@" not in email:
            self.fail("Enter the email address you sign in with.")
            return

        def sent(_: Any) -> None:
            first = self.step == "email"
            self.step = "code"
            self._show_step()
            self.code.clear()
            self.code.setFocus()
            if not first:
                self.note("A new code is on its way; the earlier one no longer works.")
        self.begin("Sending…")
        self.services.send_recovery_code(email, on_done=self.finished_with(sent),
                                         on_error=self.fail)

    def reset(self) -> None:
        problem = new_password_problem(self.password.text(), self.repeat.text())
        code = typed_code(self.code)
        if not self.code_accepted and not (code.isdigit() and len(code) == 6):
            problem = "Type the six-digit code from the email we sent."
        if problem:
            self.fail(problem)
            return
        if self.code_accepted:
            self._set_password()
            return
        self.begin("Checking the code…")
        email = self.email.text().strip()

        def accepted(result: SignInResult) -> None:
            self.code_accepted = True
            self.signed_in_email = result.email or email
            self._show_step()
            self._set_password()
        self.services.sign_in_with_recovery_code(email, code, self.remember,
                                                 on_done=accepted, on_error=self.fail)

    def _set_password(self) -> None:
        self.begin("Setting the password…")
        self.services.set_new_password(self.password.text(), on_done=self._password_set,
                                       on_error=self.fail)

    def _password_set(self, _: Any) -> None:
        self.running = False
        self.password.clear()
        self.repeat.clear()
        self.accept()

    def begin(self, busy: str) -> None:
        super().begin(busy)
        self.resend.setEnabled(False)

    def idle_changed(self) -> None:
        self.resend.setEnabled(True)

    def done(self, result: int) -> None:
        # A code that was accepted signed the person in, whatever happens to the password.
        if self.code_accepted:
            self.services.announce_sign_in(self.signed_in_email)
        super().done(result)

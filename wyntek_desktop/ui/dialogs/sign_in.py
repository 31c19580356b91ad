"""Sign in with email and password; "stay signed in" keeps the session in the keyring.
"Forgot password?" goes to the reset by emailed code, which signs in when it is done."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class SignInDialog(QDialog):
    def __init__(self, services: Any, parent: QWidget | None = None,
                 email: str = "") -> None:
        super().__init__(parent)
        self.services = services
        self.setWindowTitle("Sign in to WYNTEK")
        self.setAccessibleName("Sign in")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.email = QLineEdit(email, self)
        self.email.setAccessibleName("Email")
        self.email.setPlaceholderText("you@company.com")
        self.password = QLineEdit(self)
        self.password.setAccessibleName("Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember = QCheckBox("Stay signed in on this computer", self)
        self.remember.setAccessibleName("Stay signed in")
        self.remember.setChecked(True)
        self.remember.setToolTip("The session is kept in the system keyring, never in a file.")
        form.addRow("&Email", self.email)
        form.addRow("&Password", self.password)
        form.addRow("", self.remember)
        self.forgot = QPushButton("Forgot password?", self)
        self.forgot.setAccessibleName("Forgot password")
        self.forgot.setFlat(True)
        self.forgot.setAutoDefault(False)
        self.forgot.clicked.connect(self.forgot_password)
        form.addRow("", self.forgot)
        layout.addLayout(form)
        self.error = QLabel("", self)
        self.error.setAccessibleName("Sign-in error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#e05555")
        self.error.hide()
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(self)
        self.ok = self.buttons.addButton("Sign in", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.result_info: Any = None
        self.forgot_dialog: Any = None
        (self.password if email else self.email).setFocus()

    def submit(self) -> None:
        email, password = self.email.text().strip(), self.password.text()
        if "@" not in email or not password:
            self._fail("Enter your email address and password.")
            return
        if not self.services.configured:
            self._fail("No WYNTEK service is configured yet: open Settings (Ctrl+,) and "
                       "enter the backend URL and anon key.")
            return
        self.ok.setEnabled(False)
        self.ok.setText("Signing in…")
        self.error.hide()
        self.services.sign_in(email, password, self.remember.isChecked(),
                              on_done=self._done, on_error=lambda e: self._fail(str(e)))

    def _done(self, result: Any) -> None:
        self.result_info = result
        self.password.clear()
        self.accept()

    def _fail(self, message: str) -> None:
        self.ok.setEnabled(True)
        self.ok.setText("Sign in")
        self.error.setText(message)
        self.error.show()

    def forgot_password(self) -> None:
        """The reset dialog in place of this one; back here if it is cancelled."""
        from wyntek_desktop.ui.dialogs.forgot_password import ForgotPasswordDialog

        if not self.services.configured:
            self._fail("No WYNTEK service is configured yet: open Settings (Ctrl+,) and "
                       "enter the backend URL and anon key.")
            return
        dialog = ForgotPasswordDialog(self.services, self.parentWidget(),
                                      email=self.email.text().strip(),
                                      remember=self.remember.isChecked())
        self.forgot_dialog = dialog
        dialog.accepted.connect(self.accept)  # signed in by the code and the new password
        # closed after the code was accepted: signed in all the same
        dialog.rejected.connect(lambda: self.accept() if self.services.signed_in
                                else self.show())
        self.hide()
        dialog.open()

"""Change password (signed in): the current password, the new one twice."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from wyntek_desktop.ui.dialogs.account_form import (
    AccountFormDialog,
    new_password_problem,
    password_field,
)


class ChangePasswordDialog(AccountFormDialog):
    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(services, "Change password", "Change password", parent)
        self.intro.setText("Enter your current password, then the new one twice. This "
                           "computer stays signed in.")
        self.current = password_field(self, "Current password")
        self.password = password_field(self, "New password")
        self.repeat = password_field(self, "Repeat the new password")
        self.form.addRow("C&urrent password", self.current)
        self.form.addRow("&New password", self.password)
        self.form.addRow("&Repeat", self.repeat)
        self.changed = False
        self.current.setFocus()

    def submit(self) -> None:
        if self.running:
            return
        problem = new_password_problem(self.password.text(), self.repeat.text())
        if not self.current.text():
            problem = "Enter your current password first."
        elif not problem and self.password.text() == self.current.text():
            problem = "The new password is the one you have now: choose a different one."
        if problem:
            self.fail(problem)
            return
        self.begin("Changing…")
        self.services.set_new_password(self.password.text(),
                                       current_password=self.current.text(),
                                       on_done=self.finished_with(self._changed),
                                       on_error=self.fail)

    def _changed(self, _: Any) -> None:
        self.changed = True
        for field in (self.current, self.password, self.repeat):
            field.clear()
        self.accept()

"""The frame the account dialogs share: an explanation, a form, an inline message and one
action that runs in a worker.

While the action runs its button says so and cannot be pressed twice; a failure is one
sentence in the dialog's own banner and every field keeps what was typed, so the person
corrects the one thing the sentence names and presses again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wyntek_desktop.core.errors import WyntekError
from wyntek_desktop.ui.widgets import Banner


def fit_height(dialog: QDialog) -> None:
    """Give an open dialog the height its contents need at its width: a message or a
    row shown after it opened would otherwise be squeezed into the first size."""
    layout = dialog.layout()
    if layout is None:
        return
    layout.activate()
    need = dialog.heightForWidth(dialog.width())
    if need > 0:
        dialog.resize(dialog.width(), max(need, dialog.minimumHeight()))


def password_field(parent: QWidget, name: str) -> QLineEdit:
    field = QLineEdit(parent)
    field.setAccessibleName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


def code_field(parent: QWidget) -> QLineEdit:
    """The six-digit code from an email (pasting "123 456" works too)."""
    field = QLineEdit(parent)
    field.setAccessibleName("Code from the email")
    field.setPlaceholderText("6-digit code")
    field.setMaxLength(12)
    return field


def typed_code(field: QLineEdit) -> str:
    return "".join(ch for ch in field.text() if not ch.isspace())


def new_password_problem(password: str, repeat: str) -> str | None:
    """What is wrong with a new password before asking the service (it decides the rest)."""
    if not password:
        return "Enter the new password twice."
    if password != repeat:
        return "The two new passwords differ: type the same password in both fields."
    return None


class AccountFormDialog(QDialog):
    def __init__(self, services: Any, title: str, action: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setMinimumWidth(440)
        self.layout_ = QVBoxLayout(self)
        self.intro = QLabel("", self)
        self.intro.setWordWrap(True)
        self.layout_.addWidget(self.intro)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.banner = Banner(self)
        self.layout_.addWidget(self.banner)
        self.buttons = QDialogButtonBox(self)
        self.ok: QPushButton = self.buttons.addButton(
            action, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setDefault(True)
        self.cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.layout_.addWidget(self.buttons)
        self._action = action
        self.running = False

    # -- for the subclasses --------------------------------------------------------------
    def submit(self) -> None:
        raise NotImplementedError

    def set_action(self, text: str) -> None:
        self._action = text
        if not self.running:
            self.ok.setText(text)

    def begin(self, busy: str) -> None:
        """The action started: its button says what is happening and waits."""
        self.running = True
        self.ok.setEnabled(False)
        self.ok.setText(busy)
        self.banner.dismiss()
        fit_height(self)

    def finished_with(self, then: Callable[[Any], None]) -> Callable[[Any], None]:
        """A result callback that first ends the busy state."""
        def done(result: Any) -> None:
            self._idle()
            then(result)
        return done

    def fail(self, err: WyntekError | str) -> None:
        self._idle()
        self.banner.show_message(str(err), "error")
        fit_height(self)

    def note(self, text: str) -> None:
        self.banner.show_message(text, "success")
        fit_height(self)

    def error_text(self) -> str:
        return self.banner.text() if self.banner.kind == "error" else ""

    def _idle(self) -> None:
        self.running = False
        self.ok.setEnabled(True)
        self.ok.setText(self._action)
        self.idle_changed()

    def idle_changed(self) -> None:
        """Hook: enable the dialog's other buttons again."""

    def done(self, result: int) -> None:
        self.banner.dismiss()  # its fade timer must not outlive the dialog
        super().done(result)

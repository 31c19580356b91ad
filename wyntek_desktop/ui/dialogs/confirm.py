"""Confirmations for money and for what cannot be undone.

Window-modal and opened with ``open()`` (no nested event loop). The safe choice is the
default button, so a stray Enter never spends tokens or deletes anything; the action's
button names what it does ("Submit for 1,234 tokens", "Remove the job").
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget


def confirm(parent: QWidget, title: str, text: str, action: str,
            on_confirm: Callable[[], None], *, destructive: bool = False,
            informative: str = "", keep: str = "") -> QMessageBox:
    """Ask before ``on_confirm`` runs; returns the (already shown) box."""
    box = QMessageBox(QMessageBox.Icon.Warning if destructive else QMessageBox.Icon.Question,
                      title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName("confirmation")
    if informative:
        box.setInformativeText(informative)
    yes = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole if destructive
                        else QMessageBox.ButtonRole.AcceptRole)
    yes.setObjectName("confirm")
    no = box.addButton(QMessageBox.StandardButton.Cancel)
    no.setObjectName("cancel")
    if keep:  # when "Cancel" would be ambiguous ("Cancel the job" / "Cancel")
        no.setText(keep)
    box.setDefaultButton(no)
    box.setEscapeButton(no)

    def finished() -> None:
        if box.clickedButton() is yes:
            on_confirm()
        box.deleteLater()
    box.finished.connect(finished)
    box.open()
    return box


def confirm_submit(parent: QWidget, estimate: int | None, balance: int | None, files: int,
                   on_confirm: Callable[[], None]) -> QMessageBox:
    """Submit now spends tokens: say how many, and what happens next."""
    price = f"about {estimate:,} tokens" if estimate is not None else "its price in tokens"
    after = (f" Your balance is {balance:,} tokens." if balance is not None else
             " It is sent once you are signed in and online.")
    return confirm(
        parent, "Submit the job",
        f"Submit this job ({files} file{'s' if files != 1 else ''}) now for {price}?",
        f"Submit for {estimate:,} tokens" if estimate is not None else "Submit",
        on_confirm,
        informative="The files are uploaded, the service checks them and sets the final "
                    "price, and the tokens are taken from your balance when the job is "
                    "submitted." + after + " You can cancel it, with a refund, while it "
                    "is still 'Submitted'.")


def confirm_button(box: QMessageBox) -> QAbstractButton:
    """The button that goes ahead (scripts and tests press it as a person would)."""
    return next(b for b in box.buttons() if b.objectName() == "confirm")

"""Says, before Submit is pressed, that the balance does not cover the estimate."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


def shortfall_text(balance: int, estimate: int) -> str:
    return (f"Your balance ({balance:,} tokens) does not cover the estimate "
            f"({estimate:,} tokens): {estimate - balance:,} tokens short. Buy tokens to "
            "submit, or add the job to the outbox and send it later.")


class ShortfallNotice(QFrame):
    """Hidden unless the estimate is above the known balance; its button buys tokens."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortfall")
        self.setAccessibleName("Not enough tokens")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 4, 6, 4)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.buy = QPushButton("Buy tokens…", self)
        self.buy.setAccessibleName("Buy tokens to cover the estimate")
        row.addWidget(self.label, 1)
        row.addWidget(self.buy)
        self.short = 0
        self.hide()

    def update_for(self, balance: int | None, estimate: int | None) -> bool:
        """Show or hide for these numbers; True when the balance is known to be short."""
        short = balance is not None and estimate is not None and estimate > balance
        self.short = 0
        if short:
            assert balance is not None and estimate is not None
            self.short = estimate - balance
            self.label.setText(shortfall_text(balance, estimate))
        self.setVisible(short)
        return short

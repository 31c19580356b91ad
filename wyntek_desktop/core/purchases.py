"""Token packs and purchases as the app shows them (plain data: no HTTP, no Qt)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wyntek_desktop.core.models import Model

#: A purchase in one of these states will not change by waiting.
SETTLED = ("paid", "refunded", "expired", "failed")

STATUS_WORDS = {"pending": "Waiting for payment", "paid": "Paid", "refunded": "Refunded",
                "expired": "Checkout expired", "failed": "Checkout failed"}


def money(amount_cents: int, currency: str) -> str:
    """``1000, "eur"`` -> ``10.00 EUR`` (every currency on sale has two decimals)."""
    return f"{amount_cents / 100:,.2f} {currency.upper()}"


@dataclass(frozen=True)
class TokenPack(Model):
    id: str
    name: str
    tokens: int
    price_cents: int
    currency: str
    active: bool = True

    @property
    def price(self) -> str:
        return money(self.price_cents, self.currency)


@dataclass(frozen=True)
class Checkout(Model):
    purchase_id: str
    url: str


@dataclass(frozen=True)
class Purchase(Model):
    _times = ("created_at", "paid_at", "refunded_at")

    id: str
    pack_id: str
    tokens: int
    amount_cents: int
    currency: str
    status: str
    created_at: datetime | None = None
    paid_at: datetime | None = None
    refunded_cents: int = 0
    refunded_at: datetime | None = None

    @property
    def amount(self) -> str:
        return money(self.amount_cents, self.currency)

    @property
    def status_words(self) -> str:
        return STATUS_WORDS.get(self.status, self.status)

    @property
    def settled(self) -> bool:
        return self.status in SETTLED

    def receipt(self) -> str:
        """One sentence for the person who just paid (or whose checkout ended)."""
        if self.status == "paid":
            when = f" on {self.paid_at:%Y-%m-%d %H:%M} UTC" if self.paid_at else ""
            return (f"Paid {self.amount} for {self.tokens:,} tokens{when}; "
                    f"receipt number {self.id}. A receipt is on its way by email.")
        if self.status == "refunded":
            return f"Purchase {self.id} was refunded ({money(self.refunded_cents, self.currency)})."
        if self.status == "expired":
            return "The checkout expired before it was paid; nothing was charged."
        if self.status == "failed":
            return "The checkout could not be opened; nothing was charged."
        return "Waiting for the payment to be confirmed…"

"""Opening a Stripe Checkout through the create-checkout Edge Function.

The function decides the price and creates the purchase; the app sends only the pack id
and gets the address of the payment page. Card data never passes through the app.
"""

from __future__ import annotations

from typing import Any

from wyntek_desktop.api.session import Session
from wyntek_desktop.core import errors
from wyntek_desktop.core.purchases import Checkout


def _refusal(status: int, message: str) -> errors.WyntekError:
    if status == 401:
        return errors.SignInRequired(message or "Sign in to buy tokens.")
    if status == 404:
        return errors.NotFoundError(message, hint="See the packs with `wyntek buy`.")
    if status in (409, 429):
        return errors.ConflictError(message)
    if status < 500:
        return errors.ValidationError(message)
    return errors.ServerError(message or "The payment service is not answering; try again.")


def start_checkout(session: Session, pack_id: str) -> Checkout:
    """Create the purchase and its Checkout Session (blocking: call off the GUI thread)."""
    from supabase_functions.errors import FunctionsHttpError, FunctionsRelayError

    try:
        data: Any = session.client.functions.invoke(
            "create-checkout", {"body": {"pack_id": pack_id}, "responseType": "json"})
    except (FunctionsHttpError, FunctionsRelayError) as exc:
        raise _refusal(exc.status, exc.message) from None
    if not isinstance(data, dict) or not data.get("url") or not data.get("purchase_id"):
        raise errors.ServerError("The checkout service sent an unexpected answer.")
    return Checkout(purchase_id=str(data["purchase_id"]), url=str(data["url"]))

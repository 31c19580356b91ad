"""A Stripe test-mode stand-in at the wire level: the API calls the official SDK makes
(Checkout Sessions, refunds), a checkout page on loopback that "pays" with Stripe's test
cards, and webhooks signed the way Stripe signs them."""

from .standin import StripeStandIn, sign_payload

__all__ = ["StripeStandIn", "sign_payload"]

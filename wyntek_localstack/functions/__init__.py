"""Supabase Edge Functions in the local stack: supabase/functions/ under Deno at
``/functions/v1/<name>``, with the Stripe and Resend stand-ins they talk to and the
scheduled email drain."""

from .gateway import routes
from .services import EdgeServices

__all__ = ["EdgeServices", "routes"]

"""Supabase Edge Functions in the local stack: supabase/functions/ under Deno at
``/functions/v1/<name>``, with the Stripe and Resend stand-ins they talk to and the
scheduled email drain; ``/local/`` serves the pages Checkout returns to and the caught
mail."""

from __future__ import annotations

from ..context import Context
from ..service import Service
from .gateway import EdgeState, page_routes, routes
from .services import EdgeServices

SERVICE = Service("/functions/v1", routes)
LOCAL_PAGES = Service("/local", page_routes)


def start_edge(ctx: Context, dsn: str) -> EdgeServices:
    """Start the edge services for this server and make them reachable from its routes."""
    from ..database import find_supabase_dir
    edge = EdgeServices(data_dir=ctx.settings.data_dir, supabase_dir=find_supabase_dir(),
                        public_url=ctx.settings.public_url, anon_key=ctx.keys.anon_key,
                        service_role_key=ctx.keys.service_role_key, dsn=dsn).start()
    ctx.state(EdgeState).services = edge
    return edge


__all__ = ["LOCAL_PAGES", "SERVICE", "EdgeServices", "start_edge"]

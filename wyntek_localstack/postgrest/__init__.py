"""PostgREST (`/rest/v1`): tables, filters and RPC over the exposed `public` schema."""

from ..service import Service
from .handlers import load_schema, routes

SERVICE = Service("/rest/v1", routes, startup=load_schema)

__all__ = ["SERVICE", "load_schema", "routes"]

"""PostgREST (`/rest/v1`): tables, filters and RPC over the exposed `public` schema."""

from .handlers import load_schema, routes

__all__ = ["load_schema", "routes"]

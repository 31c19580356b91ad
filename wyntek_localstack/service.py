"""How a service plugs into the app: a path prefix, its routes, an optional start-up step.

Each emulated service package (`gotrue`, `postgrest`, `storage`, ...) exposes one
`SERVICE`; `app.SERVICES` lists them, so adding a service is one line there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from starlette.routing import BaseRoute

from .context import Context


@dataclass(frozen=True)
class Service:
    prefix: str  # e.g. "/storage/v1", as the gateway routes it
    routes: Callable[[], Sequence[BaseRoute]]
    # Runs once the pool is open, before the first request.
    startup: Callable[[Context], Awaitable[None]] | None = None

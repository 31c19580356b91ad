"""The ASGI application: GoTrue, PostgREST and Storage under one origin, like the gateway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount

from . import auth
from .context import Context, InvalidApiKey
from .responses import json_response


async def _invalid_api_key(request: Request, exc: Exception) -> Response:
    return json_response({"message": "Invalid authentication credentials"}, 401)


def build_app(ctx: Context) -> Starlette:
    from . import functions, rest, storage  # imported here: each service is optional

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ctx.extras["loop"] = asyncio.get_running_loop()
        await ctx.pool.open()
        await rest.load_schema(ctx)
        try:
            yield
        finally:
            await ctx.pool.close()

    routes: list[Any] = [
        Mount("/auth/v1", routes=auth.routes),
        Mount("/rest/v1", routes=rest.routes),
        Mount("/storage/v1", routes=storage.routes()),
        *functions.routes(),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={InvalidApiKey: _invalid_api_key})
    app.state.ctx = ctx
    return app

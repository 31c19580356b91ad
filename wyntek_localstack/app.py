"""The ASGI application: every emulated service under one origin, like the gateway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount

from . import functions, gotrue, postgrest, request_counts, storage
from .context import Context, InvalidApiKey
from .responses import json_response
from .service import Service

# The one place where services mount: add a package's SERVICE here.
SERVICES: tuple[Service, ...] = (
    gotrue.SERVICE,
    postgrest.SERVICE,
    storage.SERVICE,
    functions.SERVICE,
    functions.LOCAL_PAGES,
    request_counts.SERVICE,
)


async def _invalid_api_key(request: Request, exc: Exception) -> Response:
    return json_response({"message": "Invalid authentication credentials"}, 401)


def build_app(ctx: Context, services: tuple[Service, ...] = SERVICES) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ctx.loop = asyncio.get_running_loop()
        await ctx.pool.open()
        for service in services:
            if service.startup is not None:
                await service.startup(ctx)
        try:
            yield
        finally:
            await ctx.pool.close()

    routes = [Mount(service.prefix, routes=list(service.routes())) for service in services]
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={InvalidApiKey: _invalid_api_key})
    app.add_middleware(request_counts.CountRequests, ctx=ctx)
    app.state.ctx = ctx
    return app

"""Request counts per route family: what a test asks to prove a path was NOT taken
(e.g. a reorder sends no TUS upload), like the mail catcher proves what was sent.

Every HTTP request is counted under ``"<METHOD> <first four path segments>"``, e.g.
``"PATCH /storage/v1/upload/resumable"`` or ``"POST /storage/v1/object/copy"``.
``GET /debug/v1/request-counts`` (service role only) answers the counts as JSON.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .context import Context, Settings, TokenError, context_of
from .responses import json_response
from .service import Service


class RequestCounts:
    def __init__(self, settings: Settings) -> None:
        self.counts: Counter[str] = Counter()


def family(method: str, path: str) -> str:
    return f"{method} /" + "/".join([p for p in path.split("/") if p][:4])


class CountRequests:
    """ASGI middleware: counts each HTTP request before handing it on."""

    def __init__(self, app: ASGIApp, ctx: Context) -> None:
        self.app, self.ctx = app, ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.ctx.state(RequestCounts).counts[family(scope["method"], scope["path"])] += 1
        await self.app(scope, receive, send)


async def request_counts(request: Request) -> Response:
    ctx = context_of(request)
    try:
        role = ctx.caller(request).role
    except TokenError:
        role = "anon"
    if role != "service_role":
        return json_response({"message": "The request counts are for the service role."}, 403)
    data: dict[str, Any] = dict(ctx.state(RequestCounts).counts)
    return json_response(data)


def routes() -> list[BaseRoute]:
    return [Route("/request-counts", request_counts, methods=["GET"])]


SERVICE = Service("/debug/v1", routes)

"""``/functions/v1/<name>``: the gateway's JWT check (per supabase/config.toml), then the
request as is to the Deno runtime; plus the local pages Checkout returns to and the mail
catcher's pages."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import anyio
import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from ..context import Settings, TokenError, context_of
from ..responses import json_response

# Hop-by-hop and length headers are the proxy's own business.
_DROPPED = {"host", "content-length", "connection", "keep-alive", "transfer-encoding",
            "te", "upgrade", "proxy-authorization"}


class EdgeState:
    """The running edge services of this server (set at start-up by ``start_edge``)."""

    def __init__(self, settings: Settings) -> None:
        self.services: Any = None


def _edge(request: Request) -> Any:
    return context_of(request).state(EdgeState).services


def jwt_required(config_toml: Path) -> dict[str, bool]:
    """verify_jwt per function from config.toml (a function not listed checks the JWT)."""
    try:
        config = tomllib.loads(config_toml.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    functions = config.get("functions", {})
    return {name: bool(section.get("verify_jwt", True))
            for name, section in functions.items() if isinstance(section, dict)}


async def invoke(request: Request) -> Response:
    ctx = context_of(request)
    edge = _edge(request)
    name = request.path_params["name"]
    if edge is None or name not in edge.names:
        return json_response({"code": "NOT_FOUND", "message": "Requested function was not found"},
                             404)
    if edge.verify_jwt.get(name, True):
        token = ctx.bearer(request)
        if token is None:
            return json_response({"code": 401, "message": "Missing authorization header"}, 401)
        try:
            ctx.keys.verify(token)
        except TokenError:
            return json_response({"code": 401, "message": "Invalid JWT"}, 401)
    try:
        port = await anyio.to_thread.run_sync(edge.runtime.ensure_started)
    except RuntimeError as exc:
        return json_response({"code": "BOOT_ERROR", "message": str(exc)}, 503)
    rest = request.path_params.get("rest", "")
    target = f"http://127.0.0.1:{port}/{name}" + (f"/{rest}" if rest else "")
    if request.url.query:
        target += f"?{request.url.query}"
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROPPED}
    try:
        upstream = await edge.client.request(request.method, target, headers=headers,
                                             content=await request.body())
    except httpx.HTTPError:
        return json_response({"code": "WORKER_ERROR",
                              "message": "The function did not answer; see the stack's log."}, 502)
    passed = {k: v for k, v in upstream.headers.items()
              if k.lower() not in _DROPPED and k.lower() != "content-encoding"}
    return Response(upstream.content, status_code=upstream.status_code, headers=passed)


async def checkout_done(request: Request) -> Response:
    return HTMLResponse(_page(
        "Payment received",
        "<h1>Thank you</h1><p id=message>Your payment went through. The tokens appear in "
        "WYNTEK Desktop as soon as Stripe confirms it; you can close this tab.</p>"))


async def checkout_cancelled(request: Request) -> Response:
    return HTMLResponse(_page(
        "Checkout cancelled",
        "<h1>Checkout cancelled</h1><p id=message>Nothing was charged. You can close this tab "
        "and buy again from WYNTEK Desktop.</p>"))


async def mail_index(request: Request) -> Response:
    edge = _edge(request)
    if edge is None:
        return HTMLResponse(_page("Local mail", "<p>Mail is off.</p>"), 404)
    response: Response = await edge.catcher.index_page(request)
    return response


async def mail_message(request: Request) -> Response:
    edge = _edge(request)
    if edge is None:
        return HTMLResponse(_page("Local mail", "<p>Mail is off.</p>"), 404)
    response: Response = await edge.catcher.message_page(request)
    return response


def _page(title: str, body: str) -> str:
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>{title}</title><style>body{{font-family:sans-serif;max-width:36em;"
            "margin:3em auto;line-height:1.5}</style></head>"
            f"<body>{body}</body></html>")


_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def routes() -> list[BaseRoute]:
    """Under /functions/v1."""
    return [Route("/{name}", invoke, methods=_METHODS),
            Route("/{name}/{rest:path}", invoke, methods=_METHODS)]


def page_routes() -> list[BaseRoute]:
    """Under /local: where Checkout returns to, and the caught mail."""
    return [Route("/checkout/done", checkout_done, methods=["GET"]),
            Route("/checkout/cancelled", checkout_cancelled, methods=["GET"]),
            Route("/mail", mail_index, methods=["GET"]),
            Route("/mail/{name}", mail_message, methods=["GET"])]

"""GoTrue's error envelope and the wrapper every endpoint goes through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
from starlette.requests import Request
from starlette.responses import Response

from ..responses import json_response, read_json

API_VERSION = "2024-01-01"


class AuthError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def error_response(request: Request, err: AuthError) -> Response:
    headers = {"x-sb-error-code": err.code}
    if request.headers.get("x-supabase-api-version"):
        headers["X-Supabase-Api-Version"] = API_VERSION
        body: dict[str, Any] = {"code": err.code, "message": err.message, **err.extra}
    else:
        body = {"code": err.status, "error_code": err.code, "msg": err.message, **err.extra}
    return json_response(body, err.status, headers)


def ok(request: Request, body: Any, status: int = 200,
        headers: dict[str, str] | None = None) -> Response:
    out = dict(headers or {})
    if request.headers.get("x-supabase-api-version"):
        out["X-Supabase-Api-Version"] = API_VERSION
    return json_response(body, status, out)


async def read_body(request: Request) -> dict[str, Any]:
    try:
        body = await read_json(request)
    except ValueError as exc:
        raise AuthError(400, "bad_json", f"Could not parse request body as JSON: {exc}") from None
    if not isinstance(body, dict):
        raise AuthError(400, "bad_json", "Could not parse request body as JSON: expected an object")
    return body


Handler = Callable[[Request], Awaitable[Response]]


def endpoint(handler: Handler) -> Handler:
    """Answer AuthError (and database refusals) in GoTrue's shapes."""
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except AuthError as err:
            return error_response(request, err)
        except psycopg.Error as exc:
            # e.g. a project trigger on auth.users refusing the row: GoTrue's 500 shape.
            message = exc.diag.message_primary or "Database error"
            return error_response(request, AuthError(500, "unexpected_failure",
                                                     f"Database error: {message}"))
    return wrapped

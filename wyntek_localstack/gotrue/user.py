"""`/user` (read, update) and `/logout` for the bearer of an access token."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from ..context import Context, context_of
from ..keys import TokenError
from ..pg import ADMIN
from .email_change import begin_email_change
from .errors import AuthError, ok, read_body
from .users import apply_user_changes, load_user, user_json


def user_claims(ctx: Context, request: Request) -> dict[str, Any]:
    token = ctx.bearer(request)
    if token is None:
        raise AuthError(401, "no_authorization",
                        "This endpoint requires a valid Bearer token")
    try:
        claims = ctx.keys.verify(token)
    except TokenError as exc:
        detail = "token is expired" if exc.expired else exc.message
        raise AuthError(403, "bad_jwt",
                        f"invalid JWT: unable to parse or verify signature, {detail}") from None
    if not claims.get("sub"):
        raise AuthError(403, "bad_jwt", "invalid claim: missing sub claim")
    return claims


async def _current_user(ctx: Context, conn: AsyncConnection[Any], claims: dict[str, Any],
                        *, lock: bool = False) -> dict[str, Any]:
    user = await load_user(conn, claims["sub"], lock=lock)
    if user is None:
        raise AuthError(403, "user_not_found", "User from sub claim in JWT does not exist")
    session_id = claims.get("session_id")
    if session_id:
        cur = await conn.execute("select 1 from auth.sessions where id = %s", [session_id])
        if await cur.fetchone() is None:
            raise AuthError(403, "session_not_found",
                            "Session from session_id claim in JWT does not exist")
    return user


async def get_user(request: Request) -> Response:
    ctx = context_of(request)
    claims = user_claims(ctx, request)
    async with ctx.pool.transaction(ADMIN, read_only=True) as conn:
        user = await _current_user(ctx, conn, claims)
    return ok(request, user_json(user))


async def put_user(request: Request) -> Response:
    ctx = context_of(request)
    claims = user_claims(ctx, request)
    body = await read_body(request)
    async with ctx.pool.transaction(ADMIN) as conn:
        user = await _current_user(ctx, conn, claims, lock=True)

        async def confirm_new_email(email: str) -> None:
            await begin_email_change(ctx, conn, user, email)
        await apply_user_changes(conn, user, body, admin=False, email_change=confirm_new_email)
        user = await load_user(conn, str(user["id"])) or user
    return ok(request, user_json(user))


async def logout(request: Request) -> Response:
    ctx = context_of(request)
    claims = user_claims(ctx, request)
    scope = request.query_params.get("scope", "global")
    if scope not in ("global", "local", "others"):
        raise AuthError(400, "validation_failed",
                        "Unsupported logout scope. Must be one of: global, local, others")
    session_id = claims.get("session_id")
    async with ctx.pool.transaction(ADMIN) as conn:
        if scope == "global":
            await conn.execute("delete from auth.sessions where user_id = %s", [claims["sub"]])
        elif scope == "local":
            await conn.execute("delete from auth.sessions where id = %s", [session_id])
        else:
            await conn.execute("delete from auth.sessions where user_id = %s and id <> %s",
                               [claims["sub"], session_id])
    return Response(status_code=204)

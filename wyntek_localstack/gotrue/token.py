"""`POST /token`: the password grant and refresh-token rotation with its reuse interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from ..context import Context, context_of
from ..pg import ADMIN
from .errors import AuthError, ok, read_body
from .sessions import child_token, new_refresh_token, session_json, sha256_hex, start_session
from .users import load_user, load_user_by_email, password_matches


async def token(request: Request) -> Response:
    grant = request.query_params.get("grant_type", "")
    body = await read_body(request)
    if grant == "password":
        return await _password_grant(request, body)
    if grant == "refresh_token":
        return await _refresh_grant(request, body)
    raise AuthError(400, "invalid_credentials", "unsupported_grant_type")


async def _password_grant(request: Request, body: dict[str, Any]) -> Response:
    ctx = context_of(request)
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not isinstance(password, str) or not email or not password:
        raise AuthError(400, "validation_failed",
                        "Only an email address or phone number should be provided on login.")
    async with ctx.pool.transaction(ADMIN) as conn:
        user = await load_user_by_email(conn, email.strip())
        if user is None or not await password_matches(password, user.get("encrypted_password")):
            raise AuthError(400, "invalid_credentials", "Invalid login credentials")
        if user.get("email_confirmed_at") is None:
            raise AuthError(400, "email_not_confirmed", "Email not confirmed")
        _refuse_banned(user)
        session = await start_session(ctx, conn, user)
    return ok(request, session)


def _refuse_banned(user: dict[str, Any]) -> None:
    banned = user.get("banned_until")
    if banned is not None and banned > datetime.now(UTC):
        raise AuthError(400, "user_banned", "User is banned")


async def _refresh_grant(request: Request, body: dict[str, Any]) -> Response:
    # The Authorization header carries the (possibly expired) access token: ignore it.
    ctx = context_of(request)
    raw = body.get("refresh_token")
    if not isinstance(raw, str) or not raw:
        raise AuthError(400, "validation_failed", "refresh_token required")
    if len(raw) < 12:
        raise AuthError(400, "validation_failed", "Refresh token is not valid")
    async with ctx.pool.transaction(ADMIN) as conn:
        cur = await conn.execute(
            """select rt.*, s.created_at as session_created, s.amr_method, s.not_after
               from auth.refresh_tokens rt join auth.sessions s on s.id = rt.session_id
               where rt.token = %s for update of rt, s""", [sha256_hex(raw)])
        row = await cur.fetchone()
        if row is None:
            raise AuthError(400, "refresh_token_not_found",
                            "Invalid Refresh Token: Refresh Token Not Found")
        user = await load_user(conn, row["user_id"])
        if user is None:
            raise AuthError(400, "refresh_token_not_found",
                            "Invalid Refresh Token: Refresh Token Not Found")
        _refuse_banned(user)
        if row["not_after"] is not None and row["not_after"] < datetime.now(UTC):
            raise AuthError(400, "session_expired", "Invalid Refresh Token: Session Expired")
        session_id = str(row["session_id"])
        new_token: str | None = None
        if row["revoked"]:
            new_token = await _replay_within_interval(ctx, conn, row, raw)
            if new_token is None:
                # Reuse outside the grace window: treat as theft and end the whole session
                # (committed before the error is returned).
                await conn.execute("update auth.refresh_tokens set revoked = true, "
                                   "updated_at = now() where session_id = %s", [session_id])
        else:
            await conn.execute("update auth.refresh_tokens set revoked = true, updated_at = now() "
                               "where id = %s", [row["id"]])
            new_token = await new_refresh_token(conn, str(user["id"]), session_id, row["token"],
                                                 child_token(ctx.keys.secret, raw))
        if new_token is not None:
            await conn.execute("update auth.sessions set refreshed_at = now(), "
                               "updated_at = now() where id = %s", [session_id])
            session = session_json(ctx, user, session_id, row["amr_method"],
                                    row["session_created"], new_token)
    if new_token is None:
        raise AuthError(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used")
    return ok(request, session)


async def _replay_within_interval(ctx: Context, conn: AsyncConnection[Any],
                                  row: dict[str, Any], presented: str) -> str | None:
    """A rotated token replayed shortly after its rotation gets the session's current
    token back (following the chain of derived successors), as GoTrue does.

    Returns None when the replay falls outside the reuse interval or the chain is broken
    (then the caller treats it as reuse).
    """
    window = timedelta(seconds=ctx.settings.refresh_reuse_interval)
    if row["updated_at"] + window < datetime.now(UTC):
        return None
    token = presented
    for _ in range(10):
        token = child_token(ctx.keys.secret, token)
        cur = await conn.execute("select revoked from auth.refresh_tokens where token = %s "
                                 "and session_id = %s", [sha256_hex(token), row["session_id"]])
        child = await cur.fetchone()
        if child is None:
            return None
        if not child["revoked"]:
            return token
    return None

"""`/verify`: redeem a recovery link (GET, redirect) or an emailed code (POST): recovery,
email change (both addresses' codes) and sign-up confirmation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from psycopg import AsyncConnection
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..context import Context, Settings, context_of
from ..pg import ADMIN
from .email_change import SINGLE_CONFIRMATION, consume_email_change
from .errors import AuthError, ok, read_body
from .mail import expired
from .recover import RECOVERY_LIFETIME, recovery_token_hash
from .sessions import start_session
from .users import USER_SQL, check_email

MAX_OTP_FAILURES = 5


@dataclass
class OtpFailures:
    """Wrong recovery codes per address since the last good one (in memory)."""

    settings: Settings
    counts: dict[str, int] = field(default_factory=dict)


async def _consume_recovery(conn: AsyncConnection[Any], token_hash: str) -> dict[str, Any]:
    cur = await conn.execute(
        USER_SQL.format(where="u.recovery_token = %s and u.deleted_at is null")
        + " for update of u", [token_hash])
    user = await cur.fetchone()
    sent = user.get("recovery_sent_at") if user else None
    if user is None or sent is None or \
            sent + timedelta(seconds=RECOVERY_LIFETIME) < datetime.now(UTC):
        raise AuthError(403, "otp_expired", "Token has expired or is invalid")
    await conn.execute("update auth.users set recovery_token = '', email_confirmed_at = "
                       "coalesce(email_confirmed_at, now()) where id = %s", [user["id"]])
    return user


OTP_TYPES = ("recovery", "email_change", "signup", "email", "magiclink", "invite")


async def _consume_confirmation(conn: AsyncConnection[Any], token_hash: str) -> dict[str, Any]:
    """A sign-up (or invite / magic-link) code: confirms the address."""
    cur = await conn.execute(
        USER_SQL.format(where="u.confirmation_token = %s and u.deleted_at is null")
        + " for update of u", [token_hash])
    user = await cur.fetchone()
    if user is None or expired(user.get("confirmation_sent_at")):
        raise AuthError(403, "otp_expired", "Token has expired or is invalid")
    await conn.execute("update auth.users set confirmation_token = '', email_confirmed_at = "
                       "coalesce(email_confirmed_at, now()) where id = %s", [user["id"]])
    return user


async def verify_post(request: Request) -> Response:
    ctx = context_of(request)
    body = await read_body(request)
    kind = body.get("type")
    if not kind:
        raise AuthError(400, "validation_failed", "Verify requires a verification type")
    if kind not in OTP_TYPES:
        raise AuthError(400, "validation_failed", "Unsupported verification type")
    email: str | None = None
    if body.get("token_hash"):
        token_hash = str(body["token_hash"])
        if kind == "email_change":
            email = check_email(body.get("email"))
    else:
        if not body.get("token"):
            raise AuthError(400, "validation_failed", "Verify requires a token or a token hash")
        email = check_email(body.get("email"))
        token_hash = recovery_token_hash(email, str(body.get("token", "")).strip())
    failures = ctx.state(OtpFailures).counts
    failure_key = f"{kind}:{email}"
    try:
        async with ctx.pool.transaction(ADMIN) as conn:
            if kind == "recovery":
                user = await _consume_recovery(conn, token_hash)
            elif kind == "email_change":
                assert email is not None
                changed = await consume_email_change(conn, email, token_hash)
                if changed is None:
                    failures.pop(failure_key, None)
                    return ok(request, {"msg": SINGLE_CONFIRMATION, "code": "200"})
                user = changed
            elif kind in ("magiclink", "email"):
                # GoTrue: a magic-link code of a confirmed user sits in recovery_token; an
                # "email" code may be either kind.
                try:
                    user = await _consume_recovery(conn, token_hash)
                except AuthError:
                    if kind == "magiclink":
                        raise
                    user = await _consume_confirmation(conn, token_hash)
            else:
                user = await _consume_confirmation(conn, token_hash)
            session = await start_session(ctx, conn, user, amr_method="otp")
    except AuthError as err:
        if email is not None and err.code == "otp_expired":
            # Six digits are guessable: a few wrong codes void the pending one.
            failures[failure_key] = failures.get(failure_key, 0) + 1
            if failures[failure_key] >= MAX_OTP_FAILURES:
                failures.pop(failure_key, None)
                await _void_codes(ctx, kind, email)
        raise
    failures.pop(failure_key, None)
    return ok(request, session)


async def _void_codes(ctx: Context, kind: str, email: str) -> None:
    async with ctx.pool.transaction(ADMIN) as conn:
        if kind in ("recovery", "magiclink", "email"):
            await conn.execute("update auth.users set recovery_token = '' "
                               "where lower(email) = %s", [email])
        elif kind == "email_change":
            await conn.execute(
                """update auth.users set email_change_token_new = '',
                       email_change_token_current = '', email_change = ''
                   where lower(email) = %s or lower(email_change) = %s""", [email, email])
        else:
            await conn.execute("update auth.users set confirmation_token = '' "
                               "where lower(email) = %s", [email])


async def verify_get(request: Request) -> Response:
    ctx = context_of(request)
    params = request.query_params
    redirect_to = params.get("redirect_to") or ctx.settings.public_url
    if params.get("type") != "recovery":
        raise AuthError(400, "validation_failed", "Verify requires a verification type")
    try:
        async with ctx.pool.transaction(ADMIN) as conn:
            user = await _consume_recovery(conn, params.get("token", ""))
            session = await start_session(ctx, conn, user, amr_method="otp")
    except AuthError as err:
        fragment = urlencode({"error": "access_denied", "error_code": err.code,
                              "error_description": err.message})
        return RedirectResponse(f"{redirect_to}#{fragment}", status_code=303)
    fragment = urlencode({"access_token": session["access_token"],
                          "expires_at": session["expires_at"],
                          "expires_in": session["expires_in"],
                          "refresh_token": session["refresh_token"],
                          "token_type": "bearer", "type": "recovery"})
    return RedirectResponse(f"{redirect_to}#{fragment}", status_code=303)

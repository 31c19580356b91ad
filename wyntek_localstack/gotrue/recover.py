"""`POST /recover`: a recovery mail with a six-digit code (typed into the app)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from ..context import context_of
from ..pg import ADMIN
from .errors import ok, read_body
from .mail import OTP_LIFETIME, check_send_interval, new_otp, send, token_hash
from .users import check_email, load_user_by_email

RECOVERY_LIFETIME = OTP_LIFETIME


recovery_token_hash = token_hash


async def recover(request: Request) -> Response:
    ctx = context_of(request)
    body = await read_body(request)
    email = check_email(body.get("email"))
    redirect_to = request.query_params.get("redirect_to") or ctx.settings.public_url
    async with ctx.pool.transaction(ADMIN) as conn:
        user = await load_user_by_email(conn, email)
        if user is not None:  # unknown addresses get the same answer (no enumeration)
            check_send_interval(user.get("recovery_sent_at"))
            otp = new_otp()
            hashed = recovery_token_hash(email, otp)
            await conn.execute("update auth.users set recovery_token = %s, "
                               "recovery_sent_at = now() where id = %s", [hashed, user["id"]])
            link = (f"{ctx.settings.public_url}/auth/v1/verify?"
                    + urlencode({"token": hashed, "type": "recovery",
                                 "redirect_to": redirect_to}, quote_via=quote))
            send(ctx.settings.data_dir, email, "recovery",
                 {"Email": email, "Token": otp, "ConfirmationURL": link,
                  "SiteURL": ctx.settings.public_url})
    return ok(request, {})

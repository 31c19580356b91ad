"""`POST /otp`: sign in with an emailed code (GoTrue's magic link). The code goes into
``recovery_token`` as GoTrue does for confirmed users, and is redeemed with `/verify`
type ``magiclink`` or ``email``. Unknown addresses become users when ``create_user`` is
true (the default), as sign-ups are open and confirmed at once in this project."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from ..context import context_of
from ..pg import ADMIN
from .errors import AuthError, ok, read_body
from .mail import check_send_interval, new_otp, send, token_hash
from .users import check_email, create_user, load_user_by_email


async def otp(request: Request) -> Response:
    ctx = context_of(request)
    body = await read_body(request)
    if body.get("phone") and not body.get("email"):
        raise AuthError(400, "phone_provider_disabled", "Unsupported phone provider")
    email = check_email(body.get("email"))
    data = body.get("data") or {}
    if not isinstance(data, dict):
        raise AuthError(400, "validation_failed", "data must be an object")
    redirect_to = request.query_params.get("redirect_to") or ctx.settings.public_url
    async with ctx.pool.transaction(ADMIN) as conn:
        user = await load_user_by_email(conn, email)
        if user is None:
            if body.get("create_user", True) is False:
                raise AuthError(422, "otp_disabled", "Signups not allowed for otp")
            user = await create_user(conn, email=email, password=None, user_metadata=data)
        check_send_interval(user.get("recovery_sent_at"))
        code = new_otp()
        hashed = token_hash(email, code)
        await conn.execute("update auth.users set recovery_token = %s, recovery_sent_at = now() "
                           "where id = %s", [hashed, user["id"]])
        link = (f"{ctx.settings.public_url}/auth/v1/verify?"
                + urlencode({"token": hashed, "type": "magiclink", "redirect_to": redirect_to},
                            quote_via=quote))
        send(ctx.settings.data_dir, email, "magic_link",
             {"Email": email, "Token": code, "ConfirmationURL": link,
              "SiteURL": ctx.settings.public_url})
    return ok(request, {})

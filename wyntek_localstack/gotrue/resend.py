"""`POST /resend`: send the codes of a pending email change again (new codes, same
frequency limit), or a sign-up confirmation (none is pending here: sign-ups are
confirmed at once, so there is nothing to send)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..context import context_of
from ..pg import ADMIN
from .email_change import begin_email_change
from .errors import AuthError, ok, read_body
from .users import check_email, load_user_by_email


async def resend(request: Request) -> Response:
    ctx = context_of(request)
    body = await read_body(request)
    kind = body.get("type")
    if kind not in ("signup", "email_change", "sms", "phone_change"):
        raise AuthError(400, "validation_failed",
                        "Missing one of these types: signup, email_change, sms, phone_change")
    if kind in ("sms", "phone_change"):
        raise AuthError(400, "phone_provider_disabled", "Unsupported phone provider")
    email = check_email(body.get("email"))
    async with ctx.pool.transaction(ADMIN) as conn:
        user = await load_user_by_email(conn, email)
        # Unknown addresses and nothing pending get the same answer (no enumeration).
        if user is not None and kind == "email_change" and user.get("email_change"):
            await begin_email_change(ctx, conn, user, str(user["email_change"]))
    return ok(request, {})

"""`POST /signup`: email + password accounts (auto-confirmed, as the project runs)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..context import context_of
from ..pg import ADMIN
from .errors import AuthError, ok, read_body
from .sessions import start_session
from .users import check_email, check_password_strength, create_user


async def signup(request: Request) -> Response:
    ctx = context_of(request)
    body = await read_body(request)
    if not body.get("email") and not body.get("phone") and not body.get("password"):
        raise AuthError(422, "anonymous_provider_disabled", "Anonymous sign-ins are disabled")
    if body.get("phone") and not body.get("email"):
        raise AuthError(400, "phone_provider_disabled", "Phone signups are disabled")
    email = check_email(body.get("email"))
    if not body.get("password"):
        raise AuthError(422, "validation_failed", "Signup requires a valid password")
    password = check_password_strength(body.get("password"))
    data = body.get("data") or {}
    if not isinstance(data, dict):
        raise AuthError(400, "validation_failed", "data must be an object")
    async with ctx.pool.transaction(ADMIN) as conn:
        user = await create_user(conn, email=email, password=password, user_metadata=data)
        session = await start_session(ctx, conn, user)
    return ok(request, session)

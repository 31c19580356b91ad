"""`/admin/users`: the service role's user management."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..context import Context, context_of
from ..keys import TokenError
from ..pg import ADMIN
from .errors import AuthError, ok, read_body
from .users import (
    USER_SQL,
    apply_user_changes,
    check_email,
    check_password_strength,
    create_user,
    load_user,
    user_json,
)

ADMIN_ROLES = ("service_role", "supabase_admin")


def _require_admin(ctx: Context, request: Request) -> None:
    token = ctx.bearer(request)
    if token is None:
        raise AuthError(401, "no_authorization", "This endpoint requires a valid Bearer token")
    try:
        claims = ctx.keys.verify(token)
    except TokenError as exc:
        raise AuthError(403, "bad_jwt",
                        f"invalid JWT: unable to parse or verify signature, {exc.message}") \
            from None
    if claims.get("role") not in ADMIN_ROLES:
        raise AuthError(403, "not_admin", "User not allowed")


async def admin_list_users(request: Request) -> Response:
    ctx = context_of(request)
    _require_admin(ctx, request)
    try:
        page = max(1, int(request.query_params.get("page") or 1))
        per_page = max(1, min(1000, int(request.query_params.get("per_page") or 50)))
    except ValueError:
        raise AuthError(400, "validation_failed", "Bad Pagination Parameters") from None
    async with ctx.pool.transaction(ADMIN, read_only=True) as conn:
        cur = await conn.execute("select count(*) as n from auth.users")
        total = (await cur.fetchone() or {"n": 0})["n"]
        cur = await conn.execute(USER_SQL.format(where="true")
                                 + " order by u.created_at desc, u.id limit %s offset %s",
                                 [per_page, (page - 1) * per_page])
        rows = await cur.fetchall()
    return ok(request, {"users": [user_json(r) for r in rows], "aud": "authenticated"},
               headers={"X-Total-Count": str(total)})


async def admin_create_user(request: Request) -> Response:
    ctx = context_of(request)
    _require_admin(ctx, request)
    body = await read_body(request)
    email = check_email(body.get("email"))
    password = body.get("password")
    if password is not None:
        password = check_password_strength(password)
    app_metadata = body.get("app_metadata") or {}
    user_metadata = body.get("user_metadata") or body.get("data") or {}
    if not isinstance(app_metadata, dict) or not isinstance(user_metadata, dict):
        raise AuthError(400, "validation_failed", "metadata must be an object")
    async with ctx.pool.transaction(ADMIN) as conn:
        user = await create_user(conn, email=email, password=password,
                                 user_metadata=user_metadata, app_metadata=app_metadata,
                                 confirmed=bool(body.get("email_confirm")),
                                 role=str(body.get("role") or "authenticated"),
                                 duplicate_code="email_exists")
    return ok(request, user_json(user))


async def admin_get_user(request: Request) -> Response:
    ctx = context_of(request)
    _require_admin(ctx, request)
    async with ctx.pool.transaction(ADMIN, read_only=True) as conn:
        user = await load_user(conn, request.path_params["user_id"])
    if user is None:
        raise AuthError(404, "user_not_found", "User not found")
    return ok(request, user_json(user))


async def admin_update_user(request: Request) -> Response:
    ctx = context_of(request)
    _require_admin(ctx, request)
    body = await read_body(request)
    async with ctx.pool.transaction(ADMIN) as conn:
        user = await load_user(conn, request.path_params["user_id"], lock=True)
        if user is None:
            raise AuthError(404, "user_not_found", "User not found")
        await apply_user_changes(conn, user, body, admin=True)
        user = await load_user(conn, str(user["id"])) or user
    return ok(request, user_json(user))


async def admin_delete_user(request: Request) -> Response:
    ctx = context_of(request)
    _require_admin(ctx, request)
    async with ctx.pool.transaction(ADMIN) as conn:
        user = await load_user(conn, request.path_params["user_id"], lock=True)
        if user is None:
            raise AuthError(404, "user_not_found", "User not found")
        await conn.execute("delete from auth.users where id = %s", [user["id"]])
    return ok(request, {})

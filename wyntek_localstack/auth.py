"""GoTrue (`/auth/v1`): sign-up, password and refresh grants, user, logout, recovery, admin.

Wire shapes follow GoTrue: errors are `{"code","message"}` plus the
`X-Supabase-Api-Version` echo when the client sent that header (the Python client always
does), else the legacy `{"code":<status>,"error_code","msg"}`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import anyio
import bcrypt
import psycopg
from psycopg import AsyncConnection
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .context import Context, context_of
from .keys import TokenError
from .pg import ADMIN
from .responses import json_response, read_json

API_VERSION = "2024-01-01"
MIN_PASSWORD = 6
MAX_PASSWORD_BYTES = 72  # bcrypt's limit; GoTrue refuses longer passwords too
BCRYPT_COST = 10
RECOVERY_LIFETIME = 3600
EMAIL_RESEND_INTERVAL = 60
MAX_OTP_FAILURES = 5
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ADMIN_ROLES = ("service_role", "supabase_admin")


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


def _ok(request: Request, body: Any, status: int = 200,
        headers: dict[str, str] | None = None) -> Response:
    out = dict(headers or {})
    if request.headers.get("x-supabase-api-version"):
        out["X-Supabase-Api-Version"] = API_VERSION
    return json_response(body, status, out)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def _hash_password(password: str) -> str:
    def work() -> str:
        return bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_COST)).decode()
    return await anyio.to_thread.run_sync(work)


async def _password_matches(password: str, hashed: str | None) -> bool:
    if not hashed or len(password.encode()) > MAX_PASSWORD_BYTES:
        return False

    def work() -> bool:
        try:
            return bcrypt.checkpw(password.encode(), hashed.encode())
        except ValueError:
            return False
    return await anyio.to_thread.run_sync(work)


def _check_password_strength(password: Any) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AuthError(422, "weak_password",
                        f"Password should be at least {MIN_PASSWORD} characters.",
                        weak_password={"reasons": ["length"]})
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise AuthError(422, "validation_failed",
                        f"Password cannot be longer than {MAX_PASSWORD_BYTES} characters")
    return password


def _check_email(email: Any) -> str:
    if not isinstance(email, str) or not EMAIL_RE.match(email.strip()):
        raise AuthError(400, "validation_failed",
                        "Unable to validate email address: invalid format")
    return email.strip().lower()


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await read_json(request)
    except ValueError as exc:
        raise AuthError(400, "bad_json", f"Could not parse request body as JSON: {exc}") from None
    if not isinstance(body, dict):
        raise AuthError(400, "bad_json", "Could not parse request body as JSON: expected an object")
    return body


# ---------------------------------------------------------------- users

USER_SQL = """
select u.*, coalesce((select json_agg(to_jsonb(i)) from auth.identities i
                      where i.user_id = u.id), '[]'::json) as identities_json
from auth.users u where {where}
"""


async def _load_user(conn: AsyncConnection[Any], user_id: str,
                     *, lock: bool = False) -> dict[str, Any] | None:
    sql = USER_SQL.format(where="u.id = %s") + (" for update of u" if lock else "")
    try:
        uid = str(uuid.UUID(str(user_id)))
    except ValueError:
        return None
    cur = await conn.execute(sql, [uid])
    return await cur.fetchone()


async def _load_user_by_email(conn: AsyncConnection[Any], email: str) -> dict[str, Any] | None:
    cur = await conn.execute(USER_SQL.format(where="lower(u.email) = %s and u.deleted_at is null"),
                             [email.lower()])
    return await cur.fetchone()


def _identity_json(row: dict[str, Any]) -> dict[str, Any]:
    # Current GoTrue layout (id uuid + provider_id); older layouts used id = provider id.
    provider_id = row.get("provider_id", row.get("id"))
    return {
        "identity_id": str(row.get("id")) if "provider_id" in row else None,
        "id": str(provider_id),
        "user_id": str(row.get("user_id")),
        "identity_data": row.get("identity_data") or {},
        "provider": row.get("provider"),
        "last_sign_in_at": row.get("last_sign_in_at"),
        "created_at": row.get("created_at"),
        "updated_at": row.get("updated_at"),
        "email": row.get("email"),
    }


def user_json(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(row["id"]),
        "aud": row.get("aud") or "authenticated",
        "role": row.get("role") or "authenticated",
        "email": row.get("email") or "",
        "phone": row.get("phone") or "",
    }
    for key in ("email_confirmed_at", "phone_confirmed_at", "confirmed_at", "recovery_sent_at",
                "last_sign_in_at", "invited_at", "banned_until", "deleted_at"):
        if row.get(key) is not None:
            out[key] = _iso(row[key])
    out["app_metadata"] = row.get("raw_app_meta_data") or {}
    out["user_metadata"] = row.get("raw_user_meta_data") or {}
    out["identities"] = [_identity_json(i) for i in (row.get("identities_json") or [])]
    out["created_at"] = _iso(row.get("created_at"))
    out["updated_at"] = _iso(row.get("updated_at"))
    out["is_anonymous"] = bool(row.get("is_anonymous"))
    return out


async def create_user(conn: AsyncConnection[Any], *, email: str, password: str | None,
                      user_metadata: dict[str, Any] | None = None,
                      app_metadata: dict[str, Any] | None = None,
                      confirmed: bool = True, role: str = "authenticated",
                      duplicate_code: str = "user_already_exists") -> dict[str, Any]:
    """Insert a user and its email identity; the project's triggers run as usual."""
    await conn.execute("select pg_advisory_xact_lock(hashtext('auth.users:' || %s))", [email])
    if await _load_user_by_email(conn, email) is not None:
        if duplicate_code == "email_exists":
            raise AuthError(422, "email_exists",
                            "A user with this email address has already been registered")
        raise AuthError(422, "user_already_exists", "User already registered")
    user_id = str(uuid.uuid4())
    hashed = await _hash_password(password) if password else None
    meta = {"provider": "email", "providers": ["email"], **(app_metadata or {})}
    await conn.execute(
        """insert into auth.users (instance_id, id, aud, role, email, encrypted_password,
               email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at,
               updated_at, is_anonymous)
           values ('00000000-0000-0000-0000-000000000000', %s, 'authenticated', %s, %s, %s,
                   case when %s then now() end, %s, %s, now(), now(), false)""",
        [user_id, role, email, hashed, confirmed, json.dumps(meta),
         json.dumps(user_metadata or {})])
    identity = {"sub": user_id, "email": email, "email_verified": confirmed,
                "phone_verified": False}
    await conn.execute(
        """insert into auth.identities (provider_id, user_id, identity_data, provider,
               last_sign_in_at, created_at, updated_at)
           values (%s, %s, %s, 'email', now(), now(), now())""",
        [user_id, user_id, json.dumps(identity)])
    row = await _load_user(conn, user_id)
    assert row is not None
    return row


# ---------------------------------------------------------------- sessions

def _access_token(ctx: Context, user: dict[str, Any], session_id: str, amr_method: str,
                  session_created: datetime) -> tuple[str, int, int]:
    iat = int(time.time())
    exp = iat + ctx.settings.jwt_expiry
    claims = {
        "aud": "authenticated",
        "exp": exp,
        "iat": iat,
        "iss": f"{ctx.settings.public_url}/auth/v1",
        "sub": str(user["id"]),
        "email": user.get("email") or "",
        "phone": user.get("phone") or "",
        "app_metadata": user.get("raw_app_meta_data") or {},
        "user_metadata": user.get("raw_user_meta_data") or {},
        "role": user.get("role") or "authenticated",
        "aal": "aal1",
        "amr": [{"method": amr_method, "timestamp": int(session_created.timestamp())}],
        "session_id": session_id,
        "is_anonymous": bool(user.get("is_anonymous")),
    }
    return ctx.keys.sign(claims), exp, ctx.settings.jwt_expiry


def _session_json(ctx: Context, user: dict[str, Any], session_id: str, amr_method: str,
                  session_created: datetime, refresh_token: str) -> dict[str, Any]:
    token, exp, expires_in = _access_token(ctx, user, session_id, amr_method, session_created)
    return {"access_token": token, "token_type": "bearer", "expires_in": expires_in,
            "expires_at": exp, "refresh_token": refresh_token, "user": user_json(user)}


def _child_token(secret: str, parent: str) -> str:
    """The token that replaces `parent` on rotation, derived rather than random.

    Only hashes are stored, yet a replay of `parent` within the reuse interval must get
    the same successor back (GoTrue returns the session's active token), so that two
    refreshes racing in one client do not revoke each other's result. Whoever holds
    `parent` could refresh with it anyway, so deriving the child grants nothing new.
    """
    digest = hmac.new(secret.encode(), b"refresh-token:" + parent.encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


async def _new_refresh_token(conn: AsyncConnection[Any], user_id: str, session_id: str,
                             parent_hash: str | None, token: str | None = None) -> str:
    token = token or secrets.token_urlsafe(24)
    await conn.execute(
        """insert into auth.refresh_tokens (token, user_id, revoked, parent, session_id)
           values (%s, %s, false, %s, %s)""",
        [_sha256(token), user_id, parent_hash, session_id])
    return token


async def start_session(ctx: Context, conn: AsyncConnection[Any], user: dict[str, Any],
                        amr_method: str = "password") -> dict[str, Any]:
    session_id = str(uuid.uuid4())
    cur = await conn.execute(
        """insert into auth.sessions (id, user_id, amr_method) values (%s, %s, %s)
           returning created_at""", [session_id, user["id"], amr_method])
    created = (await cur.fetchone() or {})["created_at"]
    await conn.execute("update auth.users set last_sign_in_at = now() where id = %s", [user["id"]])
    user = await _load_user(conn, str(user["id"])) or user
    refresh = await _new_refresh_token(conn, str(user["id"]), session_id, None)
    return _session_json(ctx, user, session_id, amr_method, created, refresh)


# ---------------------------------------------------------------- handlers

async def signup(request: Request) -> Response:
    ctx = context_of(request)
    body = await _body(request)
    if not body.get("email") and not body.get("phone") and not body.get("password"):
        raise AuthError(422, "anonymous_provider_disabled", "Anonymous sign-ins are disabled")
    if body.get("phone") and not body.get("email"):
        raise AuthError(400, "phone_provider_disabled", "Phone signups are disabled")
    email = _check_email(body.get("email"))
    if not body.get("password"):
        raise AuthError(422, "validation_failed", "Signup requires a valid password")
    password = _check_password_strength(body.get("password"))
    data = body.get("data") or {}
    if not isinstance(data, dict):
        raise AuthError(400, "validation_failed", "data must be an object")
    async with ctx.pool.transaction(ADMIN) as conn:
        user = await create_user(conn, email=email, password=password, user_metadata=data)
        session = await start_session(ctx, conn, user)
    return _ok(request, session)


async def token(request: Request) -> Response:
    grant = request.query_params.get("grant_type", "")
    body = await _body(request)
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
        user = await _load_user_by_email(conn, email.strip())
        if user is None or not await _password_matches(password, user.get("encrypted_password")):
            raise AuthError(400, "invalid_credentials", "Invalid login credentials")
        if user.get("email_confirmed_at") is None:
            raise AuthError(400, "email_not_confirmed", "Email not confirmed")
        _refuse_banned(user)
        session = await start_session(ctx, conn, user)
    return _ok(request, session)


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
               where rt.token = %s for update of rt, s""", [_sha256(raw)])
        row = await cur.fetchone()
        if row is None:
            raise AuthError(400, "refresh_token_not_found",
                            "Invalid Refresh Token: Refresh Token Not Found")
        user = await _load_user(conn, row["user_id"])
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
            new_token = await _new_refresh_token(conn, str(user["id"]), session_id, row["token"],
                                                 _child_token(ctx.keys.secret, raw))
        if new_token is not None:
            await conn.execute("update auth.sessions set refreshed_at = now(), "
                               "updated_at = now() where id = %s", [session_id])
            session = _session_json(ctx, user, session_id, row["amr_method"],
                                    row["session_created"], new_token)
    if new_token is None:
        raise AuthError(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used")
    return _ok(request, session)


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
        token = _child_token(ctx.keys.secret, token)
        cur = await conn.execute("select revoked from auth.refresh_tokens where token = %s "
                                 "and session_id = %s", [_sha256(token), row["session_id"]])
        child = await cur.fetchone()
        if child is None:
            return None
        if not child["revoked"]:
            return token
    return None


def _user_claims(ctx: Context, request: Request) -> dict[str, Any]:
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
    user = await _load_user(conn, claims["sub"], lock=lock)
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
    claims = _user_claims(ctx, request)
    async with ctx.pool.transaction(ADMIN, read_only=True) as conn:
        user = await _current_user(ctx, conn, claims)
    return _ok(request, user_json(user))


def _merge_metadata(current: dict[str, Any], update: Any) -> dict[str, Any]:
    if not isinstance(update, dict):
        raise AuthError(400, "validation_failed", "metadata must be an object")
    merged = dict(current)
    for key, value in update.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


async def put_user(request: Request) -> Response:
    ctx = context_of(request)
    claims = _user_claims(ctx, request)
    body = await _body(request)
    async with ctx.pool.transaction(ADMIN) as conn:
        user = await _current_user(ctx, conn, claims, lock=True)
        await _apply_user_changes(conn, user, body, admin=False)
        user = await _load_user(conn, str(user["id"])) or user
    return _ok(request, user_json(user))


async def _apply_user_changes(conn: AsyncConnection[Any], user: dict[str, Any],
                              body: dict[str, Any], *, admin: bool) -> None:
    uid = str(user["id"])
    if "email" in body and body["email"] and body["email"] != user.get("email"):
        email = _check_email(body["email"])
        other = await _load_user_by_email(conn, email)
        if other is not None and str(other["id"]) != uid:
            raise AuthError(422, "email_exists",
                            "A user with this email address has already been registered")
        await conn.execute("update auth.users set email = %s where id = %s", [email, uid])
        await conn.execute(
            """update auth.identities set identity_data = identity_data || jsonb_build_object(
                   'email', %s::text) where user_id = %s and provider = 'email'""", [email, uid])
    if body.get("password") is not None:
        hashed = await _hash_password(_check_password_strength(body["password"]))
        await conn.execute("update auth.users set encrypted_password = %s where id = %s",
                           [hashed, uid])
    meta_key = "user_metadata" if admin else "data"
    if body.get(meta_key) is not None:
        merged = _merge_metadata(user.get("raw_user_meta_data") or {}, body[meta_key])
        await conn.execute("update auth.users set raw_user_meta_data = %s where id = %s",
                           [json.dumps(merged), uid])
    if admin:
        if body.get("app_metadata") is not None:
            merged = _merge_metadata(user.get("raw_app_meta_data") or {}, body["app_metadata"])
            await conn.execute("update auth.users set raw_app_meta_data = %s where id = %s",
                               [json.dumps(merged), uid])
        if body.get("email_confirm") is True:
            await conn.execute("update auth.users set email_confirmed_at = coalesce("
                               "email_confirmed_at, now()) where id = %s", [uid])
        if body.get("role"):
            await conn.execute("update auth.users set role = %s where id = %s",
                               [str(body["role"]), uid])
        if body.get("ban_duration"):
            until = _ban_until(str(body["ban_duration"]))
            await conn.execute("update auth.users set banned_until = %s where id = %s",
                               [until, uid])
    await conn.execute("update auth.users set updated_at = now() where id = %s", [uid])


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|m|s|ms)")


def _ban_until(value: str) -> datetime | None:
    """Parse GoTrue's Go-style ban duration ("none", "24h", "1h30m")."""
    if value == "none":
        return None
    parts = _DURATION.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        raise AuthError(400, "validation_failed", "invalid format for ban duration")
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    seconds = sum(float(n) * scale[u] for n, u in parts)
    return datetime.now(UTC) + timedelta(seconds=seconds)


async def logout(request: Request) -> Response:
    ctx = context_of(request)
    claims = _user_claims(ctx, request)
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


# ---------------------------------------------------------------- recovery

def _token_hash(email: str, otp: str) -> str:
    return hashlib.sha224((email + otp).encode()).hexdigest()


def write_mail(data_dir: Path, to: str, subject: str, text: str) -> Path:
    """Write the mail GoTrue would send as an RFC 5322 file under `<data_dir>/mail/`."""
    folder = data_dir / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
    headers = (f"From: WYNTEK <noreply@wyntek.local>\nTo: {to}\nSubject: {subject}\n"
               f"Date: {datetime.now(UTC).strftime('%a, %d %b %Y %H:%M:%S +0000')}\n"
               "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(headers + text, encoding="utf-8")
    tmp.replace(path)
    return path


async def recover(request: Request) -> Response:
    ctx = context_of(request)
    body = await _body(request)
    email = _check_email(body.get("email"))
    redirect_to = request.query_params.get("redirect_to") or ctx.settings.public_url
    async with ctx.pool.transaction(ADMIN) as conn:
        user = await _load_user_by_email(conn, email)
        if user is not None:  # unknown addresses get the same answer (no enumeration)
            sent = user.get("recovery_sent_at")
            if sent is not None and sent + timedelta(seconds=EMAIL_RESEND_INTERVAL) > \
                    datetime.now(UTC):
                wait = int((sent + timedelta(seconds=EMAIL_RESEND_INTERVAL)
                            - datetime.now(UTC)).total_seconds()) + 1
                raise AuthError(429, "over_email_send_rate_limit",
                                f"For security purposes, you can only request this after "
                                f"{wait} seconds.")
            otp = f"{secrets.randbelow(10**6):06d}"
            token_hash = _token_hash(email, otp)
            await conn.execute("update auth.users set recovery_token = %s, "
                               "recovery_sent_at = now() where id = %s", [token_hash, user["id"]])
            link = (f"{ctx.settings.public_url}/auth/v1/verify?"
                    + urlencode({"token": token_hash, "type": "recovery",
                                 "redirect_to": redirect_to}, quote_via=quote))
            write_mail(ctx.settings.data_dir, email, "Reset Your Password",
                       "Reset Password\n\nFollow this link to reset the password for your "
                       f"user:\n\n{link}\n\nAlternatively, enter the code: {otp}\n")
    return _ok(request, {})


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


async def verify_post(request: Request) -> Response:
    ctx = context_of(request)
    body = await _body(request)
    if body.get("type") != "recovery":
        raise AuthError(400, "validation_failed", "Verify requires a verification type")
    email: str | None = None
    if body.get("token_hash"):
        token_hash = str(body["token_hash"])
    else:
        email = _check_email(body.get("email"))
        token_hash = _token_hash(email, str(body.get("token", "")))
    failures: dict[str, int] = ctx.extras.setdefault("otp_failures", {})
    try:
        async with ctx.pool.transaction(ADMIN) as conn:
            user = await _consume_recovery(conn, token_hash)
            session = await start_session(ctx, conn, user, amr_method="otp")
    except AuthError:
        if email is not None:
            # Six digits are guessable: a few wrong codes void the pending one.
            failures[email] = failures.get(email, 0) + 1
            if failures[email] >= MAX_OTP_FAILURES:
                failures.pop(email, None)
                async with ctx.pool.transaction(ADMIN) as conn:
                    await conn.execute("update auth.users set recovery_token = '' "
                                       "where lower(email) = %s", [email])
        raise
    if email is not None:
        failures.pop(email, None)
    return _ok(request, session)


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


# ---------------------------------------------------------------- admin

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
    return _ok(request, {"users": [user_json(r) for r in rows], "aud": "authenticated"},
               headers={"X-Total-Count": str(total)})


async def admin_create_user(request: Request) -> Response:
    ctx = context_of(request)
    _require_admin(ctx, request)
    body = await _body(request)
    email = _check_email(body.get("email"))
    password = body.get("password")
    if password is not None:
        password = _check_password_strength(password)
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
    return _ok(request, user_json(user))


async def admin_get_user(request: Request) -> Response:
    ctx = context_of(request)
    _require_admin(ctx, request)
    async with ctx.pool.transaction(ADMIN, read_only=True) as conn:
        user = await _load_user(conn, request.path_params["user_id"])
    if user is None:
        raise AuthError(404, "user_not_found", "User not found")
    return _ok(request, user_json(user))


async def admin_update_user(request: Request) -> Response:
    ctx = context_of(request)
    _require_admin(ctx, request)
    body = await _body(request)
    async with ctx.pool.transaction(ADMIN) as conn:
        user = await _load_user(conn, request.path_params["user_id"], lock=True)
        if user is None:
            raise AuthError(404, "user_not_found", "User not found")
        await _apply_user_changes(conn, user, body, admin=True)
        user = await _load_user(conn, str(user["id"])) or user
    return _ok(request, user_json(user))


async def admin_delete_user(request: Request) -> Response:
    ctx = context_of(request)
    _require_admin(ctx, request)
    async with ctx.pool.transaction(ADMIN) as conn:
        user = await _load_user(conn, request.path_params["user_id"], lock=True)
        if user is None:
            raise AuthError(404, "user_not_found", "User not found")
        await conn.execute("delete from auth.users where id = %s", [user["id"]])
    return _ok(request, {})


# ---------------------------------------------------------------- meta

async def settings(request: Request) -> Response:
    external = {name: False for name in ("anonymous_users", "apple", "azure", "bitbucket",
                                         "discord", "facebook", "figma", "github", "gitlab",
                                         "google", "keycloak", "linkedin_oidc", "notion",
                                         "phone", "slack_oidc", "spotify", "twitch",
                                         "twitter", "workos", "zoom")}
    external["email"] = True
    return _ok(request, {"external": external, "disable_signup": False,
                         "mailer_autoconfirm": True, "phone_autoconfirm": False,
                         "sms_provider": "", "saml_enabled": False})


async def health(request: Request) -> Response:
    return _ok(request, {"version": "wyntek-localstack", "name": "GoTrue",
                         "description": "GoTrue-compatible auth for the WYNTEK local stack"})


async def jwks(request: Request) -> Response:
    # HMAC keys are never published.
    return json_response({"keys": []}, headers={"Cache-Control": "public, max-age=600"})


def _wrap(handler: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            response: Response = await handler(request)
            return response
        except AuthError as err:
            return error_response(request, err)
        except psycopg.Error as exc:
            # e.g. a project trigger on auth.users refusing the row: GoTrue's 500 shape.
            message = exc.diag.message_primary or "Database error"
            return error_response(request, AuthError(500, "unexpected_failure",
                                                     f"Database error: {message}"))
    return endpoint


routes = [
    Route("/signup", _wrap(signup), methods=["POST"]),
    Route("/token", _wrap(token), methods=["POST"]),
    Route("/user", _wrap(get_user), methods=["GET"]),
    Route("/user", _wrap(put_user), methods=["PUT"]),
    Route("/logout", _wrap(logout), methods=["POST"]),
    Route("/recover", _wrap(recover), methods=["POST"]),
    Route("/verify", _wrap(verify_post), methods=["POST"]),
    Route("/verify", _wrap(verify_get), methods=["GET"]),
    Route("/settings", _wrap(settings), methods=["GET"]),
    Route("/health", _wrap(health), methods=["GET"]),
    Route("/.well-known/jwks.json", _wrap(jwks), methods=["GET"]),
    Route("/admin/users", _wrap(admin_list_users), methods=["GET"]),
    Route("/admin/users", _wrap(admin_create_user), methods=["POST"]),
    Route("/admin/users/{user_id}", _wrap(admin_get_user), methods=["GET"]),
    Route("/admin/users/{user_id}", _wrap(admin_update_user), methods=["PUT"]),
    Route("/admin/users/{user_id}", _wrap(admin_delete_user), methods=["DELETE"]),
]

"""Users and identities in `auth.users`: passwords, lookups, JSON, changes."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import bcrypt
from psycopg import AsyncConnection

from .errors import AuthError

MIN_PASSWORD = 6


MAX_PASSWORD_BYTES = 72  # bcrypt's limit; GoTrue refuses longer passwords too


BCRYPT_COST = 10


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def hash_password(password: str) -> str:
    def work() -> str:
        return bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_COST)).decode()
    return await anyio.to_thread.run_sync(work)


async def password_matches(password: str, hashed: str | None) -> bool:
    if not hashed or len(password.encode()) > MAX_PASSWORD_BYTES:
        return False

    def work() -> bool:
        try:
            return bcrypt.checkpw(password.encode(), hashed.encode())
        except ValueError:
            return False
    return await anyio.to_thread.run_sync(work)


def check_password_strength(password: Any) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AuthError(422, "weak_password",
                        f"Password should be at least {MIN_PASSWORD} characters.",
                        weak_password={"reasons": ["length"]})
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise AuthError(422, "validation_failed",
                        f"Password cannot be longer than {MAX_PASSWORD_BYTES} characters")
    return password


def check_email(email: Any) -> str:
    if not isinstance(email, str) or not EMAIL_RE.match(email.strip()):
        raise AuthError(400, "validation_failed",
                        "Unable to validate email address: invalid format")
    return email.strip().lower()


USER_SQL = """
select u.*, coalesce((select json_agg(to_jsonb(i)) from auth.identities i
                      where i.user_id = u.id), '[]'::json) as identities_json
from auth.users u where {where}
"""


async def load_user(conn: AsyncConnection[Any], user_id: str,
                     *, lock: bool = False) -> dict[str, Any] | None:
    sql = USER_SQL.format(where="u.id = %s") + (" for update of u" if lock else "")
    try:
        uid = str(uuid.UUID(str(user_id)))
    except ValueError:
        return None
    cur = await conn.execute(sql, [uid])
    return await cur.fetchone()


async def load_user_by_email(conn: AsyncConnection[Any], email: str) -> dict[str, Any] | None:
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
    if row.get("email_change"):
        out["new_email"] = row["email_change"]
    for key in ("email_confirmed_at", "phone_confirmed_at", "confirmed_at", "recovery_sent_at",
                "email_change_sent_at", "last_sign_in_at", "invited_at", "banned_until",
                "deleted_at"):
        if row.get(key) is not None:
            out[key] = iso(row[key])
    out["app_metadata"] = row.get("raw_app_meta_data") or {}
    out["user_metadata"] = row.get("raw_user_meta_data") or {}
    out["identities"] = [_identity_json(i) for i in (row.get("identities_json") or [])]
    out["created_at"] = iso(row.get("created_at"))
    out["updated_at"] = iso(row.get("updated_at"))
    out["is_anonymous"] = bool(row.get("is_anonymous"))
    return out


async def create_user(conn: AsyncConnection[Any], *, email: str, password: str | None,
                      user_metadata: dict[str, Any] | None = None,
                      app_metadata: dict[str, Any] | None = None,
                      confirmed: bool = True, role: str = "authenticated",
                      duplicate_code: str = "user_already_exists") -> dict[str, Any]:
    """Insert a user and its email identity; the project's triggers run as usual."""
    await conn.execute("select pg_advisory_xact_lock(hashtext('auth.users:' || %s))", [email])
    if await load_user_by_email(conn, email) is not None:
        if duplicate_code == "email_exists":
            raise AuthError(422, "email_exists",
                            "A user with this email address has already been registered")
        raise AuthError(422, "user_already_exists", "User already registered")
    user_id = str(uuid.uuid4())
    hashed = await hash_password(password) if password else None
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
    row = await load_user(conn, user_id)
    assert row is not None
    return row


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


async def set_email(conn: AsyncConnection[Any], uid: str, email: str) -> None:
    await conn.execute("update auth.users set email = %s where id = %s", [email, uid])
    await conn.execute(
        """update auth.identities set identity_data = identity_data || jsonb_build_object(
               'email', %s::text) where user_id = %s and provider = 'email'""", [email, uid])


EmailChange = Callable[[str], Awaitable[None]]


async def _no_email_change(email: str) -> None:
    raise AuthError(400, "validation_failed", "Email changes need confirmation")


async def apply_user_changes(conn: AsyncConnection[Any], user: dict[str, Any],
                              body: dict[str, Any], *, admin: bool,
                              email_change: EmailChange = _no_email_change) -> None:
    """Apply a PUT /user (or admin) body. A user's new email is not set here: it goes to
    ``email_change``, which starts GoTrue's confirmation; an admin's is set at once."""
    uid = str(user["id"])
    if "email" in body and body["email"] and body["email"] != user.get("email"):
        email = check_email(body["email"])
        other = await load_user_by_email(conn, email)
        if other is not None and str(other["id"]) != uid:
            raise AuthError(422, "email_exists",
                            "A user with this email address has already been registered")
        if admin:
            await set_email(conn, uid, email)
        elif email != (user.get("email") or "").lower():
            await email_change(email)
    if body.get("password") is not None:
        password = check_password_strength(body["password"])
        if not admin and await password_matches(password, user.get("encrypted_password")):
            raise AuthError(422, "same_password",
                            "New password should be different from the old password.")
        hashed = await hash_password(password)
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

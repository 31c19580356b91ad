"""Sessions: access tokens (JWT) and rotating refresh tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import uuid
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from ..context import Context
from .users import load_user, user_json


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


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


def session_json(ctx: Context, user: dict[str, Any], session_id: str, amr_method: str,
                  session_created: datetime, refresh_token: str) -> dict[str, Any]:
    token, exp, expires_in = _access_token(ctx, user, session_id, amr_method, session_created)
    return {"access_token": token, "token_type": "bearer", "expires_in": expires_in,
            "expires_at": exp, "refresh_token": refresh_token, "user": user_json(user)}


def child_token(secret: str, parent: str) -> str:
    """The token that replaces `parent` on rotation, derived rather than random.

    Only hashes are stored, yet a replay of `parent` within the reuse interval must get
    the same successor back (GoTrue returns the session's active token), so that two
    refreshes racing in one client do not revoke each other's result. Whoever holds
    `parent` could refresh with it anyway, so deriving the child grants nothing new.
    """
    digest = hmac.new(secret.encode(), b"refresh-token:" + parent.encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


async def new_refresh_token(conn: AsyncConnection[Any], user_id: str, session_id: str,
                             parent_hash: str | None, token: str | None = None) -> str:
    token = token or secrets.token_urlsafe(24)
    await conn.execute(
        """insert into auth.refresh_tokens (token, user_id, revoked, parent, session_id)
           values (%s, %s, false, %s, %s)""",
        [sha256_hex(token), user_id, parent_hash, session_id])
    return token


async def start_session(ctx: Context, conn: AsyncConnection[Any], user: dict[str, Any],
                        amr_method: str = "password") -> dict[str, Any]:
    session_id = str(uuid.uuid4())
    cur = await conn.execute(
        """insert into auth.sessions (id, user_id, amr_method) values (%s, %s, %s)
           returning created_at""", [session_id, user["id"], amr_method])
    created = (await cur.fetchone() or {})["created_at"]
    await conn.execute("update auth.users set last_sign_in_at = now() where id = %s", [user["id"]])
    user = await load_user(conn, str(user["id"])) or user
    refresh = await new_refresh_token(conn, str(user["id"]), session_id, None)
    return session_json(ctx, user, session_id, amr_method, created, refresh)

"""Who calls, and on what: the bearer check, key and bucket names, bucket rows, limits."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from .. import hs256
from ..context import Caller, Context, InvalidApiKey
from ..keys import API_ROLES, LEEWAY_SECONDS
from ..pg import ADMIN
from .errors import StorageError, access_denied, bucket_not_found

KEY_RE = re.compile(r"^[A-Za-z0-9_/!.*'() &$=@;:+,?-]+$")


BUCKET_RE = re.compile(r"^[A-Za-z0-9_!.*'() &$=@;:+,?-]{1,100}$")




INVALID_JWS = "Invalid Compact JWS"


def _bearer(request: Request) -> str | None:
    """The token of the Authorization header; Storage takes it with or without "Bearer"."""
    value = request.headers.get("authorization", "").strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        value = rest.strip()
    return value or None


def storage_caller(ctx: Context, request: Request, *, header_required: bool = True) -> Caller:
    """The caller of a route that needs a valid JWT, refused in Storage's words.

    ``header_required=False`` is TUS's flavour: no header is an invalid token there, not a
    request validation error.
    """
    apikey = request.headers.get("apikey")
    if apikey is not None and ctx.keys.role_of_api_key(apikey) is None:
        raise InvalidApiKey()
    if header_required and "authorization" not in request.headers:
        raise StorageError("400", "Error",
                           "headers must have required property 'authorization'",
                           "InvalidRequest")
    token = _bearer(request)
    if token is None:
        raise access_denied(INVALID_JWS)
    try:
        claims = hs256.decode(token, ctx.keys.secret, leeway=LEEWAY_SECONDS, require=("exp",))
    except hs256.JWTError as exc:
        if exc.expired:
            raise access_denied('"exp" claim timestamp check failed') from None
        if "signature" in exc.message:
            raise access_denied("signature verification failed") from None
        raise access_denied(INVALID_JWS) from None
    # A token without a role reads as anon; a role this project does not know is refused.
    role = str(claims.get("role") or "anon")
    if role not in API_ROLES:
        raise access_denied(f"role {role} does not exist")
    return Caller(role, claims, token)


def reading_caller(ctx: Context, request: Request) -> Caller:
    """`GET /object/{bucket}/...` and `/object/info/{bucket}/...` accept anonymous readers:
    a missing, expired or forged token makes the caller anonymous (then a private bucket
    answers "Bucket not found"), as on the hosted service."""
    try:
        return storage_caller(ctx, request)
    except StorageError:
        return Caller("anon", {"role": "anon"})


def owner_uuid(caller: Caller) -> str | None:
    """The caller's `sub` as the uuid Storage records in `owner` (None if it is not one)."""
    try:
        return str(uuid.UUID(caller.sub)) if caller.sub else None
    except ValueError:
        return None


def check_name(name: str) -> str:
    """Storage's key rule: the allowed characters only, nothing else (dot segments and
    empty segments are keys like any other; the bucket's policies decide about them)."""
    if not name or not KEY_RE.fullmatch(name):
        raise StorageError("400", "InvalidKey", f"Invalid key: {name}", "InvalidKey")
    return name


def check_bucket_name(bucket: str) -> str:
    if not BUCKET_RE.fullmatch(bucket):
        raise StorageError("400", "InvalidBucketName",
                           f"Bucket name invalid: {bucket}", "InvalidBucketName")
    return bucket


async def load_bucket(ctx: Context, bucket: str) -> dict[str, Any]:
    check_bucket_name(bucket)
    async with ctx.pool.transaction(ADMIN, read_only=True) as conn:
        cur = await conn.execute("select * from storage.buckets where id = %s", [bucket])
        row = await cur.fetchone()
    if row is None:
        raise bucket_not_found()
    return row


def operation_settings(request: Request, operation: str, caller: Caller) -> dict[str, str]:
    return {"request.method": request.method, "request.path": request.url.path,
            "storage.operation": operation, "request.jwt": caller.token or "",
            "storage.allow_delete_query": "true"}


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def too_large() -> StorageError:
    return StorageError("413", "Payload too large",
                        "The object exceeded the maximum allowed size", "EntityTooLarge")


def size_limit(ctx: Context, bucket_row: dict[str, Any]) -> int:
    """The effective limit: the bucket's own, capped by the project's global limit."""
    limit = bucket_row.get("file_size_limit")
    global_limit = ctx.settings.max_file_size
    return global_limit if limit is None else min(int(limit), global_limit)


def check_limits(ctx: Context, bucket_row: dict[str, Any], size: int | None,
                 mimetype: str | None) -> None:
    if size is not None and size > size_limit(ctx, bucket_row):
        raise too_large()
    allowed = bucket_row.get("allowed_mime_types")
    if allowed and mimetype is not None:
        base = mimetype.split(";")[0].strip().lower()
        ok = any(base == a.lower() or (a.endswith("/*") and base.startswith(a[:-1].lower()))
                 for a in allowed)
        if not ok:
            raise StorageError("415", "invalid_mime_type",
                               f"mime type {mimetype} is not supported", "InvalidMimeType")


def upsert_header(request: Request) -> bool:
    return request.headers.get("x-upsert", "").lower() == "true"


async def json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise StorageError("400", "Error", "body must be a JSON object",
                           "InvalidRequest")
    return body

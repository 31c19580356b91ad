"""Who calls, and on what: the bearer check, key and bucket names, bucket rows, limits."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from ..context import Caller, Context
from ..keys import TokenError
from ..pg import ADMIN
from .errors import StorageError, access_denied, bucket_not_found

KEY_RE = re.compile(r"^[A-Za-z0-9_/!.*'() &$=@;:+,?-]+$")


BUCKET_RE = re.compile(r"^[A-Za-z0-9_!.*'() &$=@;:+,?-]{1,100}$")


MAX_KEY_BYTES = 1024


def storage_caller(ctx: Context, request: Request) -> Caller:
    if "authorization" not in request.headers:
        raise StorageError("400", "InvalidRequest",
                           "headers must have required property 'authorization'",
                           "InvalidRequest")
    if ctx.bearer(request) is None:
        raise access_denied("jwt malformed")
    try:
        return ctx.caller(request)
    except TokenError as exc:
        if exc.expired:
            raise access_denied('"exp" claim timestamp check failed') from None
        message = "signature verification failed" if "signature" in exc.message \
            else "jwt malformed"
        raise access_denied(message) from None


def check_name(name: str) -> str:
    """Supabase's key rules plus: no empty, `.` or `..` segments, at most 1024 bytes."""
    if (not name or len(name.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES
            or not KEY_RE.match(name)
            or any(seg in ("", ".", "..") for seg in name.split("/"))):
        raise StorageError("400", "InvalidKey", f"Invalid key: {name}", "InvalidKey")
    return name


def check_bucket_name(bucket: str) -> str:
    if not BUCKET_RE.match(bucket):
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


def check_limits(bucket_row: dict[str, Any], size: int | None, mimetype: str | None) -> None:
    limit = bucket_row.get("file_size_limit")
    if limit is not None and size is not None and size > limit:
        raise StorageError("413", "Payload too large",
                           "The object exceeded the maximum allowed size", "EntityTooLarge")
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
        raise StorageError("400", "InvalidRequest", "body must be a JSON object",
                           "InvalidRequest")
    return body

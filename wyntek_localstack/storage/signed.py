"""Signed URLs: signed downloads and signed uploads (permission decided at signing)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from .. import hs256
from ..context import Caller, Context, context_of
from ..responses import json_response
from .access import (
    check_bucket_name,
    check_limits,
    check_name,
    json_body,
    load_bucket,
    operation_settings,
    storage_caller,
    upsert_header,
)
from .errors import StorageError
from .objects import serve_bypassing_rls, visible_object
from .writes import commit_object, receive_upload, test_insert

DEFAULT_SIGNED_URL_SECONDS = 3600


SIGNED_UPLOAD_SECONDS = 2 * 3600  # the platform's documented lifetime


def _jwt_message(exc: hs256.JWTError) -> str:
    return "signature verification failed" if "signature" in exc.message \
        else "Invalid Compact JWS"


def _expires_in(value: Any) -> int:
    try:
        seconds = int(str(value if value is not None else DEFAULT_SIGNED_URL_SECONDS))
    except ValueError:
        raise StorageError("400", "Error", "expiresIn must be a number of seconds",
                           "InvalidRequest") from None
    if seconds < 1:
        raise StorageError("400", "Error", "expiresIn must be at least 1",
                           "InvalidRequest")
    return seconds


def _signed_path(ctx: Context, bucket: str, name: str, seconds: int) -> str:
    now = int(time.time())
    token = ctx.keys.sign({"url": f"{bucket}/{name}", "iat": now, "exp": now + seconds})
    encoded = "/".join(quote(seg, safe="") for seg in name.split("/"))
    return f"/object/sign/{quote(bucket, safe='')}/{encoded}?token={token}"


async def sign_one(request: Request) -> Response:
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    bucket, name = request.path_params["bucket"], check_name(request.path_params["path"])
    body = await json_body(request)
    if "expiresIn" not in body:
        raise StorageError("400", "Error", "body must have required property 'expiresIn'",
                           "InvalidRequest")
    seconds = _expires_in(body["expiresIn"])
    await visible_object(ctx, caller, request, bucket, name, "storage.object.sign")
    return json_response({"signedURL": _signed_path(ctx, bucket, name, seconds)})


async def sign_many(request: Request) -> Response:
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    bucket = check_bucket_name(request.path_params["bucket"])
    body = await json_body(request)
    seconds = _expires_in(body.get("expiresIn"))
    paths = body.get("paths")
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise StorageError("400", "Error", "paths must be a list of object names",
                           "InvalidRequest")
    async with ctx.pool.transaction(caller.role, caller.claims, read_only=True,
                                    settings=operation_settings(request, "storage.object.sign",
                                                       caller)) as conn:
        cur = await conn.execute("select name from storage.objects where bucket_id = %s "
                                 "and name = any(%s)", [bucket, paths])
        visible = {r["name"] for r in await cur.fetchall()}
    out = []
    for path in paths:
        if path in visible:
            out.append({"error": None, "path": path,
                        "signedURL": _signed_path(ctx, bucket, path, seconds)})
        else:
            out.append({"error": "Either the object does not exist or you do not have access "
                                 "to it", "path": path, "signedURL": None})
    return json_response(out)


async def signed_download(request: Request) -> Response:
    ctx = context_of(request)
    bucket, name = request.path_params["bucket"], check_name(request.path_params["path"])
    token = request.query_params.get("token")
    if not token:
        raise StorageError("400", "Error", "querystring must have required property "
                           "'token'", "InvalidRequest")
    try:
        claims = hs256.decode(token, ctx.keys.secret, require=("exp", "url"))
    except hs256.JWTError as exc:
        if exc.expired:
            raise StorageError("400", "InvalidJWT", '"exp" claim timestamp check failed',
                               "InvalidJWT") from None
        raise StorageError("400", "InvalidJWT", _jwt_message(exc), "InvalidJWT") from None
    if claims.get("url") != f"{bucket}/{name}" or claims.get("scope") == "upload":
        raise StorageError("400", "InvalidSignature", "Invalid signature", "InvalidSignature")
    # The token was issued after a SELECT as its creator: serving bypasses RLS, as Storage.
    return await serve_bypassing_rls(ctx, request, bucket, name, expires=int(claims["exp"]))


async def sign_upload(request: Request) -> Response:
    """Permission is decided now, as the caller; the token then carries it."""
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    bucket, name = request.path_params["bucket"], check_name(request.path_params["path"])
    await load_bucket(ctx, bucket)
    upsert = upsert_header(request)
    await test_insert(ctx, caller, request, bucket, name, upsert=upsert)
    now = int(time.time())
    token = ctx.keys.sign({"owner": caller.sub, "url": f"{bucket}/{name}", "upsert": upsert,
                           "scope": "upload", "iat": now, "exp": now + SIGNED_UPLOAD_SECONDS})
    encoded = "/".join(quote(seg, safe="") for seg in name.split("/"))
    return json_response({"url": f"/object/upload/sign/{quote(bucket, safe='')}/{encoded}"
                                 f"?token={token}", "token": token})


async def signed_upload(request: Request) -> Response:
    ctx = context_of(request)
    bucket, name = request.path_params["bucket"], check_name(request.path_params["path"])
    try:
        claims = hs256.decode(request.query_params.get("token", ""), ctx.keys.secret,
                              require=("exp", "url", "scope"))
    except hs256.JWTError as exc:
        if exc.expired:
            raise StorageError("400", "InvalidJWT", '"exp" claim timestamp check failed',
                               "InvalidJWT") from None
        raise StorageError("400", "InvalidJWT", _jwt_message(exc), "InvalidJWT") from None
    if claims.get("scope") != "upload" or claims.get("url") != f"{bucket}/{name}":
        raise StorageError("400", "InvalidSignature", "Invalid signature", "InvalidSignature")
    bucket_row = await load_bucket(ctx, bucket)
    # The token's creator passed the INSERT check; the write itself bypasses RLS (as
    # Storage does), recording the creator as owner.
    owner = claims.get("owner")
    uploader = Caller("service_role", {"role": "service_role", "sub": owner})
    body = await receive_upload(ctx, request)
    try:
        check_limits(ctx, bucket_row, body.size, body.mimetype)
        await commit_object(ctx, uploader, request, bucket, name, body.path, size=body.size,
                            etag=body.md5, mimetype=body.mimetype,
                            cache_control=body.cache_control,
                            user_metadata=body.user_metadata, upsert=bool(claims.get("upsert")))
    finally:
        body.path.unlink(missing_ok=True)
    return json_response({"Key": f"{bucket}/{name}"})

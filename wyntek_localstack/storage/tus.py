"""TUS 1.0.0 resumable uploads at `/storage/v1/upload/resumable` (Supabase flavour).

State lives on disk under `<data_dir>/tus/<version>/` (`info.json` + `data`), so a
restarted server resumes an upload where it stopped: the offset is always the size of
`data`, never a separately stored counter. Every request re-checks the bearer token and
test-inserts the object row as the caller (rolled back), so RLS decides on each chunk.
On the last byte the row is written as the caller; its etag is the S3 multipart etag
hosted Storage gives a TUS upload (`"<md5 of the parts' md5s>-<parts>"`).

Signed uploads (`/upload/resumable/sign`, from `create_signed_upload_url`) carry the
signed upload token in `x-signature` instead of a bearer token: the token names the
object, its creator (the owner) and whether it may overwrite; RLS was decided when it
was signed. `Upload-Defer-Length: 1` creates an upload whose length a later PATCH
declares with `Upload-Length` (TUS's creation-defer-length).

Unlike the REST routes, TUS errors use real HTTP statuses with plain-text bodies.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from email.utils import formatdate
from typing import Any

import anyio
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .. import hs256
from ..context import Caller, Context, context_of
from . import blobs
from .access import (
    check_bucket_name,
    check_limits,
    check_name,
    load_bucket,
    storage_caller,
    upsert_header,
)
from .errors import TUS_VERSION, StorageError, TusError, tus_endpoint, tus_headers
from .state import StorageState
from .uploads import UploadLock, Uploads
from .writes import commit_object, test_insert

CHUNK_LIMIT = 6 * 1024 * 1024
BASE = "/upload/resumable"
SIGNED = "/sign"
NOT_FOUND = "The file for this url was not found"
EXTENSIONS = "creation,creation-with-upload,creation-defer-length,termination,expiration"


def _expires_header(expires_at: float) -> str:
    return formatdate(expires_at, usegmt=True)


def encode_id(bucket: str, name: str, version: str) -> str:
    return base64.urlsafe_b64encode(f"{bucket}/{name}/{version}".encode()).decode().rstrip("=")


def decode_id(upload_id: str) -> tuple[str, str, str]:
    try:
        raw = base64.urlsafe_b64decode(upload_id + "=" * (-len(upload_id) % 4)).decode()
        bucket, rest = raw.split("/", 1)
        name, version = rest.rsplit("/", 1)
        uuid.UUID(hex=version)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise TusError(404, NOT_FOUND) from None
    return bucket, name, version


def metadata_pairs(header: str) -> list[tuple[str, str | None]]:
    """`Upload-Metadata` in the client's order; a key without a value has None."""
    out: list[tuple[str, str | None]] = []
    for pair in header.split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, value = pair.partition(" ")
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode() \
                if value.strip() else None
        except (ValueError, binascii.Error):
            raise TusError(400, f"Upload-Metadata value of {key} is not base64") from None
        out.append((key, decoded))
    return out


def parse_metadata(header: str) -> dict[str, str]:
    return {k: v or "" for k, v in metadata_pairs(header)}


def stored_metadata(pairs: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """The metadata Storage keeps for an upload (and returns on HEAD): the client's, with
    `cacheControl` made a header value (`max-age=<n>` for a number, else `no-cache`)."""
    out, cache = [], None
    for key, value in pairs:
        if key == "cacheControl":
            cache = value
            continue
        out.append((key, value))
    cache_control = f"max-age={cache}" if cache and re.fullmatch(r"-?\d+", cache) \
        else "no-cache"
    position = next((i for i, (k, _) in enumerate(pairs) if k == "cacheControl"), len(out))
    out.insert(position, ("cacheControl", cache_control))
    return out


def metadata_header(pairs: list[tuple[str, str | None]]) -> str:
    return ",".join(key if value is None else
                    f"{key} {base64.b64encode(value.encode()).decode()}"
                    for key, value in pairs)


def _uploads(ctx: Context) -> Uploads:
    return ctx.state(StorageState).uploads


def _require_tus(request: Request) -> None:
    version = request.headers.get("tus-resumable")
    if version is None:
        raise TusError(412, "Tus-Resumable Required")
    if version != TUS_VERSION:
        raise TusError(400, "Invalid tus-resumable")


def _signed(request: Request) -> bool:
    return request.url.path.rstrip("/").endswith(BASE + SIGNED) or \
        f"{BASE}{SIGNED}/" in request.url.path


def _authorize(ctx: Context, request: Request, bucket: str, name: str) -> tuple[Caller, bool]:
    """The caller a request acts as and whether it may overwrite.

    With a bearer token: that user, and `x-upsert` of this very request (Storage reads
    it on every request of an upload, not only at creation). On the signed routes: the
    signed upload token's creator, with the token's own upsert flag.
    """
    if not _signed(request):
        return storage_caller(ctx, request, header_required=False), upsert_header(request)
    signature = request.headers.get("x-signature")
    if not signature:
        raise TusError(400, "Missing x-signature header")
    try:
        claims = hs256.decode(signature, ctx.keys.secret, require=("exp", "url"))
    except hs256.JWTError as exc:
        if exc.expired:
            raise TusError(400, '"exp" claim timestamp check failed') from None
        raise TusError(400, "signature verification failed" if "signature" in exc.message
                       else "Invalid Compact JWS") from None
    if claims.get("scope") != "upload":
        raise TusError(400, "Token is not scoped for upload")
    if claims.get("url") != f"{bucket}/{name}":
        raise TusError(400, "Invalid signature")
    owner = claims.get("owner")
    return Caller("service_role", {"role": "service_role", "sub": owner}), \
        bool(claims.get("upsert"))


def _load(ctx: Context, upload_id: str) -> tuple[str, str, str, dict[str, Any]]:
    bucket, name, version = decode_id(upload_id)
    info = _uploads(ctx).read(version)
    if info is None or info.get("bucket") != bucket or info.get("name") != name:
        raise TusError(404, NOT_FOUND)
    if info["expires_at"] < time.time():
        raise TusError(410, "Upload expired")
    return bucket, name, version, info


async def options(request: Request) -> Response:
    return Response(status_code=204, headers=tus_headers({
        "Tus-Version": TUS_VERSION,
        "Tus-Max-Size": str(context_of(request).settings.max_file_size),
        "Tus-Extension": EXTENSIONS}))


def _declared_length(request: Request) -> int | None:
    """Upload-Length, or None for `Upload-Defer-Length: 1`; exactly one must be sent."""
    length_text = request.headers.get("upload-length")
    deferred = request.headers.get("upload-defer-length")
    if deferred is not None and deferred != "1":
        raise TusError(400, "Invalid upload-defer-length")
    if (length_text is None) == (deferred is None):
        raise TusError(400, "Upload-Length or Upload-Defer-Length header required")
    if length_text is None:
        return None
    if not length_text.isdigit():
        raise TusError(400, "Invalid upload-length")
    return int(length_text)


async def create(request: Request) -> Response:
    ctx = context_of(request)
    _require_tus(request)
    if not _signed(request):
        storage_caller(ctx, request, header_required=False)  # a bad token answers first
    length = _declared_length(request)
    if length is not None and length > ctx.settings.max_file_size:
        raise TusError(413, "Maximum size exceeded")
    pairs = metadata_pairs(request.headers.get("upload-metadata", ""))
    meta = {k: v or "" for k, v in pairs}
    bucket, name = meta.get("bucketName", ""), meta.get("objectName", "")
    check_bucket_name(bucket)
    check_name(name)
    caller, upsert = _authorize(ctx, request, bucket, name)
    bucket_row = await load_bucket(ctx, bucket)
    content_type = meta.get("contentType") or "application/octet-stream"
    check_limits(ctx, bucket_row, length, content_type)
    await test_insert(ctx, caller, request, bucket, name, upsert=upsert)

    uploads = _uploads(ctx)
    await anyio.to_thread.run_sync(uploads.sweep_expired)
    version = str(uuid.uuid4())
    kept = stored_metadata(pairs)
    user_metadata = None
    if meta.get("metadata"):
        try:
            user_metadata = json.loads(meta["metadata"])
        except ValueError:
            raise TusError(400, "metadata must be JSON") from None
    info: dict[str, Any] = {
            "bucket": bucket, "name": name, "length": length, "owner_id": caller.sub,
            "role": caller.role, "content_type": content_type,
            "cache_control": dict(kept)["cacheControl"], "user_metadata": user_metadata,
            "tus_metadata": kept,
            "created_at": time.time(), "expires_at": time.time() + ctx.settings.tus_expiry,
            "completed": False}
    folder = uploads.folder(version)
    folder.mkdir(parents=True)
    (folder / "data").touch()
    await anyio.to_thread.run_sync(uploads.write, version, info)
    upload_id = encode_id(bucket, name, version)
    # Like Storage, answer with the host the client used (127.0.0.1, localhost, a proxy).
    host = request.headers.get("host")
    origin = f"{request.url.scheme}://{host}" if host else ctx.settings.public_url
    signed = SIGNED if _signed(request) else ""
    location = f"{origin}/storage/v1{BASE}{signed}/{upload_id}"
    extra = {"Location": location, "Upload-Expires": _expires_header(info["expires_at"])}
    if request.headers.get("content-type") == "application/offset+octet-stream":
        lock = uploads.lock(version)
        await lock.acquire()
        try:
            offset = await _append(ctx, request, caller, upsert, bucket, name, version, info,
                                   0, lock)
        finally:
            lock.release()
        extra["Upload-Offset"] = str(offset)
    elif length == 0:
        # Nothing to send: the object exists as soon as the upload does (as on Storage).
        await _finish(ctx, request, caller, upsert, bucket, name, version, info)
    return Response(status_code=201, headers=tus_headers(extra))


async def head(request: Request) -> Response:
    ctx = context_of(request)
    try:
        _require_tus(request)
        if not _well_formed_id(request.path_params["upload_id"]):
            return Response(status_code=400, headers=tus_headers())
        bucket, name, _ = decode_id(request.path_params["upload_id"])
        # Storage answers HEAD to any valid token: the offset is no secret once the id
        # is known (a signed HEAD needs the upload's signature).
        _authorize(ctx, request, bucket, name)
    except (StorageError, TusError):
        return Response(status_code=400, headers=tus_headers())  # HEAD: no body, like Storage
    _, _, version, info = _load(ctx, request.path_params["upload_id"])
    uploads = _uploads(ctx)
    lock = uploads.lock(version)
    await lock.acquire()
    try:
        info = uploads.read(version) or info
        offset = uploads.offset(version, info)
    finally:
        lock.release()
    headers = {"Upload-Offset": str(offset), "Cache-Control": "no-store",
               "Upload-Expires": _expires_header(info["expires_at"])}
    if info["length"] is None:
        headers["Upload-Defer-Length"] = "1"
    else:
        headers["Upload-Length"] = str(info["length"])
    if info.get("tus_metadata"):
        headers["Upload-Metadata"] = metadata_header(
            [(k, v) for k, v in info["tus_metadata"]])
    return Response(status_code=200, headers=tus_headers(headers))


async def patch(request: Request) -> Response:
    ctx = context_of(request)
    _require_tus(request)
    if not _signed(request):
        storage_caller(ctx, request, header_required=False)  # a bad token answers first
    if request.headers.get("content-type") != "application/offset+octet-stream":
        raise TusError(400, "Invalid content-type")
    offset_text = request.headers.get("upload-offset")
    if offset_text is None or not offset_text.isdigit():
        raise TusError(400, "Upload-Offset must be a non-negative integer")
    bucket, name, version, info = _load(ctx, request.path_params["upload_id"])
    caller, upsert = _authorize(ctx, request, bucket, name)
    uploads = _uploads(ctx)
    lock = uploads.lock(version)
    await lock.acquire()
    try:
        info = uploads.read(version) or info
        # The permission check comes first, with this request's x-upsert: over an
        # existing object (also the one this upload finished) it answers 409.
        await test_insert(ctx, caller, request, bucket, name, upsert=upsert)
        if info.get("completed") or uploads.offset(version, info) != int(offset_text):
            raise TusError(409, "Upload-Offset conflict")
        await _declare_length(ctx, request, version, info, int(offset_text))
        offset = await _append(ctx, request, caller, upsert, bucket, name, version, info,
                               int(offset_text), lock)
    finally:
        lock.release()
    return Response(status_code=204, headers=tus_headers({
        "Upload-Offset": str(offset), "Upload-Expires": _expires_header(info["expires_at"])}))


async def _declare_length(ctx: Context, request: Request, version: str,
                          info: dict[str, Any], offset: int) -> None:
    """A PATCH of a deferred-length upload may state the length (once, as TUS says)."""
    length_text = request.headers.get("upload-length")
    if length_text is None:
        return
    if not length_text.isdigit():
        raise TusError(400, "Invalid upload-length")
    length = int(length_text)
    if info["length"] is not None or length < offset:
        raise TusError(400, "Upload-Length or Upload-Defer-Length header required")
    if length > ctx.settings.max_file_size:
        raise TusError(413, "Maximum size exceeded")
    info["length"] = length
    await anyio.to_thread.run_sync(_uploads(ctx).write, version, info)


def _well_formed_id(upload_id: str) -> bool:
    try:
        decode_id(upload_id)
    except TusError:
        return False
    return True


async def _append(ctx: Context, request: Request, caller: Caller, upsert: bool, bucket: str,
                  name: str, version: str, info: dict[str, Any], offset: int,
                  lock: UploadLock) -> int:
    """Stream the body onto `data`; finish the object when the last byte arrived."""
    uploads = _uploads(ctx)
    length = info["length"]
    declared = request.headers.get("content-length")
    # A deferred length is bounded by the size limit until a PATCH declares it.
    end = int(length) if length is not None else ctx.settings.max_file_size
    room = min(CHUNK_LIMIT, end - offset)
    if declared is not None and declared.isdigit() and int(declared) > room:
        if int(declared) > CHUNK_LIMIT:
            raise TusError(413, f"Chunks may be at most {CHUNK_LIMIT} bytes")
        raise TusError(413, "The chunk goes beyond Upload-Length" if length is not None
                       else "Maximum size exceeded")
    data_path = uploads.folder(version) / "data"
    hasher = uploads.hasher_at(version, offset)
    fresh_hash = hasher is None and offset == 0
    if fresh_hash:
        hasher = blobs.MultipartEtag(ctx.settings.tus_part_size)
    sink = blobs.BlobSink(data_path, append=True,
                          hasher=hasher)
    too_much = False
    try:
        async for chunk in _body(request, lock):
            if sink.written + len(chunk) > room:
                chunk = chunk[:room - sink.written]
                too_much = True
            await sink.write(chunk)
            if too_much or lock.release_requested.is_set():
                break
    except ClientDisconnect:
        pass  # keep what arrived: the client resumes from the new offset
    finally:
        # No fsync per chunk: the offset we report is always the size of `data`, so after
        # an OS crash a client simply gets 409, asks HEAD and resends the lost tail. The
        # bytes are synced once, before the finished file becomes the object.
        await sink.close(sync=offset + sink.written == length)
    offset += sink.written
    if hasher is not None:
        uploads.remember(version, offset, sink.hasher)
    if too_much:
        raise TusError(413, "The chunk goes beyond Upload-Length or the chunk size limit")
    if offset == length:
        await _finish(ctx, request, caller, upsert, bucket, name, version, info)
    return offset


async def _body(request: Request, lock: UploadLock) -> AsyncIterator[bytes]:
    """The request body; ends early when a newer request for the upload asks for it, even
    while this one is waiting for bytes from a stalled client."""
    chunks = request.stream().__aiter__()
    task = asyncio.current_task()
    while True:
        lock.reader = task
        try:
            chunk = await chunks.__anext__()
        except StopAsyncIteration:
            return
        except asyncio.CancelledError:
            if task is None or not lock.release_requested.is_set():
                raise
            task.uncancel()  # our own hand-over, not a shutdown: stop reading, keep data
            return
        finally:
            lock.reader = None
        yield chunk


async def _finish(ctx: Context, request: Request, caller: Caller, upsert: bool, bucket: str,
                  name: str, version: str, info: dict[str, Any]) -> None:
    uploads = _uploads(ctx)
    data_path = uploads.folder(version) / "data"
    hasher = uploads.hasher_at(version, int(info["length"]))
    if isinstance(hasher, blobs.MultipartEtag):
        etag = hasher.hexdigest()
    else:  # the running hash was lost (a restart): read the bytes again
        etag = await anyio.to_thread.run_sync(blobs.multipart_etag_of_file, data_path,
                                              ctx.settings.tus_part_size)
    try:
        await commit_object(ctx, caller, request, bucket, name, data_path,
                            size=int(info["length"]), etag=etag,
                            mimetype=str(info["content_type"]),
                            cache_control=str(info["cache_control"]),
                            user_metadata=info.get("user_metadata"),
                            upsert=upsert)
    except StorageError as err:
        # The object cannot be written (lost a race, or permission changed): the upload
        # is finished either way, so drop it and report with TUS's plain-text statuses.
        uploads.remove(version)
        raise TusError(int(err.status) if err.status.isdigit() else 500, err.message) from None
    info["completed"] = True
    await anyio.to_thread.run_sync(uploads.write, version, info)


async def terminate(request: Request) -> Response:
    ctx = context_of(request)
    _require_tus(request)
    if not _signed(request):
        storage_caller(ctx, request, header_required=False)  # a bad token answers first
    bucket, name, version, info = _load(ctx, request.path_params["upload_id"])
    caller, upsert = _authorize(ctx, request, bucket, name)
    uploads = _uploads(ctx)
    lock = uploads.lock(version)
    await lock.acquire()
    try:
        info = uploads.read(version) or info
        await test_insert(ctx, caller, request, bucket, name, upsert=upsert)
        if info.get("completed"):
            raise TusError(400, "Cannot terminate an already completed upload")
        await anyio.to_thread.run_sync(uploads.remove, version)
    finally:
        lock.release()
    return Response(status_code=204, headers=tus_headers())


def routes() -> list[BaseRoute]:
    out: list[BaseRoute] = []
    for base in (BASE + SIGNED, BASE):  # "/sign" first: it would read as an upload id
        out += [
            Route(base, tus_endpoint(options), methods=["OPTIONS"]),
            Route(base, tus_endpoint(create), methods=["POST"]),
            Route(base + "/{upload_id}", tus_endpoint(options), methods=["OPTIONS"]),
            Route(base + "/{upload_id}", tus_endpoint(head), methods=["HEAD"]),
            Route(base + "/{upload_id}", tus_endpoint(patch), methods=["PATCH"]),
            Route(base + "/{upload_id}", tus_endpoint(terminate), methods=["DELETE"]),
        ]
    return out

"""TUS 1.0.0 resumable uploads at `/storage/v1/upload/resumable` (Supabase flavour).

State lives on disk under `<data_dir>/tus/<version>/` (`info.json` + `data`), so a
restarted server resumes an upload where it stopped: the offset is always the size of
`data`, never a separately stored counter. Every request re-checks the bearer token and
test-inserts the object row as the caller (rolled back), so RLS decides on each chunk.
On the last byte the row is written as the caller with the SHA-256 of the bytes in its
metadata.

Unlike the REST routes, TUS errors use real HTTP statuses with plain-text bodies.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
import uuid
from collections.abc import AsyncIterator
from email.utils import formatdate
from typing import Any

import anyio
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

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
NOT_FOUND = "The file for this url was not found"


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


def parse_metadata(header: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in header.split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, value = pair.partition(" ")
        try:
            out[key] = base64.b64decode(value.strip(), validate=True).decode() if value else ""
        except (ValueError, binascii.Error):
            raise TusError(400, f"Upload-Metadata value of {key} is not base64") from None
    return out


def _uploads(ctx: Context) -> Uploads:
    return ctx.state(StorageState).uploads


def _require_tus(request: Request) -> None:
    version = request.headers.get("tus-resumable")
    if version is None:
        raise TusError(412, "Tus-Resumable Required")
    if version != TUS_VERSION:
        raise TusError(400, "Invalid tus-resumable")


def _caller(ctx: Context, request: Request) -> Caller:
    return storage_caller(ctx, request, header_required=False)


def _upsert(request: Request) -> bool:
    """Storage reads `x-upsert` on every request of an upload, not only at creation."""
    return upsert_header(request)


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
        "Tus-Extension": "creation,creation-with-upload,termination,expiration"}))


async def create(request: Request) -> Response:
    ctx = context_of(request)
    _require_tus(request)
    caller = _caller(ctx, request)
    length_text = request.headers.get("upload-length")
    if request.headers.get("upload-defer-length"):
        raise TusError(400, "Upload-Defer-Length is not supported")
    if length_text is None:
        raise TusError(400, "Upload-Length or Upload-Defer-Length header required")
    if not length_text.isdigit():
        raise TusError(400, "Invalid Upload-Length")
    length = int(length_text)
    if length > ctx.settings.max_file_size:
        raise TusError(413, "Maximum size exceeded")
    meta = parse_metadata(request.headers.get("upload-metadata", ""))
    bucket, name = meta.get("bucketName", ""), meta.get("objectName", "")
    check_bucket_name(bucket)
    check_name(name)
    bucket_row = await load_bucket(ctx, bucket)
    content_type = meta.get("contentType") or "application/octet-stream"
    check_limits(ctx, bucket_row, length, content_type)
    upsert = _upsert(request)
    await test_insert(ctx, caller, request, bucket, name, upsert=upsert)

    uploads = _uploads(ctx)
    await anyio.to_thread.run_sync(uploads.sweep_expired)
    version = str(uuid.uuid4())
    cache = meta.get("cacheControl")
    user_metadata = None
    if meta.get("metadata"):
        try:
            user_metadata = json.loads(meta["metadata"])
        except ValueError:
            raise TusError(400, "metadata must be JSON") from None
    info: dict[str, Any] = {
            "bucket": bucket, "name": name, "length": length, "owner_id": caller.sub,
            "role": caller.role, "content_type": content_type,
            "cache_control": f"max-age={cache}" if cache and cache.isdigit() else
            (cache or "no-cache"), "user_metadata": user_metadata,
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
    location = f"{origin}/storage/v1{BASE}/{upload_id}"
    extra = {"Location": location, "Upload-Expires": _expires_header(info["expires_at"])}
    if request.headers.get("content-type") == "application/offset+octet-stream":
        lock = uploads.lock(version)
        await lock.acquire()
        try:
            offset = await _append(ctx, request, caller, bucket, name, version, info, 0, lock)
        finally:
            lock.release()
        extra["Upload-Offset"] = str(offset)
    elif length == 0:
        # Nothing to send: the object exists as soon as the upload does (as on Storage).
        await _finish(ctx, request, caller, bucket, name, version, info)
    return Response(status_code=201, headers=tus_headers(extra))


async def head(request: Request) -> Response:
    ctx = context_of(request)
    try:
        _require_tus(request)
        caller = _caller(ctx, request)
    except StorageError:
        return Response(status_code=400, headers=tus_headers())  # HEAD: no body, like Storage
    if not _well_formed_id(request.path_params["upload_id"]):
        return Response(status_code=400, headers=tus_headers())
    # Storage answers HEAD to any valid token: the offset is no secret once the id is known.
    del caller
    _, _, version, info = _load(ctx, request.path_params["upload_id"])
    uploads = _uploads(ctx)
    lock = uploads.lock(version)
    await lock.acquire()
    try:
        info = uploads.read(version) or info
        offset = uploads.offset(version, info)
    finally:
        lock.release()
    return Response(status_code=200, headers=tus_headers({
        "Upload-Offset": str(offset), "Upload-Length": str(info["length"]),
        "Cache-Control": "no-store", "Upload-Expires": _expires_header(info["expires_at"])}))


async def patch(request: Request) -> Response:
    ctx = context_of(request)
    _require_tus(request)
    caller = _caller(ctx, request)
    if request.headers.get("content-type") != "application/offset+octet-stream":
        raise TusError(400, "Invalid content-type")
    offset_text = request.headers.get("upload-offset")
    if offset_text is None or not offset_text.isdigit():
        raise TusError(400, "Upload-Offset must be a non-negative integer")
    bucket, name, version, info = _load(ctx, request.path_params["upload_id"])
    uploads = _uploads(ctx)
    lock = uploads.lock(version)
    await lock.acquire()
    try:
        info = uploads.read(version) or info
        # The permission check comes first, with this request's x-upsert: over an
        # existing object (also the one this upload finished) it answers 409.
        await test_insert(ctx, caller, request, bucket, name, upsert=_upsert(request))
        if info.get("completed") or uploads.offset(version, info) != int(offset_text):
            raise TusError(409, "Upload-Offset conflict")
        offset = await _append(ctx, request, caller, bucket, name, version, info,
                               int(offset_text), lock)
    finally:
        lock.release()
    return Response(status_code=204, headers=tus_headers({
        "Upload-Offset": str(offset), "Upload-Expires": _expires_header(info["expires_at"])}))


def _well_formed_id(upload_id: str) -> bool:
    try:
        decode_id(upload_id)
    except TusError:
        return False
    return True


async def _append(ctx: Context, request: Request, caller: Caller, bucket: str, name: str,
                  version: str, info: dict[str, Any], offset: int, lock: UploadLock) -> int:
    """Stream the body onto `data`; finish the object when the last byte arrived."""
    uploads = _uploads(ctx)
    length = int(info["length"])
    declared = request.headers.get("content-length")
    room = min(CHUNK_LIMIT, length - offset)
    if declared is not None and declared.isdigit() and int(declared) > room:
        if int(declared) > CHUNK_LIMIT:
            raise TusError(413, f"Chunks may be at most {CHUNK_LIMIT} bytes")
        raise TusError(413, "The chunk goes beyond Upload-Length")
    data_path = uploads.folder(version) / "data"
    hasher = uploads.hasher_at(version, offset)
    fresh_hash = hasher is None and offset == 0
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
    if hasher is not None or fresh_hash:
        uploads.remember(version, offset, sink.hasher)
    if too_much:
        raise TusError(413, "The chunk goes beyond Upload-Length or the chunk size limit")
    if offset == length:
        await _finish(ctx, request, caller, bucket, name, version, info)
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


async def _finish(ctx: Context, request: Request, caller: Caller, bucket: str, name: str,
                  version: str, info: dict[str, Any]) -> None:
    uploads = _uploads(ctx)
    data_path = uploads.folder(version) / "data"
    hasher = uploads.hasher_at(version, int(info["length"]))
    md5 = hasher.hexdigest() if hasher is not None else \
        await anyio.to_thread.run_sync(blobs.md5_of_file, data_path)
    try:
        await commit_object(ctx, caller, request, bucket, name, data_path,
                            size=int(info["length"]), md5=md5,
                            mimetype=str(info["content_type"]),
                            cache_control=str(info["cache_control"]),
                            user_metadata=info.get("user_metadata"),
                            upsert=_upsert(request))
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
    caller = _caller(ctx, request)
    bucket, name, version, info = _load(ctx, request.path_params["upload_id"])
    uploads = _uploads(ctx)
    lock = uploads.lock(version)
    await lock.acquire()
    try:
        info = uploads.read(version) or info
        await test_insert(ctx, caller, request, bucket, name, upsert=_upsert(request))
        if info.get("completed"):
            raise TusError(400, "Cannot terminate an already completed upload")
        await anyio.to_thread.run_sync(uploads.remove, version)
    finally:
        lock.release()
    return Response(status_code=204, headers=tus_headers())


def routes() -> list[BaseRoute]:
    return [
        Route(BASE, tus_endpoint(options), methods=["OPTIONS"]),
        Route(BASE, tus_endpoint(create), methods=["POST"]),
        Route(BASE + "/{upload_id}", tus_endpoint(options), methods=["OPTIONS"]),
        Route(BASE + "/{upload_id}", tus_endpoint(head), methods=["HEAD"]),
        Route(BASE + "/{upload_id}", tus_endpoint(patch), methods=["PATCH"]),
        Route(BASE + "/{upload_id}", tus_endpoint(terminate), methods=["DELETE"]),
    ]

"""Writing objects: the rolled-back test insert, receiving bodies, placing and recording them.

Every write runs SQL on `storage.objects` as the caller (role + JWT claims set in the
transaction), exactly like Supabase Storage, so the project's storage policies are the
only authority.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import psycopg
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from ..context import Caller, Context
from ..pg import ADMIN
from . import blobs
from .access import iso, operation_settings, owner_uuid
from .errors import StorageError, map_db_error
from .state import StorageState

MAX_FIELD_BYTES = 64 * 1024


def object_metadata(size: int, etag: str, mimetype: str, cache_control: str,
                    x_robots_tag: str | None = None) -> dict[str, Any]:
    """Storage's `metadata` column: the etag in quotes (the MD5 of the bytes, or an S3
    multipart etag for TUS uploads), size and content headers."""
    meta: dict[str, Any] = {
        "eTag": f'"{etag}"',
        "size": size,
        "mimetype": mimetype,
        "cacheControl": cache_control,
        "lastModified": iso(datetime.now(UTC)),
        "contentLength": size,
        "httpStatusCode": 200,
    }
    if x_robots_tag is not None:
        meta["xRobotsTag"] = x_robots_tag
    return meta


INSERT_SQL = """
insert into storage.objects (bucket_id, name, owner, owner_id, metadata, user_metadata, version)
values (%(bucket)s, %(name)s, %(owner)s, %(owner_id)s, %(metadata)s, %(user_metadata)s,
        %(version)s)
"""


UPSERT_TAIL = """
on conflict (bucket_id, name) do update set
    owner = excluded.owner, owner_id = excluded.owner_id, metadata = excluded.metadata,
    user_metadata = excluded.user_metadata, version = excluded.version, updated_at = now(),
    last_accessed_at = now()
"""


async def test_insert(ctx: Context, caller: Caller, request: Request, bucket: str, name: str,
                      *, upsert: bool) -> None:
    """Run the INSERT (or upsert) as the caller and roll it back: RLS and key conflicts
    answer now, before any bytes are accepted."""
    params = {"bucket": bucket, "name": name, "owner": owner_uuid(caller), "owner_id": caller.sub,
              "metadata": "{}", "user_metadata": None, "version": uuid.uuid4().hex}
    sql = INSERT_SQL + (UPSERT_TAIL if upsert else "")
    try:
        async with ctx.pool.transaction(caller.role, caller.claims, settings=operation_settings(
                request, "storage.object.upload", caller)) as conn:
            async with conn.pipeline():  # sync: the INSERT's verdict is needed now
                await conn.execute(sql, params)
            raise _RolledBack()  # the whole transaction rolls back
    except _RolledBack:
        return
    except psycopg.Error as exc:
        raise map_db_error(exc) from None


class _RolledBack(Exception):
    pass


async def commit_object(ctx: Context, caller: Caller, request: Request, bucket: str, name: str,
                        source: Path, *, size: int, etag: str, mimetype: str,
                        cache_control: str, user_metadata: Any, upsert: bool,
                        x_robots_tag: str | None = None) -> str:
    """Place the finished file and record its row as the caller; returns the object id."""
    data_dir = ctx.settings.data_dir
    version = uuid.uuid4().hex
    dest = blobs.object_path(data_dir, bucket, name, version)
    params = {"bucket": bucket, "name": name, "owner": owner_uuid(caller), "owner_id": caller.sub,
              "metadata": json.dumps(object_metadata(size, etag, mimetype, cache_control,
                                                     x_robots_tag)),
              "user_metadata": json.dumps(user_metadata) if user_metadata is not None else None,
              "version": version}
    sql = INSERT_SQL + (UPSERT_TAIL if upsert else "") + " returning id"
    locks = ctx.state(StorageState).name_locks
    async with locks.get(bucket, name):
        await anyio.to_thread.run_sync(blobs.place, source, dest)
        try:
            async with ctx.pool.transaction(caller.role, caller.claims, settings=operation_settings(
                    request, "storage.object.upload", caller)) as conn:
                cur = await conn.execute(sql, params)
                row = await cur.fetchone()
        except psycopg.Error as exc:
            dest.unlink(missing_ok=True)
            raise map_db_error(exc) from None
        except BaseException:
            dest.unlink(missing_ok=True)
            raise
        await anyio.to_thread.run_sync(blobs.remove_versions, data_dir, bucket, name, version,
                                       ctx.state(StorageState).readers)
    assert row is not None
    return str(row["id"])


async def collect_garbage(ctx: Context, bucket: str, name: str) -> None:
    """After a delete: drop the files of every version the database no longer names."""
    locks = ctx.state(StorageState).name_locks
    async with locks.get(bucket, name):
        async with ctx.pool.transaction(ADMIN, read_only=True) as conn:
            cur = await conn.execute("select version from storage.objects where bucket_id = %s "
                                     "and name = %s", [bucket, name])
            row = await cur.fetchone()
        keep = row["version"] if row else None
        await anyio.to_thread.run_sync(blobs.remove_versions, ctx.settings.data_dir, bucket,
                                       name, keep, ctx.state(StorageState).readers)


class UploadBody:
    """What an upload request carried: the spooled file plus Storage's form fields."""

    def __init__(self, path: Path, size: int, md5: str, mimetype: str, cache_control: str,
                 user_metadata: Any) -> None:
        self.path, self.size, self.md5 = path, size, md5
        self.mimetype, self.cache_control, self.user_metadata = mimetype, cache_control, \
            user_metadata


async def _chunks(request: Request) -> AsyncIterator[bytes]:
    try:
        async for chunk in request.stream():
            if chunk:
                yield chunk
    except ClientDisconnect:
        raise StorageError("400", "Error", "The client disconnected during upload",
                           "InvalidRequest") from None


async def receive_upload(ctx: Context, request: Request) -> UploadBody:
    """Stream the body to a temp file: multipart (storage3) or raw bytes."""
    tmp = blobs.temp_dir(ctx.settings.data_dir) / f"{uuid.uuid4().hex}.part"
    sink = blobs.BlobSink(tmp)
    try:
        content_type = request.headers.get("content-type", "")
        if content_type.lower().startswith("multipart/form-data"):
            fields, part_type = await _receive_multipart(request, content_type, sink)
            # The part's media type without its parameters, as Storage's form parser reads it.
            mimetype = (fields.get("contentType") or part_type or "text/plain")
            mimetype = mimetype.split(";")[0].strip() or "text/plain"
            cache = fields.get("cacheControl")
            cache_control = f"max-age={cache}" if cache else "no-cache"
            raw_meta = fields.get("metadata") or fields.get("userMetadata")
            # A form upload without metadata stores an empty object (TUS stores none).
            user_metadata = _json_field(raw_meta) if raw_meta else {}
        else:
            async for chunk in _chunks(request):
                await sink.write(chunk)
            mimetype = content_type or "application/octet-stream"
            cache_control = request.headers.get("cache-control") or "no-cache"
            user_metadata = _x_metadata(request.headers.get("x-metadata"))
        await sink.close()
    except BaseException:
        sink.discard()
        raise
    return UploadBody(tmp, sink.written, sink.hasher.hexdigest(), mimetype, cache_control,
                      user_metadata)


def _json_field(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise StorageError("400", "Error", "metadata must be JSON",
                           "InvalidRequest") from None


def _x_metadata(value: str | None) -> Any:
    if not value:
        return None
    try:
        return json.loads(base64.b64decode(value))
    except ValueError:
        raise StorageError("400", "Error", "x-metadata must be base64 JSON",
                           "InvalidRequest") from None


async def _receive_multipart(request: Request, content_type: str,
                             sink: blobs.BlobSink) -> tuple[dict[str, str], str | None]:
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise StorageError("400", "Error", "multipart body without a boundary",
                           "InvalidRequest")
    fields: dict[str, str] = {}
    state: dict[str, Any] = {"headers": {}, "field": b"", "value": b"", "name": None,
                             "is_file": False, "file_seen": False, "part_type": None,
                             "data": bytearray(), "pending": bytearray()}

    def on_part_begin() -> None:
        state["headers"] = {}
        state["data"] = bytearray()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        state["headers"][state["field"].decode("latin-1").lower()] = \
            state["value"].decode("latin-1")
        state["field"], state["value"] = b"", b""

    def on_headers_finished() -> None:
        _, disp = parse_options_header(state["headers"].get("content-disposition", ""))
        state["name"] = disp.get(b"name", b"").decode("utf-8", "replace")
        # The first part carrying a file name is the object; later file parts are ignored.
        state["is_file"] = b"filename" in disp and not state["file_seen"]
        if state["is_file"]:
            state["file_seen"] = True
            state["part_type"] = state["headers"].get("content-type")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["is_file"]:
            state["pending"] += data[start:end]
        else:
            state["data"] += data[start:end]
            if len(state["data"]) > MAX_FIELD_BYTES:
                raise StorageError("400", "Error", "form field too large",
                                   "InvalidRequest")

    def on_part_end() -> None:
        if not state["is_file"] and state["name"]:
            fields[state["name"]] = state["data"].decode("utf-8", "replace")
        state["is_file"] = False

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field,
        "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished, "on_part_data": on_part_data,
        "on_part_end": on_part_end})
    async for chunk in _chunks(request):
        parser.write(chunk)
        if state["pending"]:
            block, state["pending"] = bytes(state["pending"]), bytearray()
            await sink.write(block)
    parser.finalize()
    if state["pending"]:
        await sink.write(bytes(state["pending"]))
    if not state["file_seen"]:
        raise StorageError("400", "Error", "The multipart body has no file part",
                           "InvalidRequest")
    return fields, state["part_type"]

"""Storage (`/storage/v1`): objects in buckets, with RLS on `storage.objects` deciding.

Every object operation runs SQL on `storage.objects` as the caller (role + JWT claims set
in the transaction), exactly like Supabase Storage, so the project's storage policies are
the only authority. Errors use Storage's envelope: HTTP 400 with the real status as a
string in `statusCode`.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import psycopg
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from . import blobs, hs256
from .context import Caller, Context, context_of
from .keys import TokenError
from .pg import ADMIN
from .responses import json_response

KEY_RE = re.compile(r"^[A-Za-z0-9_/!.*'() &$=@;:+,?-]+$")
BUCKET_RE = re.compile(r"^[A-Za-z0-9_!.*'() &$=@;:+,?-]{1,100}$")
MAX_KEY_BYTES = 1024
MAX_FIELD_BYTES = 64 * 1024
DEFAULT_SIGNED_URL_SECONDS = 3600


class StorageError(Exception):
    def __init__(self, status: str, error: str, message: str, code: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.code = status, error, message, code

    def response(self) -> Response:
        http_status = 500 if self.status == "500" else 400
        return json_response({"statusCode": self.status, "error": self.error,
                              "message": self.message, "code": self.code}, http_status)


def not_found() -> StorageError:
    return StorageError("404", "not_found", "Object not found", "NoSuchKey")


def bucket_not_found() -> StorageError:
    return StorageError("404", "Bucket not found", "Bucket not found", "NoSuchBucket")


def access_denied(message: str = "new row violates row-level security policy") -> StorageError:
    return StorageError("403", "Unauthorized", message, "AccessDenied")


def duplicate() -> StorageError:
    return StorageError("409", "Duplicate", "The resource already exists",
                        "KeyAlreadyExists")


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


def map_db_error(exc: psycopg.Error) -> StorageError:
    state = exc.sqlstate or ""
    if state == "42501":
        return access_denied()
    if state == "23505":
        return duplicate()
    message = exc.diag.message_primary or str(exc)
    if state.startswith("23") or state.startswith("22") or state == "P0001":
        return StorageError("400", "InvalidRequest", message, "InvalidRequest")
    return StorageError("500", "internal", message, "InternalError")


def _settings(request: Request, operation: str, caller: Caller) -> dict[str, str]:
    return {"request.method": request.method, "request.path": request.url.path,
            "storage.operation": operation, "request.jwt": caller.token or "",
            "storage.allow_delete_query": "true"}


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


# ---------------------------------------------------------------- writing objects

def object_metadata(size: int, sha256: str, mimetype: str, cache_control: str) -> dict[str, Any]:
    return {
        # Supabase uses the MD5 here; a SHA-256 prefix serves the same purpose for
        # conditional requests and spares a second full hash of large uploads.
        "eTag": f'"{sha256[:32]}"',
        "size": size,
        "mimetype": mimetype,
        "cacheControl": cache_control,
        "lastModified": _iso(datetime.now(UTC)),
        "contentLength": size,
        "httpStatusCode": 200,
        "sha256": sha256,
    }


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


def _owner(caller: Caller) -> str | None:
    try:
        return str(uuid.UUID(caller.sub)) if caller.sub else None
    except ValueError:
        return None


async def test_insert(ctx: Context, caller: Caller, request: Request, bucket: str, name: str,
                      *, upsert: bool) -> None:
    """Run the INSERT (or upsert) as the caller and roll it back: RLS and key conflicts
    answer now, before any bytes are accepted."""
    params = {"bucket": bucket, "name": name, "owner": _owner(caller), "owner_id": caller.sub,
              "metadata": "{}", "user_metadata": None, "version": uuid.uuid4().hex}
    sql = INSERT_SQL + (UPSERT_TAIL if upsert else "")
    try:
        async with ctx.pool.transaction(caller.role, caller.claims, settings=_settings(
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
                        source: Path, *, size: int, sha256: str, mimetype: str,
                        cache_control: str, user_metadata: Any, upsert: bool) -> str:
    """Place the finished file and record its row as the caller; returns the object id."""
    data_dir = ctx.settings.data_dir
    version = uuid.uuid4().hex
    dest = blobs.object_path(data_dir, bucket, name, version)
    params = {"bucket": bucket, "name": name, "owner": _owner(caller), "owner_id": caller.sub,
              "metadata": json.dumps(object_metadata(size, sha256, mimetype, cache_control)),
              "user_metadata": json.dumps(user_metadata) if user_metadata is not None else None,
              "version": version}
    sql = INSERT_SQL + (UPSERT_TAIL if upsert else "") + " returning id"
    locks: blobs.NameLocks = ctx.extras.setdefault("name_locks", blobs.NameLocks())
    async with locks.get(bucket, name):
        await anyio.to_thread.run_sync(blobs.place, source, dest)
        try:
            async with ctx.pool.transaction(caller.role, caller.claims, settings=_settings(
                    request, "storage.object.upload", caller)) as conn:
                cur = await conn.execute(sql, params)
                row = await cur.fetchone()
        except psycopg.Error as exc:
            dest.unlink(missing_ok=True)
            raise map_db_error(exc) from None
        except BaseException:
            dest.unlink(missing_ok=True)
            raise
        await anyio.to_thread.run_sync(blobs.remove_versions, data_dir, bucket, name, version)
    assert row is not None
    return str(row["id"])


async def collect_garbage(ctx: Context, bucket: str, name: str) -> None:
    """After a delete: drop the files of every version the database no longer names."""
    locks: blobs.NameLocks = ctx.extras.setdefault("name_locks", blobs.NameLocks())
    async with locks.get(bucket, name):
        async with ctx.pool.transaction(ADMIN, read_only=True) as conn:
            cur = await conn.execute("select version from storage.objects where bucket_id = %s "
                                     "and name = %s", [bucket, name])
            row = await cur.fetchone()
        keep = row["version"] if row else None
        await anyio.to_thread.run_sync(blobs.remove_versions, ctx.settings.data_dir, bucket,
                                       name, keep)


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


class UploadBody:
    """What an upload request carried: the spooled file plus Storage's form fields."""

    def __init__(self, path: Path, size: int, sha256: str, mimetype: str, cache_control: str,
                 user_metadata: Any) -> None:
        self.path, self.size, self.sha256 = path, size, sha256
        self.mimetype, self.cache_control, self.user_metadata = mimetype, cache_control, \
            user_metadata


async def _chunks(request: Request) -> AsyncIterator[bytes]:
    try:
        async for chunk in request.stream():
            if chunk:
                yield chunk
    except ClientDisconnect:
        raise StorageError("400", "InvalidRequest", "The client disconnected during upload",
                           "InvalidRequest") from None


async def receive_upload(ctx: Context, request: Request) -> UploadBody:
    """Stream the body to a temp file: multipart (storage3) or raw bytes."""
    tmp = blobs.temp_dir(ctx.settings.data_dir) / f"{uuid.uuid4().hex}.part"
    sink = blobs.BlobSink(tmp)
    try:
        content_type = request.headers.get("content-type", "")
        if content_type.lower().startswith("multipart/form-data"):
            fields, part_type = await _receive_multipart(request, content_type, sink)
            mimetype = fields.get("contentType") or part_type or "text/plain;charset=UTF-8"
            cache = fields.get("cacheControl")
            cache_control = f"max-age={cache}" if cache else "no-cache"
            raw_meta = fields.get("metadata") or fields.get("userMetadata")
            user_metadata = _json_field(raw_meta) if raw_meta else None
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
        raise StorageError("400", "InvalidRequest", "metadata must be JSON",
                           "InvalidRequest") from None


def _x_metadata(value: str | None) -> Any:
    if not value:
        return None
    import base64
    try:
        return json.loads(base64.b64decode(value))
    except ValueError:
        raise StorageError("400", "InvalidRequest", "x-metadata must be base64 JSON",
                           "InvalidRequest") from None


async def _receive_multipart(request: Request, content_type: str,
                             sink: blobs.BlobSink) -> tuple[dict[str, str], str | None]:
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise StorageError("400", "InvalidRequest", "multipart body without a boundary",
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
                raise StorageError("400", "InvalidRequest", "form field too large",
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
        raise StorageError("400", "InvalidRequest", "The multipart body has no file part",
                           "InvalidRequest")
    return fields, state["part_type"]


def _upsert_header(request: Request) -> bool:
    return request.headers.get("x-upsert", "").lower() == "true"


async def upload(request: Request) -> Response:
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    bucket, name = request.path_params["bucket"], check_name(request.path_params["path"])
    bucket_row = await load_bucket(ctx, bucket)
    # PUT (update) creates a missing object too, as the real service does.
    upsert = request.method == "PUT" or _upsert_header(request)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit():
        check_limits(bucket_row, int(declared) if not request.headers.get(
            "content-type", "").startswith("multipart/") else None, None)
    # Permission and conflicts answer before the body is read (as Storage's test insert).
    await test_insert(ctx, caller, request, bucket, name, upsert=upsert)
    body = await receive_upload(ctx, request)
    try:
        check_limits(bucket_row, body.size, body.mimetype)
        object_id = await commit_object(
            ctx, caller, request, bucket, name, body.path, size=body.size, sha256=body.sha256,
            mimetype=body.mimetype, cache_control=body.cache_control,
            user_metadata=body.user_metadata, upsert=upsert)
    finally:
        body.path.unlink(missing_ok=True)
    return json_response({"Key": f"{bucket}/{name}", "Id": object_id})


# ---------------------------------------------------------------- reading objects

async def _visible_object(ctx: Context, caller: Caller, request: Request, bucket: str,
                          name: str, operation: str) -> dict[str, Any]:
    try:
        async with ctx.pool.transaction(caller.role, caller.claims, read_only=True,
                                        settings=_settings(request, operation, caller)) as conn:
            cur = await conn.execute("select * from storage.objects where bucket_id = %s "
                                     "and name = %s", [bucket, name])
            row = await cur.fetchone()
    except psycopg.Error as exc:
        raise map_db_error(exc) from None
    if row is None:
        raise not_found()
    return row


async def _serve_bypassing_rls(ctx: Context, request: Request, bucket: str,
                               name: str) -> Response:
    """Serve an object whose access was checked another way (public bucket, signed URL)."""
    async with ctx.pool.transaction(ADMIN, read_only=True) as conn:
        cur = await conn.execute("select * from storage.objects where bucket_id = %s "
                                 "and name = %s", [bucket, name])
        row = await cur.fetchone()
    if row is None:
        raise not_found()
    return _serve(ctx, row, request.query_params.get("download"))


def _serve(ctx: Context, row: dict[str, Any], download: str | None = None) -> Response:
    meta = row.get("metadata") or {}
    path = blobs.object_path(ctx.settings.data_dir, row["bucket_id"], row["name"],
                             row["version"])
    if not path.is_file():
        raise not_found()
    headers = {"Cache-Control": meta.get("cacheControl") or "no-cache",
               "ETag": meta.get("eTag") or "",
               "Last-Modified": format_datetime(row["updated_at"].astimezone(UTC), usegmt=True)}
    filename = None
    if download is not None:
        filename = download or row["name"].rsplit("/", 1)[-1]
    return FileResponse(path, media_type=meta.get("mimetype") or "application/octet-stream",
                        headers=headers, filename=filename,
                        content_disposition_type="attachment")


async def download(request: Request) -> Response:
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    bucket, name = request.path_params["bucket"], check_name(request.path_params["path"])
    row = await _visible_object(ctx, caller, request, bucket, name, "storage.object.get")
    return _serve(ctx, row, request.query_params.get("download"))


async def download_public(request: Request) -> Response:
    ctx = context_of(request)
    bucket, name = request.path_params["bucket"], check_name(request.path_params["path"])
    bucket_row = await load_bucket(ctx, bucket)
    if not bucket_row.get("public"):
        raise bucket_not_found()
    return await _serve_bypassing_rls(ctx, request, bucket, name)


async def info(request: Request) -> Response:
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    bucket, name = request.path_params["bucket"], check_name(request.path_params["path"])
    row = await _visible_object(ctx, caller, request, bucket, name, "storage.object.info")
    meta = row.get("metadata") or {}
    return json_response({
        "id": str(row["id"]), "name": row["name"], "version": row["version"],
        "bucket_id": row["bucket_id"], "size": meta.get("size"),
        "content_type": meta.get("mimetype"), "cache_control": meta.get("cacheControl"),
        "etag": meta.get("eTag"), "metadata": row.get("user_metadata") or {},
        "last_modified": _iso(row["updated_at"]), "created_at": _iso(row["created_at"]),
        "sha256": meta.get("sha256"),
    })


# ---------------------------------------------------------------- listing

async def list_objects(request: Request) -> Response:
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    bucket = check_bucket_name(request.path_params["bucket"])
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise StorageError("400", "InvalidRequest", "body must be JSON", "InvalidRequest") \
            from None
    prefix = str(body.get("prefix") or "").strip("/")
    prefix = prefix + "/" if prefix else ""
    limit = int(body.get("limit") or 100)
    offset = int(body.get("offset") or 0)
    search = str(body.get("search") or "").lower()
    sort = body.get("sortBy") or {}
    column = sort.get("column", "name")
    if column not in ("name", "updated_at", "created_at", "last_accessed_at"):
        column = "name"
    descending = str(sort.get("order", "asc")).lower() == "desc"
    try:
        async with ctx.pool.transaction(caller.role, caller.claims, read_only=True,
                                        settings=_settings(request, "storage.object.list",
                                                           caller)) as conn:
            cur = await conn.execute(
                "select id, name, updated_at, created_at, last_accessed_at, metadata "
                "from storage.objects where bucket_id = %s and starts_with(name, %s)",
                [bucket, prefix])
            rows = await cur.fetchall()
    except psycopg.Error as exc:
        raise map_db_error(exc) from None
    folders: dict[str, dict[str, Any]] = {}
    files: list[dict[str, Any]] = []
    for row in rows:
        rest = row["name"][len(prefix):]
        head, sep, _ = rest.partition("/")
        if not head.lower().startswith(search):
            continue
        if sep:
            folders.setdefault(head, {"name": head, "id": None, "updated_at": None,
                                      "created_at": None, "last_accessed_at": None,
                                      "metadata": None})
        else:
            files.append({"name": rest, "id": str(row["id"]),
                          "updated_at": _iso(row["updated_at"]),
                          "created_at": _iso(row["created_at"]),
                          "last_accessed_at": _iso(row["last_accessed_at"]),
                          "metadata": row["metadata"]})
    entries = list(folders.values()) + files
    entries.sort(key=lambda e: (e[column] is None, e[column] or ""), reverse=descending)
    return json_response(entries[offset:offset + limit])


# ---------------------------------------------------------------- removing

DELETE_SQL = ("delete from storage.objects where bucket_id = %s and name = any(%s) "
              "returning *")


def _row_json(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: (_iso(v) if isinstance(v, datetime) else v) for k, v in row.items()
           if k != "path_tokens"}
    for key in ("id", "owner"):
        if out.get(key) is not None:
            out[key] = str(out[key])
    return out


async def remove_many(request: Request) -> Response:
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    bucket = check_bucket_name(request.path_params["bucket"])
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    prefixes = body.get("prefixes") if isinstance(body, dict) else None
    if not isinstance(prefixes, list) or not prefixes or len(prefixes) > 1000 \
            or not all(isinstance(p, str) for p in prefixes):
        raise StorageError("400", "InvalidRequest",
                           "body/prefixes must be a list of 1 to 1000 object names",
                           "InvalidRequest")
    try:
        async with ctx.pool.transaction(caller.role, caller.claims, settings=_settings(
                request, "storage.object.delete_many", caller)) as conn:
            cur = await conn.execute(DELETE_SQL, [bucket, prefixes])
            rows = await cur.fetchall()
    except psycopg.Error as exc:
        raise map_db_error(exc) from None
    for row in rows:
        await collect_garbage(ctx, bucket, row["name"])
    return json_response([_row_json(r) for r in rows])


async def remove_one(request: Request) -> Response:
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    bucket, name = request.path_params["bucket"], check_name(request.path_params["path"])
    try:
        async with ctx.pool.transaction(caller.role, caller.claims, settings=_settings(
                request, "storage.object.delete", caller)) as conn:
            cur = await conn.execute(DELETE_SQL, [bucket, [name]])
            rows = await cur.fetchall()
    except psycopg.Error as exc:
        raise map_db_error(exc) from None
    if not rows:
        async with ctx.pool.transaction(ADMIN, read_only=True) as conn:
            cur = await conn.execute("select 1 from storage.objects where bucket_id = %s "
                                     "and name = %s", [bucket, name])
            exists = await cur.fetchone() is not None
        raise access_denied("Access denied") if exists else not_found()
    await collect_garbage(ctx, bucket, name)
    return json_response({"message": "Successfully deleted"})


# ---------------------------------------------------------------- signed URLs

def _expires_in(value: Any) -> int:
    try:
        seconds = int(str(value if value is not None else DEFAULT_SIGNED_URL_SECONDS))
    except ValueError:
        raise StorageError("400", "InvalidRequest", "expiresIn must be a number of seconds",
                           "InvalidRequest") from None
    if seconds < 1:
        raise StorageError("400", "InvalidRequest", "expiresIn must be at least 1",
                           "InvalidRequest")
    return seconds


def _signed_path(ctx: Context, bucket: str, name: str, seconds: int) -> str:
    now = int(time.time())
    token = ctx.keys.sign({"url": f"{bucket}/{name}", "iat": now, "exp": now + seconds})
    encoded = "/".join(quote(seg, safe="") for seg in name.split("/"))
    return f"/object/sign/{quote(bucket, safe='')}/{encoded}?token={token}"


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise StorageError("400", "InvalidRequest", "body must be a JSON object",
                           "InvalidRequest")
    return body


async def sign_one(request: Request) -> Response:
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    bucket, name = request.path_params["bucket"], check_name(request.path_params["path"])
    seconds = _expires_in((await _json_body(request)).get("expiresIn"))
    await _visible_object(ctx, caller, request, bucket, name, "storage.object.sign")
    return json_response({"signedURL": _signed_path(ctx, bucket, name, seconds)})


async def sign_many(request: Request) -> Response:
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    bucket = check_bucket_name(request.path_params["bucket"])
    body = await _json_body(request)
    seconds = _expires_in(body.get("expiresIn"))
    paths = body.get("paths")
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise StorageError("400", "InvalidRequest", "paths must be a list of object names",
                           "InvalidRequest")
    async with ctx.pool.transaction(caller.role, caller.claims, read_only=True,
                                    settings=_settings(request, "storage.object.sign",
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
        raise StorageError("400", "InvalidRequest", "querystring must have required property "
                           "'token'", "InvalidRequest")
    try:
        claims = hs256.decode(token, ctx.keys.secret, require=("exp", "url"))
    except hs256.JWTError as exc:
        if exc.expired:
            raise StorageError("400", "InvalidJWT", "jwt expired", "InvalidJWT") from None
        raise StorageError("400", "InvalidSignature", "The signature is invalid",
                           "InvalidSignature") from None
    if claims.get("url") != f"{bucket}/{name}" or claims.get("scope") == "upload":
        raise StorageError("400", "InvalidSignature", "The url do not match the signature",
                           "InvalidSignature")
    # The token was issued after a SELECT as its creator: serving bypasses RLS, as Storage.
    return await _serve_bypassing_rls(ctx, request, bucket, name)


# ---------------------------------------------------------------- move and copy

def _keys_of(body: dict[str, Any]) -> tuple[str, str, str, str]:
    bucket = str(body.get("bucketId") or "")
    dest_bucket = str(body.get("destinationBucket") or bucket)
    source, dest = str(body.get("sourceKey") or ""), str(body.get("destinationKey") or "")
    check_bucket_name(bucket)
    check_bucket_name(dest_bucket)
    return bucket, check_name(source), dest_bucket, check_name(dest)


async def move(request: Request) -> Response:
    """UPDATE the row's bucket/name as the caller (its USING and WITH CHECK policies decide),
    moving the bytes along inside the same transaction."""
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    bucket, source, dest_bucket, dest = _keys_of(await _json_body(request))
    await load_bucket(ctx, bucket)
    await load_bucket(ctx, dest_bucket)
    data_dir = ctx.settings.data_dir
    locks: blobs.NameLocks = ctx.extras.setdefault("name_locks", blobs.NameLocks())
    first, second = sorted([(bucket, source), (dest_bucket, dest)])
    moved: tuple[Any, Any] | None = None
    async with locks.get(*first), locks.get(*second) if first != second else _null():
        try:
            async with ctx.pool.transaction(caller.role, caller.claims, settings=_settings(
                    request, "storage.object.move", caller)) as conn:
                cur = await conn.execute(
                    "update storage.objects set bucket_id = %s, name = %s, updated_at = now() "
                    "where bucket_id = %s and name = %s returning version",
                    [dest_bucket, dest, bucket, source])
                row = await cur.fetchone()
                if row is None:
                    raise not_found()
                old = blobs.object_path(data_dir, bucket, source, row["version"])
                new = blobs.object_path(data_dir, dest_bucket, dest, row["version"])
                await anyio.to_thread.run_sync(blobs.place, old, new)
                moved = (old, new)
        except psycopg.Error as exc:
            if moved is not None:  # the commit failed: put the bytes back
                await anyio.to_thread.run_sync(blobs.place, moved[1], moved[0])
            raise map_db_error(exc) from None
        # The source name has no row any more: whatever is left in its folder is garbage.
        await anyio.to_thread.run_sync(blobs.remove_versions, data_dir, bucket, source, None)
    return json_response({"message": "Successfully moved"})


class _null:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


async def copy(request: Request) -> Response:
    """SELECT the source as the caller, then upload its bytes to the destination with the
    caller's INSERT (and, with x-upsert, UPDATE) permission."""
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    bucket, source, dest_bucket, dest = _keys_of(await _json_body(request))
    await load_bucket(ctx, dest_bucket)
    row = await _visible_object(ctx, caller, request, bucket, source, "storage.object.copy")
    meta = row.get("metadata") or {}
    src = blobs.object_path(ctx.settings.data_dir, bucket, source, row["version"])
    tmp = blobs.temp_dir(ctx.settings.data_dir) / f"{uuid.uuid4().hex}.part"
    await anyio.to_thread.run_sync(_copy_synced, src, tmp)
    try:
        object_id = await commit_object(
            ctx, caller, request, dest_bucket, dest, tmp, size=int(meta.get("size") or 0),
            sha256=str(meta.get("sha256") or ""), mimetype=str(meta.get("mimetype") or
                                                               "application/octet-stream"),
            cache_control=str(meta.get("cacheControl") or "no-cache"),
            user_metadata=row.get("user_metadata"), upsert=_upsert_header(request))
    finally:
        tmp.unlink(missing_ok=True)
    return json_response({"Key": f"{dest_bucket}/{dest}", "Id": object_id})


def _copy_synced(src: Path, dest: Path) -> None:
    import shutil
    if not src.is_file():
        raise not_found()
    shutil.copyfile(src, dest)
    with open(dest, "rb") as fh:
        os.fsync(fh.fileno())


# ---------------------------------------------------------------- signed uploads

SIGNED_UPLOAD_SECONDS = 2 * 3600  # the platform's documented lifetime


async def sign_upload(request: Request) -> Response:
    """Permission is decided now, as the caller; the token then carries it."""
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    bucket, name = request.path_params["bucket"], check_name(request.path_params["path"])
    await load_bucket(ctx, bucket)
    upsert = _upsert_header(request)
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
            raise StorageError("400", "InvalidJWT", "jwt expired", "InvalidJWT") from None
        raise StorageError("400", "InvalidSignature", "The signature is invalid",
                           "InvalidSignature") from None
    if claims.get("scope") != "upload" or claims.get("url") != f"{bucket}/{name}":
        raise StorageError("400", "InvalidSignature", "The url do not match the signature",
                           "InvalidSignature")
    bucket_row = await load_bucket(ctx, bucket)
    # The token's creator passed the INSERT check; the write itself bypasses RLS (as
    # Storage does), recording the creator as owner.
    owner = claims.get("owner")
    uploader = Caller("service_role", {"role": "service_role", "sub": owner})
    body = await receive_upload(ctx, request)
    try:
        check_limits(bucket_row, body.size, body.mimetype)
        await commit_object(ctx, uploader, request, bucket, name, body.path, size=body.size,
                            sha256=body.sha256, mimetype=body.mimetype,
                            cache_control=body.cache_control,
                            user_metadata=body.user_metadata, upsert=bool(claims.get("upsert")))
    finally:
        body.path.unlink(missing_ok=True)
    return json_response({"Key": f"{bucket}/{name}"})


# ---------------------------------------------------------------- buckets

def _bucket_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "owner": str(row.get("owner") or ""),
            "public": bool(row.get("public")), "type": row.get("type") or "STANDARD",
            "file_size_limit": row.get("file_size_limit"),
            "allowed_mime_types": row.get("allowed_mime_types"),
            "created_at": _iso(row.get("created_at")), "updated_at": _iso(row.get("updated_at"))}


async def list_buckets(request: Request) -> Response:
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    async with ctx.pool.transaction(caller.role, caller.claims, read_only=True) as conn:
        cur = await conn.execute("select * from storage.buckets order by id")
        rows = await cur.fetchall()
    return json_response([_bucket_json(r) for r in rows])


async def get_bucket(request: Request) -> Response:
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    async with ctx.pool.transaction(caller.role, caller.claims, read_only=True) as conn:
        cur = await conn.execute("select * from storage.buckets where id = %s",
                                 [request.path_params["bucket"]])
        row = await cur.fetchone()
    if row is None:
        raise bucket_not_found()
    return json_response(_bucket_json(row))


def _wrap(handler: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            response: Response = await handler(request)
            return response
        except StorageError as err:
            return err.response()
    return endpoint


def _routes() -> list[Route]:
    from . import tus
    obj = "/object/{bucket}/{path:path}"
    return [
        *tus.routes(),
        Route("/bucket", _wrap(list_buckets), methods=["GET"]),
        Route("/bucket/{bucket}", _wrap(get_bucket), methods=["GET"]),
        Route("/object/list/{bucket}", _wrap(list_objects), methods=["POST"]),
        Route("/object/move", _wrap(move), methods=["POST"]),
        Route("/object/copy", _wrap(copy), methods=["POST"]),
        Route("/object/upload/sign/{bucket}/{path:path}", _wrap(sign_upload),
              methods=["POST"]),
        Route("/object/upload/sign/{bucket}/{path:path}", _wrap(signed_upload),
              methods=["PUT"]),
        Route("/object/sign/{bucket}", _wrap(sign_many), methods=["POST"]),
        Route("/object/sign/{bucket}/{path:path}", _wrap(sign_one), methods=["POST"]),
        Route("/object/sign/{bucket}/{path:path}", _wrap(signed_download),
              methods=["GET", "HEAD"]),
        Route("/object/info/authenticated/{bucket}/{path:path}", _wrap(info), methods=["GET"]),
        Route("/object/info/{bucket}/{path:path}", _wrap(info), methods=["GET"]),
        Route("/object/authenticated/{bucket}/{path:path}", _wrap(download),
              methods=["GET", "HEAD"]),
        Route("/object/public/{bucket}/{path:path}", _wrap(download_public),
              methods=["GET", "HEAD"]),
        Route("/object/{bucket}", _wrap(remove_many), methods=["DELETE"]),
        Route(obj, _wrap(upload), methods=["POST", "PUT"]),
        Route(obj, _wrap(download), methods=["GET", "HEAD"]),
        Route(obj, _wrap(remove_one), methods=["DELETE"]),
    ]


routes = _routes

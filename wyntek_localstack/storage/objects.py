"""Object routes: upload, download, info, list, remove, move and copy."""

from __future__ import annotations

import base64
import json
import os
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import psycopg
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ..context import Caller, Context, context_of
from ..pg import ADMIN
from ..responses import json_response
from . import blobs
from .access import (
    check_bucket_name,
    check_limits,
    check_name,
    iso,
    json_body,
    load_bucket,
    operation_settings,
    reading_caller,
    storage_caller,
    upsert_header,
)
from .errors import StorageError, access_denied, bucket_not_found, map_db_error, not_found
from .headers import info_headers, object_headers, validate_robots_tag
from .state import StorageState
from .writes import collect_garbage, commit_object, receive_upload, test_insert


async def upload(request: Request) -> Response:
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    bucket, name = request.path_params["bucket"], check_name(request.path_params["path"])
    bucket_row = await load_bucket(ctx, bucket)
    # PUT (update) creates a missing object too, as the real service does.
    upsert = request.method == "PUT" or upsert_header(request)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit():
        check_limits(ctx, bucket_row, int(declared) if not request.headers.get(
            "content-type", "").startswith("multipart/") else None, None)
    # Permission and conflicts answer before the body is read (as Storage's test insert).
    await test_insert(ctx, caller, request, bucket, name, upsert=upsert)
    robots = request.headers.get("x-robots-tag")
    if robots is not None:
        validate_robots_tag(robots)
    body = await receive_upload(ctx, request)
    try:
        check_limits(ctx, bucket_row, body.size, body.mimetype)
        object_id = await commit_object(
            ctx, caller, request, bucket, name, body.path, size=body.size, etag=body.md5,
            mimetype=body.mimetype, cache_control=body.cache_control,
            user_metadata=body.user_metadata, upsert=upsert, x_robots_tag=robots)
    finally:
        body.path.unlink(missing_ok=True)
    return json_response({"Key": f"{bucket}/{name}", "Id": object_id})


async def visible_object(ctx: Context, caller: Caller, request: Request, bucket: str,
                          name: str, operation: str) -> dict[str, Any]:
    try:
        settings = operation_settings(request, operation, caller)
        async with ctx.pool.transaction(caller.role, caller.claims, read_only=True,
                                        settings=settings) as conn:
            cur = await conn.execute("select * from storage.objects where bucket_id = %s "
                                     "and name = %s", [bucket, name])
            row = await cur.fetchone()
    except psycopg.Error as exc:
        raise map_db_error(exc) from None
    if row is None:
        raise not_found()
    return row


async def serve_bypassing_rls(ctx: Context, request: Request, bucket: str,
                              name: str, *, expires: int | None = None) -> Response:
    """Serve an object whose access was checked another way (public bucket, signed URL)."""
    async with ctx.pool.transaction(ADMIN, read_only=True) as conn:
        cur = await conn.execute("select * from storage.objects where bucket_id = %s "
                                 "and name = %s", [bucket, name])
        row = await cur.fetchone()
    if row is None:
        raise not_found()
    return _serve(ctx, row, request, expires=expires)


def _serve(ctx: Context, row: dict[str, Any], request: Request, *,
           expires: int | None = None) -> Response:
    meta = row.get("metadata") or {}
    path = blobs.object_path(ctx.settings.data_dir, row["bucket_id"], row["name"],
                             row["version"])
    headers = object_headers(row, request, expires=expires)
    etag = meta.get("eTag") or ""
    if etag and etag in _etags(request.headers.get("if-none-match")):
        if not path.is_file():
            raise not_found()
        return Response(status_code=304, headers=headers)
    readers = ctx.state(StorageState).readers
    if not readers.hold(path):  # deleted since its row was read
        raise not_found()
    response = _HeldFile(path, readers, media_type=headers["Content-Type"], headers=headers)
    response.headers["content-type"] = headers["Content-Type"]  # as stored: no charset
    return response


class _HeldFile(FileResponse):
    """A file response that keeps its file until sent, even if the object goes meanwhile."""

    def __init__(self, path: Path, readers: blobs.Readers, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        self._readers = readers

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._readers.release(Path(self.path))


def _etags(header: str | None) -> set[str]:
    """The entity tags of an If-None-Match header (weak ones compare equal, as for GET)."""
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


async def _readable(ctx: Context, request: Request, caller: Caller, operation: str,
                    *, anonymous_allowed: bool) -> tuple[dict[str, Any], bool]:
    """The object row a read route serves and whether RLS was bypassed (public bucket).

    On the routes that accept anonymous readers, a caller without a valid token meets a
    private bucket as "Bucket not found", whatever the object.
    """
    bucket, name = request.path_params["bucket"], check_name(request.path_params["path"])
    bucket_row = await load_bucket(ctx, bucket)
    if anonymous_allowed and caller.token is None and not bucket_row.get("public"):
        raise bucket_not_found()
    if bucket_row.get("public") and anonymous_allowed:
        async with ctx.pool.transaction(ADMIN, read_only=True) as conn:
            cur = await conn.execute("select * from storage.objects where bucket_id = %s "
                                     "and name = %s", [bucket, name])
            row = await cur.fetchone()
        if row is None:
            raise not_found()
        return row, True
    return await visible_object(ctx, caller, request, bucket, name, operation), False


async def download(request: Request) -> Response:
    """`GET /object/{bucket}/...`: a bad or missing token reads as anonymous."""
    ctx = context_of(request)
    row, _ = await _readable(ctx, request, reading_caller(ctx, request), "storage.object.get",
                             anonymous_allowed=True)
    return _serve(ctx, row, request)


async def download_authenticated(request: Request) -> Response:
    ctx = context_of(request)
    row, _ = await _readable(ctx, request, storage_caller(ctx, request), "storage.object.get",
                             anonymous_allowed=False)
    return _serve(ctx, row, request)


async def download_public(request: Request) -> Response:
    ctx = context_of(request)
    bucket, name = request.path_params["bucket"], check_name(request.path_params["path"])
    bucket_row = await load_bucket(ctx, bucket)
    if not bucket_row.get("public"):
        raise bucket_not_found()
    return await serve_bypassing_rls(ctx, request, bucket, name)


def info_json(row: dict[str, Any]) -> dict[str, Any]:
    meta = row.get("metadata") or {}
    return {
        "id": str(row["id"]), "name": row["name"], "version": row["version"],
        "bucket_id": row["bucket_id"], "size": meta.get("size"),
        "content_type": meta.get("mimetype"), "cache_control": meta.get("cacheControl"),
        "etag": meta.get("eTag"), "metadata": row.get("user_metadata"),
        "last_modified": iso(row["updated_at"]), "created_at": iso(row["created_at"]),
    }


async def info(request: Request) -> Response:
    """`GET /object/info/{bucket}/...`: a bad or missing token reads as anonymous."""
    ctx = context_of(request)
    row, _ = await _readable(ctx, request, reading_caller(ctx, request),
                             "storage.object.info", anonymous_allowed=True)
    return json_response(info_json(row), headers=info_headers(row))


async def info_authenticated(request: Request) -> Response:
    ctx = context_of(request)
    row, _ = await _readable(ctx, request, storage_caller(ctx, request),
                             "storage.object.info", anonymous_allowed=False)
    return json_response(info_json(row), headers=info_headers(row))


SORT_COLUMNS = ("name", "updated_at", "created_at", "last_accessed_at")


async def _rows_under(ctx: Context, request: Request, caller: Caller, bucket: str,
                      prefix: str, operation: str) -> list[dict[str, Any]]:
    """Every object row whose name starts with `prefix`, case-insensitively, that RLS lets
    the caller see (Storage matches with ILIKE on the prefix)."""
    try:
        settings = operation_settings(request, operation, caller)
        async with ctx.pool.transaction(caller.role, caller.claims, read_only=True,
                                        settings=settings) as conn:
            cur = await conn.execute(
                "select id, name, updated_at, created_at, last_accessed_at, metadata "
                "from storage.objects where bucket_id = %s "
                "and starts_with(lower(name), lower(%s))", [bucket, prefix])
            return await cur.fetchall()
    except psycopg.Error as exc:
        raise map_db_error(exc) from None


def _folder_entry(name: str) -> dict[str, Any]:
    return {"name": name, "id": None, "updated_at": None, "created_at": None,
            "last_accessed_at": None, "metadata": None}


async def list_objects(request: Request) -> Response:
    """`POST /object/list/{bucket}` (storage.search): one level below the prefix.

    Sorted by name, folders and files interleave in the order of their lower-cased full
    keys, byte-wise (a folder sorts as its name plus "/"); sorted by another column,
    folders come first by name, then the files by that column.
    """
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    bucket = check_bucket_name(request.path_params["bucket"])
    body = await json_body(request)
    prefix = str(body.get("prefix") or "")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    limit = min(int(body.get("limit") or 100), 1500)
    offset = int(body.get("offset") or 0)
    search = str(body.get("search") or "")
    sort = body.get("sortBy") or {}
    column = str(sort.get("column") or "name").lower()
    column = column if column in SORT_COLUMNS else "name"
    descending = str(sort.get("order") or "asc").lower() == "desc"
    rows = await _rows_under(ctx, request, caller, bucket, prefix + search,
                             "storage.object.list")
    folders: dict[str, dict[str, Any]] = {}
    files: list[dict[str, Any]] = []
    for row in rows:
        head, sep, _ = row["name"][len(prefix):].partition("/")
        if sep:
            folders.setdefault(head, _folder_entry(head))
        else:
            files.append({"name": head, "id": str(row["id"]),
                          "updated_at": iso(row["updated_at"]),
                          "created_at": iso(row["created_at"]),
                          "last_accessed_at": iso(row["last_accessed_at"]),
                          "metadata": row["metadata"]})
    if column == "name":
        def key(entry: dict[str, Any]) -> bytes:
            suffix = "/" if entry["id"] is None else ""
            return (prefix + entry["name"] + suffix).lower().encode()
        entries = sorted([*folders.values(), *files], key=key, reverse=descending)
    else:
        ordered_folders = sorted(folders.values(), key=lambda e: str(e["name"]),
                                 reverse=descending)
        ordered_files = sorted(files, key=lambda e: (e[column] or "", e["name"]),
                               reverse=descending)
        entries = [*ordered_folders, *ordered_files]
    return json_response(entries[offset:offset + limit])


async def list_objects_v2(request: Request) -> Response:
    """`POST /object/list-v2/{bucket}`: keys under a raw prefix, folders with a delimiter,
    and a cursor to continue after the last key."""
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    bucket = check_bucket_name(request.path_params["bucket"])
    body = await json_body(request)
    prefix = str(body.get("prefix") or "")
    limit = max(1, min(int(body.get("limit") or 1000), 1000))
    delimited = bool(body.get("with_delimiter"))
    sort = body.get("sortBy") or {}
    column = str(sort.get("column") or "name")
    column = column if column in ("name", "updated_at", "created_at") else "name"
    descending = str(sort.get("order") or "asc").lower() == "desc"
    after = _cursor_name(body.get("cursor"))
    rows = await _rows_under(ctx, request, caller, bucket, prefix, "storage.object.list")
    rows = [r for r in rows if r["name"].startswith(prefix)]
    rows.sort(key=lambda r: (r[column] if column != "name" else r["name"].encode(),
                             r["name"].encode()), reverse=descending)
    entries: list[dict[str, Any]] = []
    seen_folders: set[str] = set()
    for row in rows:
        rest = row["name"][len(prefix):]
        if delimited and "/" in rest:
            folder = prefix + rest.split("/", 1)[0] + "/"
            if folder not in seen_folders:
                seen_folders.add(folder)
                entries.append({"key": folder[len(prefix):-1], "name": folder,
                                "created_at": None, "updated_at": None, "_sort": folder})
            continue
        entries.append({"id": str(row["id"]), "key": rest, "name": row["name"],
                        "created_at": iso(row["created_at"]),
                        "updated_at": iso(row["updated_at"]),
                        "last_accessed_at": iso(row["last_accessed_at"]),
                        "metadata": row["metadata"], "_sort": row["name"]})
    if after is not None:
        entries = [e for e in entries
                   if (e["_sort"] < after if descending else e["_sort"] > after)]
    page, more = entries[:limit], len(entries) > limit
    cursor = _encode_cursor(page[-1]["_sort"]) if more and page else None
    for entry in page:
        entry.pop("_sort")
    return json_response({
        "hasNext": more, "nextCursor": cursor,
        "folders": [e for e in page if "id" not in e],
        "objects": [e for e in page if "id" in e]})


def _encode_cursor(name: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"startAfter": name}).encode()).decode()


def _cursor_name(cursor: Any) -> str | None:
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(str(cursor).encode()))
        return str(data["startAfter"])
    except (ValueError, KeyError, TypeError):
        raise StorageError("400", "Error", "cursor is not valid", "InvalidRequest") from None


DELETE_SQL = ("delete from storage.objects where bucket_id = %s and name = any(%s) "
              "returning *")


def row_json(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: (iso(v) if isinstance(v, datetime) else v) for k, v in row.items()
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
    if not isinstance(prefixes, list) or not all(isinstance(p, str) for p in prefixes):
        raise StorageError("400", "Error", "body/prefixes must be array", "InvalidRequest")
    if not prefixes:
        raise StorageError("400", "Error", "body/prefixes must NOT have fewer than 1 items",
                           "InvalidRequest")
    if len(prefixes) > 1000:
        raise StorageError("400", "Error", "body/prefixes must NOT have more than 1000 items",
                           "InvalidRequest")
    try:
        async with ctx.pool.transaction(caller.role, caller.claims, settings=operation_settings(
                request, "storage.object.delete_many", caller)) as conn:
            cur = await conn.execute(DELETE_SQL, [bucket, prefixes])
            rows = await cur.fetchall()
    except psycopg.Error as exc:
        raise map_db_error(exc) from None
    for row in rows:
        await collect_garbage(ctx, bucket, row["name"])
    return json_response([row_json(r) for r in rows])


async def remove_one(request: Request) -> Response:
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    bucket, name = request.path_params["bucket"], check_name(request.path_params["path"])
    try:
        async with ctx.pool.transaction(caller.role, caller.claims, settings=operation_settings(
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
    bucket, source, dest_bucket, dest = _keys_of(await json_body(request))
    await load_bucket(ctx, bucket)
    await load_bucket(ctx, dest_bucket)
    data_dir = ctx.settings.data_dir
    locks = ctx.state(StorageState).name_locks
    first, second = sorted([(bucket, source), (dest_bucket, dest)])
    moved: tuple[Any, Any] | None = None
    async with locks.get(*first), locks.get(*second) if first != second else _null():
        try:
            async with ctx.pool.transaction(caller.role, caller.claims, settings=operation_settings(
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
        await anyio.to_thread.run_sync(blobs.remove_versions, data_dir, bucket, source, None,
                                       ctx.state(StorageState).readers)
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
    bucket, source, dest_bucket, dest = _keys_of(await json_body(request))
    await load_bucket(ctx, dest_bucket)
    row = await visible_object(ctx, caller, request, bucket, source, "storage.object.copy")
    meta = row.get("metadata") or {}
    src = blobs.object_path(ctx.settings.data_dir, bucket, source, row["version"])
    tmp = blobs.temp_dir(ctx.settings.data_dir) / f"{uuid.uuid4().hex}.part"
    await anyio.to_thread.run_sync(_copy_synced, src, tmp)
    try:
        etag = str(meta.get("eTag") or "").strip('"')
        if "-" in etag:  # S3 copies a multipart object in one piece: its etag is the MD5
            etag = await anyio.to_thread.run_sync(blobs.md5_of_file, tmp)
        object_id = await commit_object(
            ctx, caller, request, dest_bucket, dest, tmp, size=int(meta.get("size") or 0),
            etag=etag, mimetype=str(meta.get("mimetype") or
                                                               "application/octet-stream"),
            cache_control=str(meta.get("cacheControl") or "no-cache"),
            user_metadata=row.get("user_metadata"), upsert=upsert_header(request))
    finally:
        tmp.unlink(missing_ok=True)
    async with ctx.pool.transaction(ADMIN, read_only=True) as conn:
        cur = await conn.execute("select * from storage.objects where id = %s", [object_id])
        created = await cur.fetchone()
    # Storage answers with the new row itself, plus the older Id/Key pair.
    return json_response({"Id": object_id, "Key": f"{dest_bucket}/{dest}",
                          **(row_json(created) if created else {})})


def _copy_synced(src: Path, dest: Path) -> None:
    import shutil
    if not src.is_file():
        raise not_found()
    shutil.copyfile(src, dest)
    with open(dest, "rb") as fh:
        os.fsync(fh.fileno())

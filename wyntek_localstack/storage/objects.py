"""Object routes: upload, download, info, list, remove, move and copy."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
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
    storage_caller,
    upsert_header,
)
from .errors import StorageError, access_denied, bucket_not_found, map_db_error, not_found
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
    row = await visible_object(ctx, caller, request, bucket, name, "storage.object.get")
    return _serve(ctx, row, request.query_params.get("download"))


async def download_public(request: Request) -> Response:
    ctx = context_of(request)
    bucket, name = request.path_params["bucket"], check_name(request.path_params["path"])
    bucket_row = await load_bucket(ctx, bucket)
    if not bucket_row.get("public"):
        raise bucket_not_found()
    return await serve_bypassing_rls(ctx, request, bucket, name)


async def info(request: Request) -> Response:
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    bucket, name = request.path_params["bucket"], check_name(request.path_params["path"])
    row = await visible_object(ctx, caller, request, bucket, name, "storage.object.info")
    meta = row.get("metadata") or {}
    return json_response({
        "id": str(row["id"]), "name": row["name"], "version": row["version"],
        "bucket_id": row["bucket_id"], "size": meta.get("size"),
        "content_type": meta.get("mimetype"), "cache_control": meta.get("cacheControl"),
        "etag": meta.get("eTag"), "metadata": row.get("user_metadata") or {},
        "last_modified": iso(row["updated_at"]), "created_at": iso(row["created_at"]),
        "sha256": meta.get("sha256"),
    })


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
                                        settings=operation_settings(request, "storage.object.list",
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
                          "updated_at": iso(row["updated_at"]),
                          "created_at": iso(row["created_at"]),
                          "last_accessed_at": iso(row["last_accessed_at"]),
                          "metadata": row["metadata"]})
    entries = list(folders.values()) + files
    entries.sort(key=lambda e: (e[column] is None, e[column] or ""), reverse=descending)
    return json_response(entries[offset:offset + limit])


DELETE_SQL = ("delete from storage.objects where bucket_id = %s and name = any(%s) "
              "returning *")


def _row_json(row: dict[str, Any]) -> dict[str, Any]:
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
    if not isinstance(prefixes, list) or not prefixes or len(prefixes) > 1000 \
            or not all(isinstance(p, str) for p in prefixes):
        raise StorageError("400", "InvalidRequest",
                           "body/prefixes must be a list of 1 to 1000 object names",
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
    return json_response([_row_json(r) for r in rows])


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
    bucket, source, dest_bucket, dest = _keys_of(await json_body(request))
    await load_bucket(ctx, dest_bucket)
    row = await visible_object(ctx, caller, request, bucket, source, "storage.object.copy")
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
            user_metadata=row.get("user_metadata"), upsert=upsert_header(request))
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

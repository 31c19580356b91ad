"""Bucket routes: reads, and creation as the caller (RLS decides)."""

from __future__ import annotations

from typing import Any

import psycopg
from starlette.requests import Request
from starlette.responses import Response

from ..context import context_of
from ..responses import json_response
from .access import check_bucket_name, iso, json_body, owner_uuid, storage_caller
from .errors import StorageError, bucket_not_found, map_db_error


def _bucket_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "owner": str(row.get("owner") or ""),
            "public": bool(row.get("public")),
            # Storage's bucket read leaves the type out; the wire shows it as null.
            "type": None,
            "file_size_limit": row.get("file_size_limit"),
            "allowed_mime_types": row.get("allowed_mime_types"),
            "created_at": iso(row.get("created_at")), "updated_at": iso(row.get("updated_at"))}


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


async def create_bucket(request: Request) -> Response:
    """`POST /bucket`: an INSERT into storage.buckets as the caller, so RLS decides (the
    project has no policy for users: only the service role creates buckets)."""
    ctx = context_of(request)
    caller = storage_caller(ctx, request)
    body = await json_body(request)
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise StorageError("400", "Error", "body must have required property 'name'",
                           "InvalidRequest")
    bucket_id = str(body.get("id") or name)
    check_bucket_name(bucket_id)
    limit = body.get("file_size_limit")
    mimes = body.get("allowed_mime_types")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or limit < 0):
        raise StorageError("400", "Error", "file_size_limit must be a number of bytes",
                           "InvalidRequest")
    if mimes is not None and (not isinstance(mimes, list)
                              or not all(isinstance(m, str) for m in mimes)):
        raise StorageError("400", "Error", "allowed_mime_types must be a list of strings",
                           "InvalidRequest")
    try:
        async with ctx.pool.transaction(caller.role, caller.claims) as conn:
            await conn.execute(
                "insert into storage.buckets (id, name, owner, owner_id, public, "
                "file_size_limit, allowed_mime_types) values (%s, %s, %s, %s, %s, %s, %s)",
                [bucket_id, name, owner_uuid(caller), caller.sub, bool(body.get("public")),
                 limit, mimes])
    except psycopg.Error as exc:
        raise map_db_error(exc) from None
    return json_response({"name": bucket_id})

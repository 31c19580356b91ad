"""Bucket routes (read-only for the API roles, as the project's policies allow)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..context import context_of
from ..responses import json_response
from .access import iso, storage_caller
from .errors import bucket_not_found


def _bucket_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "owner": str(row.get("owner") or ""),
            "public": bool(row.get("public")), "type": row.get("type") or "STANDARD",
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

"""HTTP side of PostgREST: headers, Prefer, ranges, one transaction per request, errors."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import psycopg
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..context import Caller, Context, Settings, context_of
from ..keys import TokenError
from ..responses import json_response, raw_json_response
from . import schema as schema_mod
from .grammar import Query, QueryError, parse_query
from .sqlgen import ApiError, Builder, Sql

SINGLE = "application/vnd.pgrst.object+json"
SCHEMA_RELOAD_INTERVAL = 1.0


class SchemaCache:
    """The exposed schema as last read from the catalog, and when (PostgREST's cache)."""

    def __init__(self, settings: Settings) -> None:
        self.schema: schema_mod.Schema | None = None
        self.loaded_at = 0.0

    def get(self) -> schema_mod.Schema:
        assert self.schema is not None, "the schema is loaded at start-up"
        return self.schema


async def load_schema(ctx: Context) -> None:
    async with ctx.pool.transaction("admin", read_only=True) as conn:
        schema = await schema_mod.load(conn)
    cache = ctx.state(SchemaCache)
    cache.schema, cache.loaded_at = schema, time.monotonic()


def _builder(ctx: Context) -> Builder:
    return Builder(ctx.state(SchemaCache).get())


def status_for(sqlstate: str, role: str) -> int:
    """PostgREST's SQLSTATE → HTTP mapping."""
    if sqlstate == "42501":
        return 401 if role == "anon" else 403
    exact = {"23505": 409, "23503": 409, "P0001": 400, "42883": 404, "42P01": 404,
             "25006": 405, "42P17": 500, "22P02": 400}
    if sqlstate in exact:
        return exact[sqlstate]
    if sqlstate.startswith("PT") and sqlstate[2:].isdigit():
        return int(sqlstate[2:])
    prefix = sqlstate[:2]
    if prefix in ("08", "53"):
        return 503
    if prefix in ("40", "55", "57", "XX", "P0"):
        return 500
    if prefix in ("0L", "0P", "28"):
        return 403
    return 400


def _pg_error(exc: psycopg.Error, role: str) -> Response:
    diag = exc.diag
    code = exc.sqlstate or "XX000"
    body = {"code": code, "message": diag.message_primary or str(exc),
            "details": diag.message_detail, "hint": diag.message_hint}
    status = status_for(code, role)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return json_response(body, status, headers)


def _api_error(err: ApiError) -> Response:
    headers = None
    if err.status == 401:
        description = err.message.replace('"', "'")
        headers = {"WWW-Authenticate":
                   f'Bearer error="invalid_token", error_description="{description}"'}
    return json_response(err.body(), err.status, headers)


def _caller(ctx: Context, request: Request) -> Caller:
    try:
        return ctx.caller(request)
    except TokenError as exc:
        if exc.expired:
            raise ApiError(401, "PGRST303", "JWT expired") from None
        raise ApiError(401, "PGRST301", exc.message) from None


def _prefer(request: Request) -> dict[str, str]:
    out: dict[str, str] = {}
    for header in request.headers.getlist("prefer"):
        for part in header.split(","):
            key, _, value = part.strip().partition("=")
            if key:
                out[key.strip()] = value.strip()
    return out


def _check_profile(request: Request) -> None:
    for header in ("accept-profile", "content-profile"):
        value = request.headers.get(header)
        if value is not None and value != schema_mod.EXPOSED_SCHEMA:
            raise ApiError(406, "PGRST106",
                           f"The schema must be one of the following: "
                           f"{schema_mod.EXPOSED_SCHEMA}")


def _params(request: Request) -> list[tuple[str, str]]:
    return parse_qsl(request.url.query, keep_blank_values=True)


def _query(params: list[tuple[str, str]], skip: frozenset[str] = frozenset()) -> Query:
    try:
        return parse_query(params, skip=skip)
    except QueryError as exc:
        raise ApiError(400, "PGRST100", exc.message, exc.details) from None


_RANGE = re.compile(r"^(?:items=)?(\d+)-(\d*)$")


def _apply_range_header(request: Request, query: Query) -> None:
    value = request.headers.get("range")
    if not value:
        return
    m = _RANGE.match(value.strip())
    if not m:
        return
    first = int(m.group(1))
    query.offset = max(query.offset, first)
    if m.group(2):
        size = int(m.group(2)) - first + 1
        query.limit = size if query.limit is None else min(query.limit, size)


def _wants_single(request: Request) -> bool:
    return SINGLE in request.headers.get("accept", "")


def _content_range(offset: int, n: int, total: int | None) -> str:
    total_text = "*" if total is None else str(total)
    if n == 0:
        return f"*/{total_text}"
    return f"{offset}-{offset + n - 1}/{total_text}"


class _Rollback(Exception):
    def __init__(self, error: ApiError) -> None:
        self.error = error


def _single_error(n: int) -> ApiError:
    return ApiError(406, "PGRST116", "Cannot coerce the result to a single JSON object",
                    f"The result contains {n} rows")


def _single_body(body: str) -> str:
    rows = json.loads(body)
    return json.dumps(rows[0], separators=(",", ":"))


async def _with_schema_retry(ctx: Context, make: Any) -> Any:
    """Build SQL; after a schema-cache miss reload once (tables created since start)."""
    try:
        return make(_builder(ctx))
    except ApiError as err:
        stale = time.monotonic() - ctx.state(SchemaCache).loaded_at > SCHEMA_RELOAD_INTERVAL
        if err.code not in ("PGRST205", "PGRST202", "42703", "PGRST204") or not stale:
            raise
        await load_schema(ctx)
        return make(_builder(ctx))


async def _body_json(request: Request) -> tuple[Any, str]:
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
        return (json.loads(text) if text.strip() else None), text
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "PGRST102", "Empty or invalid json") from None


Handler = Callable[[Request], Awaitable[Response]]


def endpoint(handler: Handler) -> Handler:
    """Answer ApiError (also when it rolled a transaction back) in PostgREST's shape."""
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as err:
            return _api_error(err)
        except _Rollback as rb:
            return _api_error(rb.error)
    return wrapped


async def table_endpoint(request: Request) -> Response:
    ctx = context_of(request)
    _check_profile(request)
    caller = _caller(ctx, request)
    method = request.method
    if method in ("GET", "HEAD"):
        return await _read(ctx, request, caller)
    if method == "POST":
        return await _insert(ctx, request, caller)
    if method == "PATCH":
        return await _update(ctx, request, caller)
    if method == "DELETE":
        return await _delete(ctx, request, caller)
    raise ApiError(405, "PGRST117", f"Unsupported HTTP method: {method}")


async def _read(ctx: Context, request: Request, caller: Caller) -> Response:
    table = request.path_params["table"]
    query = _query(_params(request))
    _apply_range_header(request, query)
    prefer = _prefer(request)
    counted = prefer.get("count") in ("exact", "planned", "estimated")
    rows_sql, count_sql = await _with_schema_retry(ctx, lambda b: b.read(table, query))
    head = request.method == "HEAD"
    try:
        async with ctx.pool.transaction(caller.role, caller.claims, read_only=True,
                                        settings=_request_settings(request)) as conn:
            body, n = ("[]", 0)
            if not head or not counted:
                row = await (await conn.execute(rows_sql.text, rows_sql.params)).fetchone()
                assert row is not None
                body, n = row["body"], row["n"]
            total = None
            if counted:
                row = await (await conn.execute(count_sql.text, count_sql.params)).fetchone()
                total = row["n"] if row else 0
                if head:
                    n = max(0, min(total - query.offset, query.limit if query.limit is not None
                                   else total))
    except psycopg.Error as exc:
        return _pg_error(exc, caller.role)
    if total is not None and query.offset > total:
        return json_response({"code": "PGRST103", "message": "Requested range not satisfiable",
                              "details": f"An offset of {query.offset} was requested, but "
                                         f"there are only {total} rows.", "hint": None},
                             416, {"Content-Range": f"*/{total}"})
    headers = {"Content-Range": _content_range(query.offset, n, total)}
    status = 206 if total is not None and n < total and n > 0 else 200
    if _wants_single(request):
        if n != 1:
            return _api_error(_single_error(n))
        body = _single_body(body)
        headers["Content-Type"] = SINGLE + "; charset=utf-8"
    if head:
        return Response(status_code=status, headers=headers)
    return raw_json_response(body, status, headers)


def _request_settings(request: Request) -> dict[str, str]:
    return {"request.method": request.method, "request.path": request.url.path}


async def _run_mutation(ctx: Context, request: Request, caller: Caller, sql: Sql, *,
                        representation: bool, success: int) -> Response:
    single = _wants_single(request)
    prefer = _prefer(request)
    try:
        async with ctx.pool.transaction(caller.role, caller.claims,
                                        settings=_request_settings(request)) as conn:
            async with conn.pipeline():  # sync here: rowcount needs the result
                cur = await conn.execute(sql.text, sql.params)
            if representation:
                row = await cur.fetchone()
                assert row is not None
                body, n = row["body"], row["n"]
            else:
                body, n = "", max(cur.rowcount, 0)
            if single and n != 1:
                raise _Rollback(_single_error(n))
    except psycopg.Error as exc:
        return _pg_error(exc, caller.role)
    total = str(n) if prefer.get("count") == "exact" else "*"
    headers = {"Content-Range": f"*/{total}"}
    applied = [f"{k}={prefer[k]}" for k in ("return", "resolution", "count", "missing")
               if k in prefer]
    if applied:
        headers["Preference-Applied"] = ", ".join(applied)
    if not representation:
        return Response(status_code=201 if success == 201 else 204, headers=headers)
    if single:
        body = _single_body(body)
    return raw_json_response(body, success, headers)


def _representation(request: Request, query_params: list[tuple[str, str]]) -> bool:
    prefer = _prefer(request)
    if any(k == "select" for k, _ in query_params):
        return True
    return prefer.get("return") == "representation"


async def _insert(ctx: Context, request: Request, caller: Caller) -> Response:
    table = request.path_params["table"]
    params = _params(request)
    query = _query(params)
    payload, _ = await _body_json(request)
    rows = payload if isinstance(payload, list) else [payload] if isinstance(payload, dict) \
        else None
    if rows is None or not all(isinstance(r, dict) for r in rows):
        raise ApiError(400, "PGRST102", "Empty or invalid json")
    representation = _representation(request, params)
    resolution = _prefer(request).get("resolution")
    if resolution not in (None, "merge-duplicates", "ignore-duplicates"):
        resolution = None
    if not rows and query.columns is None:
        headers = {"Content-Range": "*/*"}
        if representation:
            return raw_json_response("[]", 201, headers)
        return Response(status_code=201, headers=headers)
    missing_default = _prefer(request).get("missing") == "default"
    sql = await _with_schema_retry(ctx, lambda b: b.insert(
        table, query, rows, representation=representation, resolution=resolution,
        missing_default=missing_default))
    return await _run_mutation(ctx, request, caller, sql, representation=representation,
                               success=201)


async def _update(ctx: Context, request: Request, caller: Caller) -> Response:
    table = request.path_params["table"]
    params = _params(request)
    query = _query(params)
    payload, _ = await _body_json(request)
    if not isinstance(payload, dict):
        raise ApiError(400, "PGRST102", "Empty or invalid json")
    representation = _representation(request, params)
    if not payload:
        return raw_json_response("[]", 200) if representation else Response(status_code=204)
    sql = await _with_schema_retry(ctx, lambda b: b.update(table, query, payload,
                                                           representation=representation))
    return await _run_mutation(ctx, request, caller, sql, representation=representation,
                               success=200)


async def _delete(ctx: Context, request: Request, caller: Caller) -> Response:
    table = request.path_params["table"]
    params = _params(request)
    query = _query(params)
    representation = _representation(request, params)
    sql = await _with_schema_retry(ctx, lambda b: b.delete(table, query,
                                                           representation=representation))
    return await _run_mutation(ctx, request, caller, sql, representation=representation,
                               success=200)


async def rpc_endpoint(request: Request) -> Response:
    ctx = context_of(request)
    _check_profile(request)
    caller = _caller(ctx, request)
    return await _rpc(ctx, request, caller)


async def _rpc(ctx: Context, request: Request, caller: Caller) -> Response:
    name = request.path_params["name"]
    params = _params(request)
    raw_body: str | None = None
    if request.method in ("GET", "HEAD"):
        args: dict[str, Any] = {}
        fns = ctx.state(SchemaCache).get().functions.get(name, [])
        arg_names = {a.name for fn in fns for a in fn.args}
        for key, value in params:
            if key in arg_names:
                args[key] = value
        skip = frozenset(args)
    else:
        payload, raw_body = await _body_json(request)
        if payload is None:
            payload = {}
        if not isinstance(payload, dict):
            raise ApiError(400, "PGRST102", "Empty or invalid json")
        args, skip = payload, frozenset()
    query = _query(params, skip)

    def make(builder: Builder) -> tuple[Sql, bool, bool]:
        fn = builder.resolve_function(name, set(args))
        return builder.call(fn, args, query, raw_body), fn.returns_void, fn.volatile

    sql, void, volatile = await _with_schema_retry(ctx, make)
    read_only = request.method in ("GET", "HEAD") or not volatile
    single = _wants_single(request)
    try:
        async with ctx.pool.transaction(caller.role, caller.claims, read_only=read_only,
                                        settings=_request_settings(request)) as conn:
            cur = await conn.execute(sql.text, sql.params)
            row = None if void else await cur.fetchone()
            if single and row is not None and row["n"] != 1:
                raise _Rollback(_single_error(row["n"]))
    except psycopg.Error as exc:
        return _pg_error(exc, caller.role)
    if void or row is None:
        return Response(status_code=204)
    body = row["body"] if row["body"] is not None else "null"
    if single and body.startswith("["):
        body = _single_body(body)
    if request.method == "HEAD":
        return Response(status_code=200)
    return raw_json_response(body, 200, {"Content-Range": _content_range(0, row["n"], None)})


def routes() -> list[BaseRoute]:
    return [
        Route("/rpc/{name}", endpoint(rpc_endpoint), methods=["GET", "HEAD", "POST"]),
        Route("/{table}", endpoint(table_endpoint),
              methods=["GET", "HEAD", "POST", "PATCH", "DELETE"]),
    ]

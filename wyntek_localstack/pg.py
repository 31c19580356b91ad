"""Connection pool and the per-request transaction that makes RLS decide.

Every API request runs in exactly one transaction. For the API roles the transaction
first switches role and publishes the JWT claims the way PostgREST and Storage do, so
`auth.uid()`, `auth.jwt()` and the policies see the caller.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from .keys import API_ROLES

# The connection itself is the superuser; internal work (GoTrue, file bookkeeping) runs
# with no role switch, like GoTrue's and Storage's own admin logins.
ADMIN = "admin"


# The role settings PostgREST applies per transaction when it switches role.
ROLE_SETTINGS = ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")


class Pool:
    def __init__(self, dsn: str, *, min_size: int = 2, max_size: int = 10) -> None:
        self.role_settings: dict[str, dict[str, str]] = {}
        self._pool = AsyncConnectionPool(
            dsn, min_size=min_size, max_size=max_size, open=False,
            kwargs={"autocommit": True, "row_factory": dict_row}, timeout=30,
        )

    async def open(self) -> None:
        await self._pool.open(wait=True)
        await self.load_role_settings()

    async def load_role_settings(self) -> None:
        """Read the API roles' own settings (`alter role … set statement_timeout`).

        A role's settings apply at login, not on `set role`; PostgREST applies them itself
        when it switches to the role for a request, and so does this pool.
        """
        async with self._pool.connection() as conn:
            cur = await conn.cursor(row_factory=dict_row).execute(
                "select r.rolname, s.setconfig from pg_db_role_setting s "
                "join pg_roles r on r.oid = s.setrole "
                "where s.setdatabase in (0, (select oid from pg_database "
                "where datname = current_database())) and r.rolname = any(%s)",
                [list(API_ROLES)])
            rows = await cur.fetchall()
        found: dict[str, dict[str, str]] = {}
        for row in rows:
            for entry in row["setconfig"] or []:
                key, _, value = str(entry).partition("=")
                if key in ROLE_SETTINGS:
                    found.setdefault(row["rolname"], {})[key] = value
        self.role_settings = found

    async def close(self) -> None:
        await self._pool.close()

    @asynccontextmanager
    async def transaction(
        self,
        role: str,
        claims: dict[str, Any] | None = None,
        *,
        read_only: bool = False,
        settings: dict[str, str] | None = None,
    ) -> AsyncIterator[AsyncConnection[Any]]:
        """Yield a connection inside one transaction running as `role`.

        The transaction commits when the block exits normally and rolls back on error.
        """
        async with self._pool.connection() as conn:
            try:
                # Pipeline mode: BEGIN, the settings and the first query travel in one
                # round trip (results are read when the handler fetches), and COMMIT in
                # one more. Nested `conn.pipeline()` blocks sync when a handler needs a
                # result right away (rowcount).
                async with conn.pipeline():
                    await conn.execute("begin read only" if read_only else "begin")
                    if role != ADMIN:
                        await _become(conn, role, claims, {
                            **self.role_settings.get(role, {}), **(settings or {})})
                    elif settings:
                        await _set_many(conn, settings)
                    yield conn
                    await conn.execute("commit")
            except BaseException:
                if not conn.closed:
                    await conn.execute("rollback")
                raise

async def _become(conn: AsyncConnection[Any], role: str, claims: dict[str, Any] | None,
                  settings: dict[str, str]) -> None:
    if role not in API_ROLES:  # never interpolate anything else into the role switch
        raise ValueError(f"unknown API role {role!r}")
    claims = claims if claims is not None else {"role": role}
    values = {
        "role": role,
        "request.jwt.claims": json.dumps(claims, separators=(",", ":")),
        # Older helpers (and Storage) read the per-claim settings first.
        "request.jwt.claim.sub": str(claims.get("sub") or ""),
        "request.jwt.claim.role": role,
        **settings,
    }
    await _set_many(conn, values)


async def _set_many(conn: AsyncConnection[Any], values: dict[str, str]) -> None:
    parts = ", ".join("set_config(%s, %s, true)" for _ in values)
    params: list[str] = []
    for key, value in values.items():
        params += [key, value]
    await conn.execute(f"select {parts}", params)

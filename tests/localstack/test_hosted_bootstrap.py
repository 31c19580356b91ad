"""The bootstrap enforces what a hosted project enforces (roles, delete protection, RLS on
auth.users, statement timeouts, and the limits of what migrations may change)."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest

from wyntek_localstack.database import Database
from wyntek_localstack.pg import Pool


def _member_of(pg: psycopg.Connection[Any], role: str, group: str) -> bool:
    row = pg.execute("select exists (select 1 from pg_auth_members m "
                     "join pg_roles r on r.oid = m.member join pg_roles g on g.oid = m.roleid "
                     "where r.rolname = %s and g.rolname = %s)", (role, group)).fetchone()
    return bool(row and row[0])


def test_postgres_is_no_member_of_the_service_admins(pg: psycopg.Connection[Any]) -> None:
    assert not _member_of(pg, "postgres", "supabase_storage_admin")
    assert not _member_of(pg, "postgres", "supabase_auth_admin")
    # ...and the project's storage policies exist all the same (policies are allowed).
    names = {r[0] for r in pg.execute(
        "select policyname from pg_policies where schemaname = 'storage'").fetchall()}
    assert "designs: owner uploads to own folder" in names


def test_a_sql_delete_from_storage_is_refused(pg: psycopg.Connection[Any]) -> None:
    for table in ("storage.objects", "storage.buckets"):
        with pytest.raises(psycopg.Error) as err, pg.transaction():
            pg.execute(f"delete from {table} where false")
        assert err.value.sqlstate == "42501"
        assert "Use the Storage API instead" in str(err.value)
    with pg.transaction(force_rollback=True):  # Storage's own deletes say who they are
        pg.execute("select set_config('storage.allow_delete_query', 'true', true)")
        pg.execute("delete from storage.objects where false")


def test_auth_users_has_rls_and_the_roles_have_timeouts(pg: psycopg.Connection[Any]) -> None:
    row = pg.execute("select relrowsecurity from pg_class where oid = 'auth.users'::regclass"
                     ).fetchone()
    assert row == (True,)
    settings = dict(pg.execute(
        "select r.rolname, s.setconfig from pg_db_role_setting s "
        "join pg_roles r on r.oid = s.setrole where r.rolname in ('anon', 'authenticated')"
    ).fetchall())
    assert "statement_timeout=3s" in settings["anon"]
    assert "statement_timeout=8s" in settings["authenticated"]


def test_api_transactions_run_with_the_role_timeouts(local_db: Database) -> None:
    async def timeouts() -> dict[str, str]:
        pool = Pool(local_db.dsn, min_size=1, max_size=2)
        await pool.open()
        try:
            out = {}
            for role in ("anon", "authenticated", "service_role"):
                async with pool.transaction(role, {"role": role}) as conn:
                    cur = await conn.execute("select current_setting('statement_timeout') t")
                    row = await cur.fetchone()
                    assert row is not None
                    out[role] = row["t"]
            return out
        finally:
            await pool.close()

    assert asyncio.run(timeouts()) == {"anon": "3s", "authenticated": "8s",
                                       "service_role": "0"}


@pytest.mark.parametrize("statement", [
    "alter table storage.objects add column wyntek_extra int",
    "create index wyntek_extra on storage.objects (created_at)",
    "create table storage.wyntek_extra (id int)",
    "drop function storage.filename(text)",
    "alter table auth.users add column wyntek_extra int",
])
def test_migrations_may_not_change_platform_schemas(pg: psycopg.Connection[Any],
                                                    statement: str) -> None:
    with pytest.raises(psycopg.Error) as err, pg.transaction():
        pg.execute("select set_config('wyntek.migration', 'on', true)")
        pg.execute(statement)
    assert err.value.sqlstate == "42501"
    assert "hosted project does not allow migrations" in str(err.value)


def test_migrations_may_add_policies_and_triggers(pg: psycopg.Connection[Any]) -> None:
    with pg.transaction(force_rollback=True):
        pg.execute("select set_config('wyntek.migration', 'on', true)")
        pg.execute("create policy wyntek_test on storage.objects for select to authenticated "
                   "using (false)")
        pg.execute("drop policy wyntek_test on storage.objects")
        pg.execute("create function public.wyntek_noop() returns trigger language plpgsql "
                   "as $$ begin return new; end $$")
        pg.execute("create trigger wyntek_noop after insert on auth.users "
                   "for each row execute function public.wyntek_noop()")

"""The embedded database: bootstrap, migrations, seed, restarts, Supabase compatibility."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.localstack.dbworld import ANON, call, create_user, user_actor
from wyntek_localstack.database import (
    SQL_DIR,
    Database,
    DatabaseError,
    find_supabase_dir,
    neutralise_missing_extensions,
)

REPO_SUPABASE = Path(__file__).resolve().parents[2] / "supabase"

# A migration written the way Supabase projects write them (dashboard/CLI style): it must
# run unchanged on the local stack.
SUPABASE_STYLE = textwrap.dedent("""\
    create extension if not exists "uuid-ossp" with schema extensions;
    create extension if not exists pgcrypto with schema extensions;

    create table public.notes (
      id uuid primary key default extensions.uuid_generate_v4(),
      owner uuid not null default auth.uid() references auth.users (id) on delete cascade,
      body text not null,
      created_at timestamptz not null default now()
    );
    alter table public.notes enable row level security;
    create policy "own notes" on public.notes for all to authenticated
      using ((select auth.uid()) = owner) with check ((select auth.uid()) = owner);
    grant select, insert on public.notes to authenticated;
    alter publication supabase_realtime add table public.notes;

    create function public.note_count() returns bigint
      language sql stable security invoker set search_path = ''
      as $$ select count(*) from public.notes $$;

    insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
    values ('avatars', 'avatars', true, 1048576, array['image/png'])
    on conflict (id) do nothing;
    """)


# The head of `supabase db dump` output: session settings and the platform's extensions.
DUMP_STYLE = textwrap.dedent("""\
    SET statement_timeout = 0;
    SET lock_timeout = 0;
    SET client_encoding = 'UTF8';
    SET standard_conforming_strings = on;
    SELECT pg_catalog.set_config('search_path', '', false);
    SET check_function_bodies = false;
    SET client_min_messages = warning;
    CREATE EXTENSION IF NOT EXISTS "pg_graphql" WITH SCHEMA "graphql";
    CREATE EXTENSION IF NOT EXISTS "pg_stat_statements" WITH SCHEMA "extensions";
    CREATE EXTENSION IF NOT EXISTS "pgcrypto" WITH SCHEMA "extensions";
    CREATE EXTENSION IF NOT EXISTS "supabase_vault" WITH SCHEMA "vault";
    CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA "extensions";
    SET default_tablespace = '';
    SET default_table_access_method = "heap";
    CREATE TABLE IF NOT EXISTS "public"."tags" ("id" bigint NOT NULL, "label" "text");
    ALTER TABLE "public"."tags" OWNER TO "postgres";
    ALTER TABLE "public"."tags" ENABLE ROW LEVEL SECURITY;
    GRANT ALL ON TABLE "public"."tags" TO "anon";
    GRANT ALL ON TABLE "public"."tags" TO "authenticated";
    GRANT ALL ON TABLE "public"."tags" TO "service_role";
    ALTER DEFAULT PRIVILEGES FOR ROLE "postgres" IN SCHEMA "public"
      GRANT ALL ON TABLES TO "service_role";
    SET ROLE anon;
    """)


@pytest.fixture
def scratch() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="wyntek-dbtest-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def copy_supabase(dest: Path) -> Path:
    shutil.copytree(REPO_SUPABASE / "migrations", dest / "migrations")
    shutil.copy(REPO_SUPABASE / "seed.sql", dest / "seed.sql")
    return dest


def scalar(db: Database, query: str, params: object = None) -> object:
    with db.connect() as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def test_new_data_dir_gets_bootstrap_migrations_and_seed_and_restart_keeps_data(scratch):
    supabase = copy_supabase(scratch / "supabase")
    db = Database(scratch / "data", supabase_dir=supabase)
    db.start()
    try:
        assert db.created
        files = sorted(p.stem.split("_", 1)[0] for p in (supabase / "migrations").glob("*.sql"))
        assert db.applied_migrations == files
        assert db.changed_migrations == []
        assert scalar(db, "select count(*) from public.materials") >= 10
        assert db.dsn.startswith("postgresql://")
        with db.connect(autocommit=True) as conn:
            uid = create_user(conn, "keep@example.test")
            conn.execute("delete from public.materials where id = 'fdm-abs'")
    finally:
        db.stop()
    assert not db.running
    with pytest.raises(DatabaseError):
        _ = db.dsn

    # New migration appears; the seed does not run again on an existing database; an
    # applied migration edited afterwards is reported, not re-run.
    (supabase / "migrations" / "20991231000000_notes.sql").write_text(SUPABASE_STYLE)
    first = sorted((supabase / "migrations").glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited later\n")
    again = Database(scratch / "data", supabase_dir=supabase)
    again.start()
    try:
        assert not again.created
        assert again.applied_migrations == ["20991231000000"]
        assert again.changed_migrations == [first.name]
        assert scalar(again, "select email from public.profiles where id = %s",
                      (uid,)) == "keep@example.test"
        assert scalar(again, "select count(*) from public.materials where id = 'fdm-abs'") == 0
        versions = scalar(again, "select array_agg(version order by version) "
                                 "from supabase_migrations.schema_migrations")
        assert versions == [*files, "20991231000000"]
        assert again.start() is again  # starting twice is harmless
    finally:
        again.stop()
    again.stop()  # so is stopping twice


def test_supabase_style_migration_runs_unchanged_and_behaves(scratch):
    supabase = copy_supabase(scratch / "supabase")
    (supabase / "migrations" / "20991231000000_notes.sql").write_text(SUPABASE_STYLE)
    db = Database(scratch / "data", supabase_dir=supabase).start()
    try:
        with db.connect(autocommit=True) as conn:
            alice = create_user(conn, "alice@example.test")
            bob = create_user(conn, "bob@example.test")
            as_alice = user_actor("alice", alice, "alice@example.test")
            as_bob = user_actor("bob", bob, "bob@example.test")
            call(conn, as_alice, "insert into public.notes (body) values ('mine')")
            assert call(conn, as_alice, "select public.note_count()") == [(1,)]
            assert call(conn, as_bob, "select public.note_count()") == [(0,)]
            with pytest.raises(psycopg.Error) as err:
                call(conn, as_bob, "insert into public.notes (owner, body) values (%s, 'x')",
                     (alice,))
            assert err.value.sqlstate == "42501"
            published = conn.execute(
                "select tablename from pg_publication_tables "
                "where pubname = 'supabase_realtime'").fetchall()
            assert ("notes",) in published
    finally:
        db.stop()


def test_dump_style_migration_does_not_leak_session_settings(scratch):
    supabase = copy_supabase(scratch / "supabase")
    (supabase / "migrations" / "20991231000000_remote_schema.sql").write_text(DUMP_STYLE)
    # Unqualified names: works only if the previous file's empty search_path was reset.
    (supabase / "migrations" / "20991231000001_more.sql").write_text(
        "create table tag_links (tag_id bigint);\n"
        "alter table tag_links enable row level security;\n")
    db = Database(scratch / "data", supabase_dir=supabase).start()
    try:
        assert db.applied_migrations[-2:] == ["20991231000000", "20991231000001"]
        assert scalar(db, "select to_regclass('public.tag_links') is not null") is True
    finally:
        db.stop()


def test_failed_migration_names_the_file_and_leaves_no_trace(scratch):
    supabase = copy_supabase(scratch / "supabase")
    (supabase / "migrations" / "20991231000000_broken.sql").write_text(
        "create table public.half_done (id int);\nselect * from no_such_table;\n")
    db = Database(scratch / "data", supabase_dir=supabase)
    with pytest.raises(DatabaseError) as err:
        db.start()
    assert "20991231000000_broken.sql" in str(err.value)
    assert "no_such_table" in str(err.value)
    assert not db.running
    (supabase / "migrations" / "20991231000000_broken.sql").unlink()
    db.start()
    try:
        assert scalar(db, "select to_regclass('public.half_done') is null") is True
        assert scalar(db, "select count(*) from supabase_migrations.schema_migrations "
                          "where version = '20991231000000'") == 0
    finally:
        db.stop()


def test_bootstrap_is_idempotent_on_an_existing_database(local_db):
    with local_db.connect(autocommit=True) as conn:
        for path in sorted(SQL_DIR.glob("*.sql")):
            conn.execute(path.read_text().encode())
        # Still the project's catalogue and policies after re-running it.
        assert conn.execute("select count(*) from public.materials").fetchone()[0] >= 10


def test_roles_and_schemas_match_hosted_supabase(pg):
    with pg.transaction():
        roles = dict(pg.execute(
            "select rolname, rolbypassrls from pg_roles where rolname in "
            "('anon', 'authenticated', 'service_role', 'authenticator')").fetchall())
        members = {r[0] for r in pg.execute(
            "select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid "
            "join pg_roles u on u.oid = m.member where u.rolname = 'authenticator'")}
        schemas = {r[0] for r in pg.execute("select nspname from pg_namespace")}
    assert roles == {"anon": False, "authenticated": False, "service_role": True,
                     "authenticator": False}
    assert {"anon", "authenticated", "service_role"} <= members
    assert {"auth", "storage", "extensions", "supabase_migrations"} <= schemas


def test_auth_helpers_read_claims_like_supabase(pg):
    uid = str(uuid.uuid4())
    claims = {"sub": uid, "role": "authenticated", "email": "a@example.test",
              "app_metadata": {"role": "operator"}}
    with pg.transaction(force_rollback=True):
        pg.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))
        row = pg.execute("select auth.uid()::text, auth.role(), auth.email(), "
                         "auth.jwt() -> 'app_metadata' ->> 'role'").fetchone()
        assert row == (uid, "authenticated", "a@example.test", "operator")
        # The legacy per-claim setting (still set by Storage) wins when present.
        other = str(uuid.uuid4())
        pg.execute("select set_config('request.jwt.claim.sub', %s, true)", (other,))
        assert pg.execute("select auth.uid()::text").fetchone() == (other,)
        pg.execute("select set_config('request.jwt.claim.sub', '', true)")
        assert pg.execute("select auth.uid()::text").fetchone() == (uid,)
    with pg.transaction(force_rollback=True):
        assert pg.execute("select auth.uid(), auth.role(), auth.jwt()").fetchone() == \
            (None, None, None)
    assert call(pg, ANON, "select auth.role(), auth.uid()") == [("anon", None)]


def test_storage_helpers_and_generated_path_tokens(pg):
    with pg.transaction(force_rollback=True):
        row = pg.execute("select storage.foldername('a/b/c.tar.gz'), "
                         "storage.filename('a/b/c.tar.gz'), "
                         "storage.extension('a/b/c.tar.gz'), "
                         "storage.foldername('top.stl')").fetchone()
        assert row == (["a", "b"], "c.tar.gz", "gz", [])
        pg.execute("insert into storage.objects (bucket_id, name) "
                   "values ('designs', 'u/j/part.stl')")
        tokens = pg.execute("select path_tokens from storage.objects "
                            "where name = 'u/j/part.stl'").fetchone()
        assert tokens == (["u", "j", "part.stl"],)
        bucket = pg.execute("select public from storage.buckets where id = 'designs'").fetchone()
        assert bucket == (False,)


def test_missing_extensions_are_neutralised_and_present_ones_kept():
    text = ('create extension if not exists "uuid-ossp" with schema extensions;\n'
            "CREATE EXTENSION pgcrypto;\ncreate extension if not exists vector;\n")
    out = neutralise_missing_extensions(text, {"plpgsql", "vector"})
    assert "uuid-ossp is not available" in out and "pgcrypto is not available" in out
    assert "create extension if not exists vector;" in out


def test_supabase_folder_is_found_next_to_the_package_or_in_a_frozen_app(monkeypatch,
                                                                         scratch):
    monkeypatch.delenv("WYNTEK_SUPABASE_DIR", raising=False)
    assert find_supabase_dir() == REPO_SUPABASE
    frozen = scratch / "bundle"
    (frozen / "supabase" / "migrations").mkdir(parents=True)
    monkeypatch.setattr(sys, "_MEIPASS", str(frozen), raising=False)
    monkeypatch.setattr("wyntek_localstack.database.__file__",
                        str(scratch / "elsewhere" / "wyntek_localstack" / "database.py"))
    assert find_supabase_dir() == frozen / "supabase"


def test_restart_after_the_owning_process_was_killed(scratch):
    """A killed server process leaves PostgreSQL running; the next start adopts and stops it."""
    supabase = copy_supabase(scratch / "supabase")
    data = scratch / "data"
    with subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from pathlib import Path
            from wyntek_localstack.database import Database
            db = Database(Path({str(data)!r}), supabase_dir=Path({str(supabase)!r})).start()
            print("ready", flush=True)
            time.sleep(120)
            """)],
        stdout=subprocess.PIPE, text=True, cwd=str(REPO_SUPABASE.parent),
        env={**os.environ, "PYTHONPATH": str(REPO_SUPABASE.parent)}) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
            child.send_signal(signal.SIGKILL)
            child.wait(10)
        finally:
            if child.poll() is None:
                child.kill()
    assert (data / "postgres" / "postmaster.pid").exists()

    db = Database(data, supabase_dir=supabase).start()
    assert not db.created
    assert scalar(db, "select count(*) from public.materials") >= 10
    db.stop()
    assert not (data / "postgres" / "postmaster.pid").exists()


def test_profile_backfill_covers_users_created_without_the_trigger(pg):
    backfill = next((REPO_SUPABASE / "migrations").glob("*_backfill_profiles.sql")).read_text()
    uid = str(uuid.uuid4())
    with pg.transaction(force_rollback=True):
        pg.execute("alter table auth.users disable trigger on_auth_user_created")
        pg.execute("insert into auth.users (id, aud, role, email, created_at, updated_at) "
                   "values (%s, 'authenticated', 'authenticated', 'old@example.test', now(), "
                   "now())", (uid,))
        assert pg.execute("select count(*) from public.profiles where id = %s",
                          (uid,)).fetchone() == (0,)
        pg.execute(backfill.encode())
        pg.execute(backfill.encode())
        assert pg.execute("select email, token_balance from public.profiles where id = %s",
                          (uid,)).fetchall() == [("old@example.test", 0)]


def test_seed_is_idempotent_and_restores_the_catalogue(pg):
    seed = (REPO_SUPABASE / "seed.sql").read_text()
    with pg.transaction(force_rollback=True):
        before = pg.execute("select count(*) from public.materials").fetchone()
        pg.execute("update public.materials set name = 'tampered', tokens_per_cm3 = 0.01 "
                   "where id = 'fdm-pla'")
        pg.execute(seed.encode())
        pg.execute(seed.encode())
        after = pg.execute("select count(*) from public.materials").fetchone()
        row = pg.execute("select name, tokens_per_cm3 from public.materials "
                         "where id = 'fdm-pla'").fetchone()
    assert before == after
    assert row is not None and row[0] == "PLA" and row[1] > 1

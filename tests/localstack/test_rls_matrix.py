"""Row-level security matrix: every table and the designs bucket, six callers, four verbs.

Each cell runs in a transaction that is rolled back, as the caller (``set local role`` +
``request.jwt.claims``, like the local server and PostgREST). A cell is "allowed" when the
statement sees or changes the target row; "denied" when it sees/changes nothing or fails
with 42501. Any other error fails the test, so a broken allowed cell cannot hide.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg
import pytest
from psycopg import sql

from tests.localstack.dbworld import (
    ANON,
    SERVICE,
    Actor,
    acting,
    call,
    create_user,
    grant,
    put_object,
    upload_and_submit,
    user_actor,
    verify,
)

ACTORS = ["anon", "owner", "other", "operator_assigned", "operator_unassigned", "service"]
EVERYONE_SIGNED_IN = {"owner", "other", "operator_assigned", "operator_unassigned", "service"}

# (table, verb) -> (superuser preparation or None, statement, callers allowed); a
# preparation holds several statements separated by '-- then'.
STORAGE_API_DELETE = "select set_config('storage.allow_delete_query', 'true', true)"

CASES: dict[tuple[str, str], tuple[str | None, str, set[str]]] = {
    ("profiles", "select"): (
        None, "select 1 from public.profiles where id = %(owner)s", {"owner", "service"}),
    ("profiles", "insert"): (
        """insert into auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data,
                                   created_at, updated_at)
           values (%(fresh)s, 'authenticated', 'authenticated', %(fresh_email)s, '{}', '{}',
                   now(), now());
           -- then
           delete from public.profiles where id = %(fresh)s""",
        "insert into public.profiles (id, email) values (%(fresh)s, %(fresh_email)s)",
        {"service"}),
    ("profiles", "update"): (
        None, "update public.profiles set display_name = 'Renamed' where id = %(owner)s",
        {"owner", "service"}),
    ("profiles", "delete"): (
        None, "delete from public.profiles where id = %(owner)s", {"service"}),

    ("materials", "select"): (
        None, "select 1 from public.materials where id = 'fdm-pla'", EVERYONE_SIGNED_IN),
    ("materials", "insert"): (
        None,
        """insert into public.materials (id, process, name, tokens_per_cm3, setup_tokens,
                                         build_volume_mm)
           values ('fdm-new', 'fdm', 'New', 1, 1, '{100,100,100}')""",
        {"service"}),
    ("materials", "update"): (
        None, "update public.materials set name = 'Cheap PLA' where id = 'fdm-pla'",
        {"service"}),
    ("materials", "delete"): (
        None, "delete from public.materials where id = 'sheet-al-5052'", {"service"}),

    ("jobs", "select"): (
        None, "select 1 from public.jobs where id = %(job)s",
        {"owner", "operator_assigned", "service"}),
    ("jobs", "insert"): (
        None,
        """insert into public.jobs (user_id, client_job_id, process, material_id, quantity,
                                    tolerance_mm, volume_cm3, token_cost, spec)
           values (%(me)s, gen_random_uuid(), 'fdm', 'fdm-pla', 1, 0.2, 1, 0, '{}')""",
        {"service"}),
    ("jobs", "update"): (
        None, "update public.jobs set status = 'reviewing' where id = %(job)s",
        {"operator_assigned", "service"}),
    ("jobs", "delete"): (
        None, "delete from public.jobs where id = %(job)s", {"service"}),

    ("job_files", "select"): (
        None, "select 1 from public.job_files where id = %(file)s",
        {"owner", "operator_assigned", "service"}),
    ("job_files", "insert"): (
        None,
        """insert into public.job_files (job_id, user_id, storage_path, file_name, kind,
                                         size_bytes, sha256)
           values (%(job)s, %(owner)s, %(extra_path)s, 'extra.stl', 'model', 1,
                   repeat('a', 64))""",
        {"service"}),
    ("job_files", "update"): (
        None, "update public.job_files set file_name = 'renamed.stl' where id = %(file)s",
        {"service"}),
    ("job_files", "delete"): (
        None, "delete from public.job_files where id = %(file)s", {"service"}),

    ("token_ledger", "select"): (
        None, "select 1 from public.token_ledger where user_id = %(owner)s",
        {"owner", "service"}),
    ("token_ledger", "insert"): (
        None,
        "insert into public.token_ledger (user_id, delta, reason) values (%(me)s, 1000, 'grant')",
        {"service"}),
    ("token_ledger", "update"): (
        None, "update public.token_ledger set delta = 1 where user_id = %(owner)s", set()),
    ("token_ledger", "delete"): (
        None, "delete from public.token_ledger where user_id = %(owner)s", set()),

    ("job_events", "select"): (
        None, "select 1 from public.job_events where job_id = %(job)s",
        {"owner", "operator_assigned", "service"}),
    ("job_events", "insert"): (
        None,
        """insert into public.job_events (job_id, user_id, status, actor)
           values (%(job)s, %(owner)s, 'submitted', 'customer')""",
        set()),
    ("job_events", "update"): (
        None, "update public.job_events set note = 'edited' where job_id = %(job)s", set()),
    ("job_events", "delete"): (
        None, "delete from public.job_events where job_id = %(job)s", set()),

    ("job_assignments", "select"): (
        None, "select 1 from public.job_assignments where job_id = %(job)s",
        {"operator_assigned", "service"}),
    ("job_assignments", "insert"): (
        None,
        "insert into public.job_assignments (job_id, operator_id) "
        "values (%(job)s, %(operator_unassigned)s)",
        {"service"}),
    ("job_assignments", "update"): (
        None, "update public.job_assignments set assigned_at = now() where job_id = %(job)s",
        {"service"}),
    ("job_assignments", "delete"): (
        None, "delete from public.job_assignments where job_id = %(job)s", {"service"}),

    ("support_messages", "select"): (
        None, "select 1 from public.support_messages where id = %(message)s",
        {"owner", "service"}),
    ("support_messages", "insert"): (
        None,
        """insert into public.support_messages (user_id, job_id, subject, body)
           values (%(me)s, %(job)s, 'Delivery', 'When does it ship?')""",
        {"owner", "service"}),
    ("support_messages", "update"): (
        None, "update public.support_messages set status = 'closed' where id = %(message)s",
        {"service"}),
    ("support_messages", "delete"): (
        None, "delete from public.support_messages where id = %(message)s", {"service"}),

    ("account_deletion_requests", "select"): (
        None, "select 1 from public.account_deletion_requests where user_id = %(owner)s",
        {"owner", "service"}),
    ("account_deletion_requests", "insert"): (
        "delete from public.account_deletion_requests where user_id = %(me)s",
        "insert into public.account_deletion_requests (user_id) values (%(me)s)",
        {"service"}),
    ("account_deletion_requests", "update"): (
        None,
        "update public.account_deletion_requests set status = 'processing' "
        "where user_id = %(owner)s",
        {"service"}),
    ("account_deletion_requests", "delete"): (
        None, "delete from public.account_deletion_requests where user_id = %(owner)s",
        {"service"}),

    ("storage.objects", "select"): (
        None, "select 1 from storage.objects where bucket_id = 'designs' and name = %(object)s",
        {"owner", "operator_assigned", "service"}),
    ("storage.objects", "insert"): (
        None,
        """insert into storage.objects (bucket_id, name, owner_id, metadata)
           values ('designs', %(new_object)s, %(me)s, '{"size": 3}')""",
        {"owner", "service"}),
    # The object belongs to a live job: frozen, even for its owner.
    ("storage.objects", "update"): (
        None,
        """update storage.objects set metadata = metadata || '{"cacheControl": "no-cache"}'
            where bucket_id = 'designs' and name = %(object)s""",
        {"service"}),
    # Deletes on Storage's tables are the Storage API's: it marks its own (a plain SQL
    # delete is refused, see test_hosted_bootstrap), then RLS decides.
    ("storage.objects", "delete"): (
        STORAGE_API_DELETE,
        "delete from storage.objects where bucket_id = 'designs' and name = %(object)s",
        {"service"}),

    ("storage.buckets", "select"): (
        None, "select 1 from storage.buckets where id = 'designs'", {"service"}),
    ("storage.buckets", "insert"): (
        None, "insert into storage.buckets (id, name) values ('sneaky', 'sneaky')", {"service"}),
    ("storage.buckets", "update"): (
        None, "update storage.buckets set public = true where id = 'designs'", {"service"}),
    ("storage.buckets", "delete"): (
        "insert into storage.buckets (id, name) values ('scratch', 'scratch') -- then "
        + STORAGE_API_DELETE,
        "delete from storage.buckets where id = 'scratch'", {"service"}),
}


@pytest.fixture(scope="module")
def world(local_db: Any) -> dict[str, Any]:
    """Owner with a job, a file, an object, a message and a deletion request; another user
    with a job; one operator assigned to the owner's job, one to the other user's job."""
    with local_db.connect(autocommit=True) as pg:
        def make(name: str, operator: bool = False) -> Actor:
            email = f"{name}-{uuid.uuid4().hex[:8]}@example.test"
            uid = create_user(pg, email,
                              app_metadata={"role": "operator"} if operator else None)
            return user_actor(name, uid, email, operator=operator)

        actors = {"anon": ANON, "service": SERVICE, "owner": make("owner"),
                  "other": make("other"),
                  "operator_assigned": make("operator_assigned", operator=True),
                  "operator_unassigned": make("operator_unassigned", operator=True)}
        owner, other = actors["owner"], actors["other"]
        grant(pg, owner.uid, 1000)
        grant(pg, other.uid, 1000)
        job = upload_and_submit(pg, owner)
        verify(pg, job)
        other_job = upload_and_submit(pg, other)
        file_id, object_name = call(
            pg, owner, "select id, storage_path from public.job_files where job_id = %s",
            (job["id"],))[0]
        for job_id, operator in ((job["id"], "operator_assigned"),
                                 (other_job["id"], "operator_unassigned")):
            call(pg, SERVICE, "insert into public.job_assignments (job_id, operator_id) "
                              "values (%s, %s)", (job_id, actors[operator].uid))
        call(pg, owner, "insert into public.support_messages (job_id, subject, body) "
                        "values (%s, 'Hello', 'Question about my job')", (job["id"],))
        message = call(pg, SERVICE, "select id from public.support_messages where user_id = %s",
                       (owner.uid,))[0][0]
        call(pg, owner, "select public.request_account_deletion()")
        fresh = str(uuid.uuid4())
        params = {
            "owner": owner.uid, "job": job["id"], "file": str(file_id), "object": object_name,
            "message": str(message), "fresh": fresh,
            "fresh_email": f"{fresh}@example.test",
            "operator_unassigned": actors["operator_unassigned"].uid,
            "extra_path": f"{owner.uid}/{job['client_job_id']}/extra.stl",
            "new_object": f"{owner.uid}/{uuid.uuid4()}/new.stl",
        }
        return {"actors": actors, "params": params}


def attempt(pg: psycopg.Connection[Any], actor: Actor, prep: str | None, statement: str,
            params: dict[str, Any], verb: str) -> bool:
    """True when ``actor`` could do it; rolled back either way."""
    with pg.transaction(force_rollback=True):
        for step in (prep or "").split("-- then"):
            if step.strip():
                pg.execute(step.strip().rstrip(";"), params)
        pg.execute(sql.SQL("set local role {}").format(sql.Identifier(actor.role)))
        pg.execute("select set_config('request.jwt.claims', %s, true)",
                   (json.dumps(actor.claims),))
        try:
            with pg.transaction():
                cur = pg.execute(statement, params)
                if verb == "select":
                    return len(cur.fetchall()) > 0
                return cur.rowcount > 0
        except psycopg.Error as err:
            assert err.sqlstate == "42501", f"{actor.name}: {err.sqlstate} {err}"
            return False


@pytest.mark.parametrize("actor_name", ACTORS)
@pytest.mark.parametrize(("table", "verb"), list(CASES))
def test_rls_matrix(local_db, world, table, verb, actor_name):
    prep, statement, allowed = CASES[(table, verb)]
    actor = world["actors"][actor_name]
    params = {**world["params"], "me": actor.uid or world["params"]["owner"]}
    with local_db.connect(autocommit=True) as pg:
        outcome = attempt(pg, actor, prep, statement, params, verb)
    assert outcome == (actor_name in allowed), (
        f"{actor_name} {verb} on {table}: expected {'allowed' if not outcome else 'denied'}")


def test_every_user_may_write_only_their_own_folder(local_db, world):
    with local_db.connect(autocommit=True) as pg:
        for name in ("owner", "other", "operator_assigned", "operator_unassigned"):
            actor = world["actors"][name]
            own = f"{actor.uid}/{uuid.uuid4()}/mine.stl"
            assert attempt(pg, actor, None,
                           "insert into storage.objects (bucket_id, name, owner_id, metadata) "
                           "values ('designs', %(n)s, %(me)s, '{}')",
                           {"n": own, "me": actor.uid}, "insert")
            assert not attempt(pg, actor, None,
                               "insert into storage.objects (bucket_id, name, metadata) "
                               "values ('other-bucket', %(n)s, '{}')", {"n": own}, "insert")


def _names_for_tricks(me: str, victim: str) -> list[str]:
    job = str(uuid.uuid4())
    return [
        f"{victim}/{job}/x.stl",
        f"/{victim}/{job}/x.stl",
        f"{me}/../{victim}/{job}/x.stl",
        f"{me}/{job}/../../{victim}/x.stl",
        f"{me}/./{job}/x.stl",
        f"{me}/{job}/..",
        f"{me}%2F..%2F{victim}/x.stl",
        f"{me}/..%2F{victim}%2Fx.stl",
        f"{me}/{job}\\..\\..\\{victim}\\x.stl",
        f"{me}\\{job}\\x.stl",
        f"{me}//{job}/x.stl",
        f"{me}/{job}/x\tstl",
        f"{me}/{job}/x\r\n.stl",
        f"{me}/{job}/\u00fcbung.stl",
        f"{me}/{job}/{'a' * 201}",
        f"{me}/{job}/",
        f"./{me}/{job}/x.stl",
    ]


def test_path_tricks_never_land_in_another_folder(local_db, world):
    owner, other = world["actors"]["owner"], world["actors"]["other"]
    with local_db.connect(autocommit=True) as pg:
        for name in _names_for_tricks(owner.uid, other.uid):
            with pytest.raises(psycopg.Error) as err:
                put_object(pg, owner, name, b"abc")
            assert err.value.sqlstate == "42501", name
        # NUL cannot even travel in a text value.
        with pytest.raises((psycopg.Error, ValueError)):
            put_object(pg, owner, f"{owner.uid}/x\x00/../{other.uid}/y.stl", b"abc")
        # Upsert onto another user's object, and moving one's own object elsewhere.
        victim_object = f"{other.uid}/{uuid.uuid4()}/target.stl"
        put_object(pg, other, victim_object, b"victim")
        with pytest.raises(psycopg.Error) as err:
            call(pg, owner, """insert into storage.objects (bucket_id, name, metadata)
                               values ('designs', %s, '{"size": 1}')
                               on conflict (bucket_id, name) do update set metadata = '{}'""",
                 (victim_object,))
        assert err.value.sqlstate == "42501"
        mine = f"{owner.uid}/{uuid.uuid4()}/mine.stl"
        put_object(pg, owner, mine, b"mine")
        with pytest.raises(psycopg.Error) as err:
            call(pg, owner, "update storage.objects set name = %s where name = %s",
                 (f"{other.uid}/{uuid.uuid4()}/moved.stl", mine))
        assert err.value.sqlstate == "42501"
        with pg.transaction():
            landed = pg.execute(
                "select name from storage.objects where bucket_id = 'designs' "
                "and (name like %s or name like %s) and owner_id = %s",
                (f"{other.uid}%", f"%{other.uid}%", owner.uid)).fetchall()
        assert landed == []
        # Ordinary punctuation from Supabase's key set is fine in one's own folder.
        put_object(pg, owner, f"{owner.uid}/{uuid.uuid4()}/Part (rev 2)_final-v1.0.stl", b"ok")


def test_users_cannot_change_their_balance_or_other_profile_columns(local_db, world):
    owner = world["actors"]["owner"]
    with local_db.connect(autocommit=True) as pg:
        for statement in ("update public.profiles set token_balance = 999999 where id = %s",
                          "update public.profiles set email = 'x@example.test' where id = %s",
                          "update public.profiles set id = gen_random_uuid() where id = %s"):
            with pytest.raises(psycopg.Error) as err:
                call(pg, owner, statement, (owner.uid,), rollback=True)
            assert err.value.sqlstate == "42501"
        with pytest.raises(psycopg.Error) as err:
            call(pg, owner, "insert into public.profiles (id) values (%s)", (owner.uid,),
                 rollback=True)
        assert err.value.sqlstate == "42501"
        call(pg, owner, "update public.profiles set display_name = 'Ada' where id = %s",
             (owner.uid,), rollback=True)


def test_owner_cannot_move_their_job_status_directly(local_db, world):
    owner = world["actors"]["owner"]
    job = world["params"]["job"]
    with local_db.connect(autocommit=True) as pg:
        for status in ("cancelled", "completed", "reviewing"):
            with acting(pg, owner, rollback=True):
                cur = pg.execute("update public.jobs set status = %s where id = %s",
                                 (status, job))
                assert cur.rowcount == 0
        with pytest.raises(psycopg.Error) as err:
            call(pg, owner, "update public.jobs set token_cost = 0 where id = %s", (job,),
                 rollback=True)
        assert err.value.sqlstate == "42501"


def test_operator_moves_only_along_the_lifecycle_and_only_status(local_db, world):
    operator = world["actors"]["operator_assigned"]
    job = world["params"]["job"]
    with local_db.connect(autocommit=True) as pg:
        with pytest.raises(psycopg.Error) as err:
            call(pg, operator, "update public.jobs set status = 'completed' where id = %s",
                 (job,), rollback=True)
        assert err.value.sqlstate == "PT409"
        with pytest.raises(psycopg.Error) as err:
            call(pg, operator, "update public.jobs set notes = 'x' where id = %s", (job,),
                 rollback=True)
        assert err.value.sqlstate == "42501"


def test_user_metadata_never_makes_an_operator(local_db, world):
    """A user can write their own user_metadata; policies must not trust it."""
    real = world["actors"]["operator_assigned"]
    claims = {**real.claims, "app_metadata": {"provider": "email"},
              "user_metadata": {"role": "operator"}}
    impostor = Actor("impostor", "authenticated", claims)
    with local_db.connect(autocommit=True) as pg:
        for statement in ("select 1 from public.jobs where id = %(job)s",
                          "select 1 from public.job_files where id = %(file)s",
                          "select 1 from storage.objects where name = %(object)s"):
            assert not attempt(pg, impostor, None, statement, world["params"], "select")


def test_support_message_about_someone_elses_job_is_refused(local_db, world):
    other = world["actors"]["other"]
    with local_db.connect(autocommit=True) as pg:
        with pytest.raises(psycopg.Error) as err:
            call(pg, other, "insert into public.support_messages (job_id, subject, body) "
                            "values (%s, 'Hi', 'Not my job')", (world["params"]["job"],),
                 rollback=True)
        assert err.value.sqlstate == "42501"
        call(pg, other, "insert into public.support_messages (subject, body) "
                        "values ('Hi', 'General question')", rollback=True)


def test_anon_cannot_call_any_function(local_db, world):
    calls = [
        "select public.quote_job('fdm-pla', 1, 1, 0.2)",
        "select public.submit_job(gen_random_uuid(), '{}', '[]')",
        "select public.cancel_job(gen_random_uuid())",
        "select public.record_files_deleted('{}')",
        "select public.export_my_data()",
        "select public.request_account_deletion()",
        "select public.grant_tokens(gen_random_uuid(), 1, 'grant')",
    ]
    with local_db.connect(autocommit=True) as pg:
        for statement in calls:
            with pytest.raises(psycopg.Error) as err:
                call(pg, ANON, statement, rollback=True)
            assert err.value.sqlstate == "42501", statement


def test_signed_in_calls_without_identity_are_refused(local_db):
    """An authenticated role without a sub claim gets a clear refusal, not someone's data."""
    nobody = Actor("nobody", "authenticated", {"role": "authenticated"})
    with local_db.connect(autocommit=True) as pg:
        for statement in ("select public.export_my_data()",
                          "select public.request_account_deletion()",
                          "select public.submit_job(gen_random_uuid(), '{}', '[]')"):
            with pytest.raises(psycopg.Error) as err:
                call(pg, nobody, statement, rollback=True)
            assert err.value.sqlstate == "42501"
        assert call(pg, nobody, "select count(*) from public.jobs")[0][0] == 0

"""Money invariants of submit_job / cancel_job / grant_tokens on a real PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.localstack.dbworld import (
    SERVICE,
    Actor,
    acting,
    balance,
    call,
    file_entry,
    grant,
    ledger_sum,
    put_object,
    spec,
    submit,
    upload_and_submit,
    verify,
)
from wyntek_localstack.database import Database

DATA = b"solid part\n" * 40


def quote(pg: psycopg.Connection[Any], actor: Actor, job_spec: dict[str, Any]) -> int:
    rows = call(pg, actor, "select public.quote_job(%s, %s::numeric, %s::int, %s::numeric)",
                (job_spec["material_id"], str(job_spec["volume_cm3"]), job_spec["quantity"],
                 str(job_spec["tolerance_mm"])))
    return int(rows[0][0])


def run_concurrently(local_db: Database, n: int, work: Any) -> list[Any]:
    """Run work(conn, i) on n threads with n connections, released at the same moment."""
    conns = [local_db.connect(autocommit=True) for _ in range(n)]
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def worker(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(conns[i], i)
        except Exception as err:
            results[i] = err

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for c in conns:
        c.close()
    return results


def test_submit_debits_exactly_the_quote_and_records_files(pg, make_actor):
    owner = make_actor("owner")
    grant(pg, owner.uid, 1000, "purchase")
    job_spec = spec("sla-standard-grey", quantity=3, tolerance_mm=0.08, volume_cm3=7.25)
    expected = quote(pg, owner, job_spec)

    job = upload_and_submit(pg, owner, job_spec=job_spec, data=DATA)

    assert job["token_cost"] == expected
    assert job["status"] == "submitted"
    assert job["user_id"] == owner.uid
    assert balance(pg, owner.uid) == 1000 - expected == ledger_sum(pg, owner.uid)
    files = call(pg, owner, "select storage_path, size_bytes, sha256, retain_until "
                            "from public.job_files where job_id = %s", (job["id"],))
    assert len(files) == 1 and files[0][1] == len(DATA) and files[0][3] is None
    ledger = call(pg, owner, "select delta, reason, job_id::text, balance_after "
                             "from public.token_ledger order by id")
    assert ledger == [(1000, "purchase", None, 1000),
                      (-expected, "job", job["id"], 1000 - expected)]


def test_fifty_concurrent_replays_make_one_job_and_one_debit(local_db, pg, make_actor):
    owner = make_actor("racer")
    grant(pg, owner.uid, 1000)
    client_job_id = str(uuid.uuid4())
    path = f"{owner.uid}/{client_job_id}/bracket.stl"
    put_object(pg, owner, path, DATA)
    job_spec = spec()
    files = [file_entry(path, DATA)]

    results = run_concurrently(
        local_db, 50, lambda c, _i: submit(c, owner, client_job_id, job_spec, files))

    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert len({r["id"] for r in results}) == 1
    jobs = call(pg, owner, "select count(*) from public.jobs")[0][0]
    debits = call(pg, owner, "select count(*) from public.token_ledger where reason = 'job'")[0][0]
    assert (jobs, debits) == (1, 1)
    cost = results[0]["token_cost"]
    assert balance(pg, owner.uid) == 1000 - cost == ledger_sum(pg, owner.uid)


def test_fifty_concurrent_jobs_against_a_balance_for_ten(local_db, pg, make_actor):
    owner = make_actor("spender")
    job_spec = spec("fdm-petg", quantity=1, tolerance_mm=0.3, volume_cm3=10)
    cost = quote(pg, owner, job_spec)
    grant(pg, owner.uid, cost * 10 + cost // 2)
    prepared = []
    for _ in range(50):
        client_job_id = str(uuid.uuid4())
        path = f"{owner.uid}/{client_job_id}/part.stl"
        put_object(pg, owner, path, DATA)
        prepared.append((client_job_id, [file_entry(path, DATA)]))

    results = run_concurrently(
        local_db, 50, lambda c, i: submit(c, owner, prepared[i][0], job_spec, prepared[i][1]))

    ok = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, psycopg.Error)]
    assert len(ok) == 10 and len(refused) == 40
    assert {e.sqlstate for e in refused} == {"PT402"}
    assert all("Insufficient balance" in str(e) for e in refused)
    final = balance(pg, owner.uid)
    assert final == cost // 2 >= 0
    assert final == ledger_sum(pg, owner.uid)
    assert call(pg, owner, "select count(*) from public.jobs")[0][0] == 10


def test_replay_with_a_different_spec_is_refused(pg, make_actor):
    owner = make_actor("replayer")
    grant(pg, owner.uid, 500)
    client_job_id = str(uuid.uuid4())
    path = f"{owner.uid}/{client_job_id}/a.stl"
    put_object(pg, owner, path, DATA)
    files = [file_entry(path, DATA)]
    first = submit(pg, owner, client_job_id, spec(), files)
    again = submit(pg, owner, client_job_id, spec(), files)
    assert again["id"] == first["id"]

    with pytest.raises(psycopg.Error) as err:
        submit(pg, owner, client_job_id, spec(quantity=3), files)
    assert err.value.sqlstate == "PT409"
    assert "different spec" in str(err.value)
    assert balance(pg, owner.uid) == 500 - first["token_cost"] == ledger_sum(pg, owner.uid)


@pytest.mark.parametrize("problem", ["missing", "wrong_size", "other_folder", "other_job"])
def test_files_must_be_in_storage_at_the_callers_job_path(pg, make_actor, problem):
    owner = make_actor("filer")
    grant(pg, owner.uid, 500)
    client_job_id = str(uuid.uuid4())
    path = f"{owner.uid}/{client_job_id}/part.stl"
    entry = file_entry(path, DATA)
    expected_state = "22023"
    if problem == "missing":
        expected_state = "PT404"
    elif problem == "wrong_size":
        put_object(pg, owner, path, DATA + b"x")
    elif problem == "other_folder":
        other = make_actor("victim")
        victim_path = f"{other.uid}/{client_job_id}/part.stl"
        put_object(pg, other, victim_path, DATA)
        entry = file_entry(victim_path, DATA)
    else:
        other_job = f"{owner.uid}/{uuid.uuid4()}/part.stl"
        put_object(pg, owner, other_job, DATA)
        entry = file_entry(other_job, DATA)

    with pytest.raises(psycopg.Error) as err:
        submit(pg, owner, client_job_id, spec(), [entry])
    assert err.value.sqlstate == expected_state
    assert balance(pg, owner.uid) == 500 == ledger_sum(pg, owner.uid)
    assert call(pg, owner, "select count(*) from public.jobs")[0][0] == 0


@pytest.mark.parametrize(("overrides", "fragment"), [
    ({"quantity": 0}, "Quantity"),
    ({"quantity": 10001}, "Quantity"),
    ({"quantity": 1.5}, "Quantity"),
    ({"tolerance_mm": 0.001}, "Tolerance"),
    ({"volume_cm3": -1}, "Volume"),
    ({"material_id": "unobtainium"}, "material"),
    ({"material_id": "sla-castable-wax"}, "material"),
    ({"delivery_instructions": "x" * 2001}, "2000"),
    ({"process": "cnc"}, "made with fdm"),
    ({"notes": "x" * 5001}, "5000"),
    ({"finish": "x" * 201}, "200"),
    ({"volume_cm3": 10000001}, "Volume"),
    ({"tolerance_mm": 5.01}, "Tolerance"),
    ({"delivery_instruction": "Gate 3"}, "unknown fields (delivery_instruction)"),
])
def test_invalid_specs_are_refused_with_a_clear_message(pg, make_actor, overrides, fragment):
    owner = make_actor("validator")
    grant(pg, owner.uid, 100000)
    with pytest.raises(psycopg.Error) as err:
        upload_and_submit(pg, owner, job_spec=spec(**overrides))
    assert err.value.sqlstate == "22023"
    assert fragment in str(err.value)
    assert balance(pg, owner.uid) == 100000


def test_insufficient_balance_leaves_everything_untouched(pg, make_actor):
    owner = make_actor("poor")
    with pytest.raises(psycopg.Error) as err:
        upload_and_submit(pg, owner)
    assert err.value.sqlstate == "PT402"
    assert "Insufficient balance" in str(err.value) and "balance is 0" in str(err.value)
    assert call(pg, owner, "select count(*) from public.job_files")[0][0] == 0


def test_cancel_refunds_once_and_only_while_submitted(pg, make_actor):
    owner = make_actor("canceller")
    grant(pg, owner.uid, 800)
    job = upload_and_submit(pg, owner)
    cancelled = call(pg, owner, "select public.cancel_job(%s)", (job["id"],))[0][0]
    assert cancelled["status"] == "cancelled"
    again = call(pg, owner, "select public.cancel_job(%s)", (job["id"],))[0][0]
    assert again["status"] == "cancelled"
    assert balance(pg, owner.uid) == 800 == ledger_sum(pg, owner.uid)
    refunds = call(pg, owner, "select count(*) from public.token_ledger where reason='refund'")
    assert refunds[0][0] == 1

    second = upload_and_submit(pg, owner)
    verify(pg, second)
    call(pg, SERVICE, "update public.jobs set status = 'reviewing' where id = %s",
         (second["id"],))
    with pytest.raises(psycopg.Error) as err:
        call(pg, owner, "select public.cancel_job(%s)", (second["id"],))
    assert err.value.sqlstate == "PT409"
    other = make_actor("stranger")
    with pytest.raises(psycopg.Error) as err:
        call(pg, other, "select public.cancel_job(%s)", (second["id"],))
    assert err.value.sqlstate == "PT404"


def test_service_rejection_refunds_and_completion_sets_retention(pg, make_actor):
    owner = make_actor("lifecycle")
    grant(pg, owner.uid, 1000)
    rejected = upload_and_submit(pg, owner)
    call(pg, SERVICE, "update public.jobs set status = 'rejected' where id = %s",
         (rejected["id"],))
    done = upload_and_submit(pg, owner)
    verify(pg, done)
    for status in ("reviewing", "in_production", "shipped", "completed"):
        call(pg, SERVICE, "update public.jobs set status = %s where id = %s",
             (status, done["id"]))
    assert balance(pg, owner.uid) == 1000 - done["token_cost"] == ledger_sum(pg, owner.uid)
    row = call(pg, owner, "select j.completed_at is not null, "
                          "f.retain_until = j.completed_at + interval '12 months' "
                          "from public.jobs j join public.job_files f on f.job_id = j.id "
                          "where j.id = %s", (done["id"],))
    assert row == [(True, True)]
    with pytest.raises(psycopg.Error) as err:
        call(pg, SERVICE, "update public.jobs set status = 'submitted' where id = %s",
             (done["id"],))
    assert err.value.sqlstate == "PT409"


def test_balance_cannot_move_outside_the_ledger(pg, make_actor):
    owner = make_actor("ledger")
    grant(pg, owner.uid, 50)
    for actor in (owner, SERVICE):
        with pytest.raises(psycopg.Error) as err:
            call(pg, actor, "update public.profiles set token_balance = 10000 where id = %s",
                 (owner.uid,))
        assert err.value.sqlstate == "42501"
    with pytest.raises(psycopg.Error):
        call(pg, SERVICE, "delete from public.token_ledger where user_id = %s", (owner.uid,))
    with pytest.raises(psycopg.Error):
        call(pg, SERVICE, "update public.token_ledger set delta = 5000 where user_id = %s",
             (owner.uid,))
    # A direct ledger insert by the service is a legitimate balance change.
    call(pg, SERVICE, "insert into public.token_ledger (user_id, delta, reason) "
                      "values (%s, 25, 'grant')", (owner.uid,))
    assert balance(pg, owner.uid) == 75 == ledger_sum(pg, owner.uid)
    with pytest.raises(psycopg.Error) as err:
        call(pg, SERVICE, "insert into public.token_ledger (user_id, delta, reason) "
                          "values (%s, -100, 'grant')", (owner.uid,))
    assert err.value.sqlstate == "23514"  # the balance would go below 0
    assert balance(pg, owner.uid) == 75


def test_grant_tokens_is_for_the_service_role_only(pg, make_actor):
    owner = make_actor("greedy")
    for actor in (owner, make_actor("op", operator=True)):
        with pytest.raises(psycopg.Error) as err:
            call(pg, actor, "select public.grant_tokens(%s, 1000, 'grant')", (owner.uid,))
        assert err.value.sqlstate == "42501"
    # Even with EXECUTE, claiming the service role inside a user's role does not help:
    # the function checks the JWT role claim, and the grant keeps users out entirely.
    forged = Actor("forged", "authenticated", {**owner.claims, "role": "service_role"})
    with pytest.raises(psycopg.Error) as err:
        call(pg, forged, "select public.grant_tokens(%s, 1000, 'grant')", (owner.uid,))
    assert err.value.sqlstate == "42501"
    with pytest.raises(psycopg.Error) as err:
        call(pg, SERVICE, "select public.grant_tokens(%s, 0, 'grant')", (owner.uid,))
    assert err.value.sqlstate == "22023"
    with pytest.raises(psycopg.Error) as err:
        call(pg, SERVICE, "select public.grant_tokens(%s, 10, 'refund')", (owner.uid,))
    assert err.value.sqlstate == "22023"
    with pytest.raises(psycopg.Error) as err:
        call(pg, SERVICE, "select public.grant_tokens(%s, 10, 'grant')", (str(uuid.uuid4()),))
    assert err.value.sqlstate == "PT404"
    assert balance(pg, owner.uid) == 0


def test_operator_rejection_of_an_assigned_job_refunds_the_owner(pg, make_actor):
    owner = make_actor("customer")
    operator = make_actor("operator", operator=True)
    grant(pg, owner.uid, 300)
    job = upload_and_submit(pg, owner)
    call(pg, SERVICE, "insert into public.job_assignments (job_id, operator_id) values (%s, %s)",
         (job["id"], operator.uid))
    with acting(pg, operator):
        updated = pg.execute("update public.jobs set status = 'rejected' where id = %s "
                             "returning status", (job["id"],)).fetchall()
    assert updated == [("rejected",)]
    assert balance(pg, owner.uid) == 300 == ledger_sum(pg, owner.uid)


def test_export_contains_only_the_callers_data(pg, make_actor):
    owner = make_actor("exporter")
    grant(pg, owner.uid, 400)
    job = upload_and_submit(pg, owner)
    call(pg, owner, "insert into public.support_messages (job_id, subject, body) "
                    "values (%s, 'Question', 'When will it ship?')", (job["id"],))
    call(pg, owner, "select public.request_account_deletion()")
    first = call(pg, owner, "select public.request_account_deletion()")[0][0]
    assert first["status"] == "pending"
    other = make_actor("bystander")
    grant(pg, other.uid, 400)
    upload_and_submit(pg, other)

    export = call(pg, owner, "select public.export_my_data()")[0][0]
    assert set(export) >= {"profile", "jobs", "files", "ledger", "support_messages",
                           "account_deletion_requests"}
    assert export["profile"]["id"] == owner.uid
    assert [j["id"] for j in export["jobs"]] == [job["id"]]
    assert len(export["files"]) == 1 and len(export["ledger"]) == 2
    assert len(export["support_messages"]) == 1
    assert len(export["account_deletion_requests"]) == 1
    with pytest.raises(psycopg.Error) as err:
        call(pg, owner, "insert into public.account_deletion_requests (user_id) values (%s)",
             (owner.uid,))
    assert err.value.sqlstate == "42501"


def test_record_files_deleted_marks_only_removed_own_objects(pg, make_actor):
    owner = make_actor("cleaner")
    grant(pg, owner.uid, 400)
    job = upload_and_submit(pg, owner)
    path = call(pg, owner, "select storage_path from public.job_files where job_id = %s",
                (job["id"],))[0][0]
    # Still in storage: nothing is marked.
    assert call(pg, owner, "select public.record_files_deleted(%s)", ([path],))[0][0] == 0
    # A SQL delete is refused, as on hosted: deletes go through the Storage API, which
    # marks its own with storage.allow_delete_query and lets RLS decide (as the owner).
    with pytest.raises(psycopg.Error) as refused:
        call(pg, owner, "delete from storage.objects where bucket_id = 'designs' "
             "and name = %s", (path,))
    assert refused.value.sqlstate == "42501"

    def storage_api_delete() -> list[tuple[object, ...]]:
        with acting(pg, owner):
            pg.execute("select set_config('storage.allow_delete_query', 'true', true)")
            return pg.execute("delete from storage.objects where bucket_id = 'designs' "
                              "and name = %s returning 1", (path,)).fetchall()

    # A live job's files are frozen; once the job is cancelled the owner may remove them.
    assert storage_api_delete() == []
    call(pg, owner, "select public.cancel_job(%s)", (job["id"],))
    assert storage_api_delete() == [(1,)]
    other = make_actor("meddler")
    assert call(pg, other, "select public.record_files_deleted(%s)", ([path],))[0][0] == 0
    assert call(pg, owner, "select public.record_files_deleted(%s)", ([path],))[0][0] == 1
    assert call(pg, owner, "select public.record_files_deleted(%s)", ([path],))[0][0] == 0


def test_deleting_an_account_removes_its_rows(pg, make_actor):
    owner = make_actor("leaver")
    grant(pg, owner.uid, 200)
    upload_and_submit(pg, owner)
    with pg.transaction():
        pg.execute("delete from auth.users where id = %s", (owner.uid,))
        left = pg.execute(
            "select (select count(*) from public.profiles where id = %(u)s)"
            " + (select count(*) from public.jobs where user_id = %(u)s)"
            " + (select count(*) from public.token_ledger where user_id = %(u)s)",
            {"u": owner.uid}).fetchone()
    assert left == (0,)


def test_display_name_comes_from_sign_up_metadata(pg):
    from tests.localstack.dbworld import create_user
    uid = create_user(pg, f"named-{uuid.uuid4().hex[:8]}@example.test",
                      user_metadata={"display_name": "  Ada\x07 Lovelace "})
    with pg.transaction():
        row = pg.execute("select display_name, token_balance from public.profiles "
                         "where id = %s", (uid,)).fetchone()
    assert row == ("Ada Lovelace", 0)


def test_spec_must_be_an_object(pg, make_actor):
    owner = make_actor("shape")
    with pytest.raises(psycopg.Error) as err:
        call(pg, owner, "select public.submit_job(%s, %s, %s)",
             (str(uuid.uuid4()), Jsonb([1, 2]), Jsonb([])))
    assert err.value.sqlstate == "22023"


def test_jobs_are_assigned_only_to_operators(pg, make_actor):
    owner = make_actor("assignee-owner")
    grant(pg, owner.uid, 300)
    job = upload_and_submit(pg, owner)
    plain = make_actor("not-an-operator")
    with pytest.raises(psycopg.Error) as err:
        call(pg, SERVICE, "insert into public.job_assignments (job_id, operator_id) "
                          "values (%s, %s)", (job["id"], plain.uid))
    assert err.value.sqlstate == "22023"
    operator = make_actor("real-operator", operator=True)
    call(pg, SERVICE, "insert into public.job_assignments (job_id, operator_id) "
                      "values (%s, %s)", (job["id"], operator.uid))


def test_oversized_payloads_are_refused_before_any_debit(pg, make_actor):
    owner = make_actor("bulky")
    grant(pg, owner.uid, 500)
    with pytest.raises(psycopg.Error) as err:
        upload_and_submit(pg, owner, job_spec=spec(extra="x" * 70000))
    assert err.value.sqlstate == "22023" and "64 KiB" in str(err.value)

    client_job_id = str(uuid.uuid4())
    path = f"{owner.uid}/{client_job_id}/huge.stl"
    put_object(pg, owner, path, DATA)
    entry = {**file_entry(path, DATA), "analysis": {"faces": ["f" * 100] * 12000}}
    with pytest.raises(psycopg.Error) as err:
        submit(pg, owner, client_job_id, spec(), [entry])
    assert err.value.sqlstate == "22023" and "256 KiB" in str(err.value)
    # 256 KiB of analysis per job in all, however it is split over the files.
    entries = []
    for i in range(3):
        name = f"{owner.uid}/{client_job_id}/part{i}.stl"
        put_object(pg, owner, name, DATA)
        entries.append({**file_entry(name, DATA), "analysis": {"faces": ["f" * 100] * 900}})
    with pytest.raises(psycopg.Error) as err:
        submit(pg, owner, client_job_id, spec(), entries)
    assert err.value.sqlstate == "22023" and "256 KiB" in str(err.value)
    job = submit(pg, owner, client_job_id, spec(), entries[:2])
    assert job["status"] == "submitted"
    assert balance(pg, owner.uid) == 500 - job["token_cost"] == ledger_sum(pg, owner.uid)


@pytest.mark.parametrize("name", ["", "  ", "a\nb.stl", "n" * 256])
def test_unusable_original_file_names_are_refused(pg, make_actor, name):
    owner = make_actor("namer")
    grant(pg, owner.uid, 500)
    client_job_id = str(uuid.uuid4())
    path = f"{owner.uid}/{client_job_id}/part.stl"
    put_object(pg, owner, path, DATA)
    with pytest.raises(psycopg.Error) as err:
        submit(pg, owner, client_job_id, spec(), [file_entry(path, DATA, file_name=name)])
    assert err.value.sqlstate == "22023" and "printable" in str(err.value)
    assert balance(pg, owner.uid) == 500


def test_updated_at_moves_with_every_change_and_completed_at_only_on_completion(pg, make_actor):
    owner = make_actor("poller")
    grant(pg, owner.uid, 500)
    job = upload_and_submit(pg, owner)
    verify(pg, job)
    seen = []
    for status in ("reviewing", "in_production", "shipped"):
        call(pg, SERVICE, "update public.jobs set status = %s where id = %s",
             (status, job["id"]))
        seen.append(call(pg, owner, "select updated_at, completed_at from public.jobs "
                                    "where id = %s", (job["id"],))[0])
    assert [u for u, _ in seen] == sorted({u for u, _ in seen})
    assert all(c is None for _, c in seen)

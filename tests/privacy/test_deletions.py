"""Account deletion carried out by the service, and what an admin delete leaves behind:
financial rows kept and anonymised, no orphaned objects (the bucket is listed)."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest

from tests.privacy.support import Mailbox, eventually, run_once, run_task, service_http
from tests.service.support import Customer, cube_stl, new_customer


def stored_under(stack, uid: str) -> list[str]:
    """Every object name below the user's folder, listed through the Storage API."""
    names, folders = [], [uid]
    with service_http(stack) as http:
        while folders:
            folder = folders.pop()
            r = http.post("/storage/v1/object/list/designs",
                          json={"prefix": folder, "limit": 1000, "offset": 0})
            assert r.status_code == 200, r.text
            for entry in r.json():
                path = f"{folder}/{entry['name']}"
                (folders if entry.get("id") is None else names).append(path)
    return names


def rows(stack, query: str, params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        return conn.execute(query, params).fetchall()


def customer_with_history(stack, tmp_path, name: str) -> tuple[Customer, dict[str, Any]]:
    customer = new_customer(stack, 5000)
    data = cube_stl(tmp_path)
    job = customer.submit({"a.stl": data, "b.stl": data},
                          delivery_instructions="Jane Doe, 1 Main Street, Springfield")
    r = customer.rpc("start_purchase", {"pack_id": "starter"})
    assert r.status_code == 200, r.text
    with customer.http() as http:
        r = http.post(f"{stack.url}/rest/v1/support_messages",
                      json={"user_id": customer.uid, "subject": "Hello", "body": f"From {name}"})
    assert r.status_code in (200, 201), r.text
    return customer, job


def assert_kept_anonymised(stack, uid: str, job_id: str) -> None:
    (job,) = rows(stack, "select user_id, anonymised_at, delivery_instructions, "
                         "spec ? 'delivery_instructions', token_cost from public.jobs "
                         "where id = %s", [job_id])
    assert job[0] is None and job[1] is not None and job[2] is None and job[3] is False
    files = rows(stack, "select user_id, deleted_at from public.job_files where job_id = %s",
                 [job_id])
    assert len(files) == 2 and all(f[0] is None and f[1] is not None for f in files)
    ledger = rows(stack, "select l.user_id, l.anonymised_at from public.token_ledger l "
                         "where l.job_id = %s", [job_id])
    assert ledger and all(r[0] is None and r[1] is not None for r in ledger)
    assert rows(stack, "select count(*) from public.purchases where user_id is null and "
                       "anonymised_at is not null and pack_id = 'starter' and "
                       "created_at > now() - interval '10 minutes'", [])[0][0] >= 1
    gone = [rows(stack, f"select count(*) from {table} where {column} = %s", [uid])[0][0]
            for table, column in (("auth.users", "id"), ("public.profiles", "id"),
                                  ("public.support_messages", "user_id"),
                                  ("public.token_ledger", "user_id"),
                                  ("public.policy_acknowledgements", "user_id"))]
    assert gone == [0, 0, 0, 0, 0]
    assert stored_under(stack, uid) == []


def test_a_deletion_is_carried_out_after_the_grace_period(localstack, tmp_path) -> None:
    customer, job = customer_with_history(localstack, tmp_path, "leaver")
    (email,) = rows(localstack, "select email from auth.users where id = %s", [customer.uid])[0]
    box = Mailbox(localstack)
    assert customer.rpc("request_account_deletion", {}).status_code == 200
    assert len(stored_under(localstack, customer.uid)) == 2
    run_task(localstack, "deletions")  # within the grace period: nothing happens
    assert rows(localstack, "select status from public.account_deletion_requests "
                            "where user_id = %s", [customer.uid]) == [("pending",)]
    rows(localstack, "update public.account_deletion_requests set requested_at = now() - "
                     "interval '8 days', scheduled_for = now() - interval '1 day' "
                     "where user_id = %s returning 1", [customer.uid])

    summary = run_once(localstack, "deletions")
    assert "records past 7 years" in summary
    assert rows(localstack, "select status, processed_at is not null from "
                            "public.account_deletion_requests where user_id = %s",
                [customer.uid]) == [("completed", True)]
    assert_kept_anonymised(localstack, customer.uid, job["id"])
    (done,) = box.wait_for(email, "has been deleted")
    assert "last email" in done["text"]
    # Once delivered, nothing of the address stays in the outbox; a rerun changes nothing.
    assert eventually(lambda: run_task(localstack, "deletions") and not rows(
        localstack, "select 1 from public.email_outbox where user_id = %s", [customer.uid]))
    assert len(box.messages(email, "has been deleted")) == 1


def test_a_run_that_crashed_half_way_is_finished_by_the_next(localstack, tmp_path) -> None:
    customer, job = customer_with_history(localstack, tmp_path, "crash")
    assert customer.rpc("request_account_deletion", {}).status_code == 200
    rows(localstack, "update public.account_deletion_requests set requested_at = now() - "
                     "interval '8 days', scheduled_for = now() - interval '1 day' "
                     "where user_id = %s returning 1", [customer.uid])
    # As if the task died after starting and removing one object.
    with service_http(localstack) as http:
        started = http.post("/rest/v1/rpc/begin_account_deletion",
                            json={"user_id": customer.uid})
        assert started.json()["state"] == "processing", started.text
        first = stored_under(localstack, customer.uid)[0]
        assert http.request("DELETE", "/storage/v1/object/designs",
                            json={"prefixes": [first]}).status_code == 200
    run_task(localstack, "deletions")
    assert rows(localstack, "select status from public.account_deletion_requests "
                            "where user_id = %s", [customer.uid]) == [("completed",)]
    assert_kept_anonymised(localstack, customer.uid, job["id"])


def test_an_admin_delete_keeps_financial_rows_and_leaves_no_orphaned_objects(
        localstack, tmp_path) -> None:
    customer, job = customer_with_history(localstack, tmp_path, "admin-deleted")
    data = cube_stl(tmp_path)
    customer.upload("never-submitted.stl", data, str(uuid.uuid4()))
    assert len(stored_under(localstack, customer.uid)) == 3
    with service_http(localstack) as http:
        r = http.delete(f"/auth/v1/admin/users/{customer.uid}")
    assert r.status_code == 200, r.text
    (kept,) = rows(localstack, "select user_id, anonymised_at is not null, status "
                               "from public.jobs where id = %s", [job["id"]])
    # The financial record stays, without its owner; nobody is left to make it.
    assert kept == (None, True, "cancelled")
    run_task(localstack, "deletions")
    assert_kept_anonymised(localstack, customer.uid, job["id"])
    assert rows(localstack, "select storage_cleared_at is not null from "
                            "public.removed_accounts where user_id = %s",
                [customer.uid]) == [(True,)]


def test_anonymised_financial_records_go_after_7_years(localstack, tmp_path) -> None:
    customer, job = customer_with_history(localstack, tmp_path, "old")
    later = customer.submit({"again.stl": cube_stl(tmp_path)})
    with service_http(localstack) as http:
        assert http.delete(f"/auth/v1/admin/users/{customer.uid}").status_code == 200
    with psycopg.connect(localstack.database_url, autocommit=True) as conn:
        conn.execute("set session_replication_role = replica")  # back-date, triggers off
        conn.execute("update public.jobs set created_at = now() - interval '7 years 1 day' "
                     "where id = %s", [job["id"]])
        conn.execute("update public.token_ledger set created_at = now() - interval "
                     "'7 years 1 day' where job_id = %s", [job["id"]])
        # The later job repeats the old one (a reorder): it stays, without the link.
        conn.execute("update public.jobs set reorder_of = %s where id = %s",
                     [job["id"], later["id"]])
    run_task(localstack, "deletions")
    assert rows(localstack, "select count(*) from public.jobs where id = %s",
                [job["id"]]) == [(0,)]
    assert rows(localstack, "select count(*) from public.job_files where job_id = %s",
                [job["id"]]) == [(0,)]
    assert rows(localstack, "select count(*) from public.token_ledger where job_id = %s",
                [job["id"]]) == [(0,)]
    assert rows(localstack, "select user_id, reorder_of from public.jobs where id = %s",
                [later["id"]]) == [(None, None)]


@pytest.mark.parametrize("days", ["31", "-1", "x"])
def test_the_grace_period_is_at_most_30_days(days, capsys) -> None:
    from wyntek_service.cli import main
    with pytest.raises(SystemExit) as exit_:
        main(["run-once", "deletions", "--deletion-grace-days", days])
    assert exit_.value.code == 2 and "0 to 30" in capsys.readouterr().err


def test_the_privacy_tasks_are_scheduled_in_the_worker() -> None:
    from wyntek_service.config import ServiceConfig
    from wyntek_service.tasks import PERIODIC, make_app

    app = make_app(ServiceConfig("https://example.invalid", "key", "postgresql://x/y"))
    scheduled = {task_name: periodic.cron for (task_name, _), periodic
                 in app.periodic_registry.periodic_tasks.items()}
    assert scheduled["retention"] == PERIODIC["retention"].cron == "41 3 * * *"
    assert scheduled["deletions"] == PERIODIC["deletions"].cron == "7 * * * *"

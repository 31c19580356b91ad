"""The 12-month retention, by moving dates back: the owner is warned 14 days ahead once,
then the files go through the Storage API and their rows are marked deleted."""

from __future__ import annotations

import psycopg

from tests.privacy.support import Mailbox, run_once, run_task, service_http
from tests.privacy.test_deletions import rows, stored_under
from tests.service.support import cube_stl, new_customer


def complete_job(stack, job_id: str, days_ago: int) -> None:
    """Mark the job completed ``days_ago`` days back (triggers off: a back-dated fact)."""
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        conn.execute("set session_replication_role = replica")
        conn.execute("update public.jobs set status = 'completed', completed_at = now() - "
                     "make_interval(days => %s) where id = %s", [days_ago, job_id])
        conn.execute("update public.job_files set retain_until = now() - make_interval("
                     "days => %s) + interval '12 months' where job_id = %s",
                     [days_ago, job_id])


def test_files_go_12_months_after_completion_with_one_warning(localstack, tmp_path) -> None:
    customer = new_customer(localstack, 2000)
    (email,) = rows(localstack, "select email from auth.users where id = %s", [customer.uid])[0]
    data = cube_stl(tmp_path)
    old = customer.submit({"part.stl": data, "lid.stl": data})
    recent = customer.submit({"recent.stl": data})
    folder = f"{customer.uid}/{old['client_job_id']}"
    # Completed 355 days ago: 10 days left, inside the 14-day notice.
    complete_job(localstack, old["id"], 365 - 10)
    complete_job(localstack, recent["id"], 30)
    box = Mailbox(localstack)

    run_once(localstack, "retention")
    run_task(localstack, "retention")  # the notice goes once
    (warning,) = box.wait_for(email, "will be removed")
    assert "part.stl" in warning["text"] and old["id"] in warning["text"]
    assert len(stored_under(localstack, folder)) == 2

    # Past the 12 months, but warned only now: still kept until 14 days after the notice.
    complete_job(localstack, old["id"], 370)
    run_task(localstack, "retention")
    assert len(stored_under(localstack, folder)) == 2
    rows(localstack, "update public.retention_notices set warned_at = now() - interval "
                     "'15 days' where job_id = %s returning 1", [old["id"]])
    # As if an earlier run died after removing one object but before marking its row.
    with service_http(localstack) as http:
        assert http.request("DELETE", "/storage/v1/object/designs",
                            json={"prefixes": [f"{folder}/part.stl"]}).status_code == 200
    run_task(localstack, "retention")

    assert stored_under(localstack, folder) == []
    marked = rows(localstack, "select count(*) from public.job_files where job_id = %s "
                              "and deleted_at is not null", [old["id"]])
    assert marked == [(2,)]
    # The job itself and the recent job's file stay; no second notice was sent.
    assert rows(localstack, "select status from public.jobs where id = %s",
                [old["id"]]) == [("completed",)]
    assert stored_under(localstack, f"{customer.uid}/{recent['client_job_id']}") != []
    assert len(box.messages(email, "will be removed")) == 1


def test_an_objection_removes_completed_jobs_files_without_the_12_months(localstack,
                                                                          tmp_path) -> None:
    customer = new_customer(localstack, 1000)
    job = customer.submit({"part.stl": cube_stl(tmp_path)})
    assert customer.rpc("set_privacy_preferences",
                        {"processing_objection": True}).status_code == 200
    complete_job(localstack, job["id"], 1)
    run_task(localstack, "retention")
    assert stored_under(localstack, f"{customer.uid}/{job['client_job_id']}") == []
    assert rows(localstack, "select count(*) from public.retention_notices where job_id = %s",
                [job["id"]]) == [(0,)]

"""Periodic service tasks, run once the way `python -m wyntek_service run-once` does."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import psycopg

from tests.service.support import cube_stl, new_customer
from tests.support.localstack import REPO_ROOT


def run_once(stack, task: str) -> str:
    env = {**os.environ, "SUPABASE_URL": stack.url,
           "SUPABASE_SERVICE_ROLE_KEY": stack.service_role_key,
           "DATABASE_URL": stack.database_url, "WYNTEK_SERVICE_CA_FILE": str(stack.ca_path),
           "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, "-m", "wyntek_service", "run-once", task], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_orphan_uploads_go_after_7_days_through_the_storage_api(localstack, tmp_path) -> None:
    customer = new_customer(localstack, 500)
    data = cube_stl(tmp_path)
    job = customer.submit({"cube.stl": data})  # its folder is a job's: kept
    old, fresh = str(uuid.uuid4()), str(uuid.uuid4())
    for folder in (old, fresh):
        customer.upload("a.stl", data, folder)
        customer.upload("b.stl", data, folder)
    with psycopg.connect(localstack.database_url, autocommit=True) as conn:
        # back-date the uploads (without Storage's trigger that stamps updated_at)
        conn.execute("set session_replication_role = replica")
        conn.execute("update storage.objects set created_at = now() - interval '8 days', "
                     "updated_at = now() - interval '8 days' "
                     "where name like %s or name like %s",
                     [f"{customer.uid}/{old}/%", f"{customer.uid}/{job['client_job_id']}/%"])
    summary = run_once(localstack, "orphans")
    assert summary.split()[0].isdigit() and int(summary.split()[0]) >= 2, summary
    with psycopg.connect(localstack.database_url) as conn:
        names = {r[0] for r in conn.execute(
            "select name from storage.objects where name like %s", [f"{customer.uid}/%"])}
    assert names == {f"{customer.uid}/{fresh}/a.stl", f"{customer.uid}/{fresh}/b.stl",
                     f"{customer.uid}/{job['client_job_id']}/cube.stl"}


def test_the_other_periodic_tasks_run_once(localstack) -> None:
    assert run_once(localstack, "stalled-tasks").endswith("stalled tasks retried")
    assert run_once(localstack, "verification-sweep").endswith("pending jobs queued")

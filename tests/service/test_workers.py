"""Several workers on one queue: each job is verified exactly once, also when a worker is
killed in the middle of a verification (its task goes to another worker)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from tests.service.support import cube_stl, new_customer, service_rows, wait_verified
from tests.support.localstack import REPO_ROOT, LocalStackInstance
from wyntek_service.config import ServiceConfig
from wyntek_service.runner import ensure_queue_schema


def start_worker(stack: LocalStackInstance, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    assert stack.database_url and stack.ca_path
    env = {**os.environ, "SUPABASE_URL": stack.url,
           "SUPABASE_SERVICE_ROLE_KEY": stack.service_role_key,
           "DATABASE_URL": stack.database_url, "WYNTEK_SERVICE_CA_FILE": str(stack.ca_path),
           "PYTHONPATH": str(REPO_ROOT)}
    with log.open("ab") as out:
        # its own process group: a kill takes its analysis children with it
        return subprocess.Popen([sys.executable, "-m", "wyntek_service", "worker", *extra],
                                env=env, stdout=out, stderr=out, start_new_session=True)


def install_queue(stack: LocalStackInstance) -> None:
    """The queue's tables, as the first worker installs them: submissions are queued."""
    assert stack.database_url
    asyncio.run(ensure_queue_schema(ServiceConfig(stack.url, stack.service_role_key,
                                                  stack.database_url)))


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def verification_events(stack: LocalStackInstance, job_ids: list[str]) -> Counter[str]:
    rows = service_rows(stack, "job_events", {"job_id": f"in.({','.join(job_ids)})",
                                               "verification": "not.is.null",
                                               "select": "job_id"})
    return Counter(r["job_id"] for r in rows)


@pytest.mark.timeout(600)
def test_two_workers_verify_40_jobs_once_each(localstack_factory, tmp_path) -> None:
    stack = localstack_factory(worker=False)
    install_queue(stack)
    customer = new_customer(stack, 100_000)
    jobs = []
    for i in range(40):
        # honest and under-declared jobs mixed: the adjusted ones add a ledger line each
        size = 10.0 + i
        declared = round(size**3 / 1000, 6) if i % 2 else 0
        jobs.append(customer.submit({f"part{i}.stl": cube_stl(tmp_path, size, f"p{i}.stl")},
                                    volume_cm3=declared)["id"])
    workers = [start_worker(stack, tmp_path / f"worker{n}.log", "--name", f"w{n}")
               for n in range(2)]
    try:
        done = wait_verified(stack, jobs, timeout=400)
    finally:
        for worker in workers:
            stop(worker)
    assert {done[j]["verification"] for j in jobs[1::2]} == {"passed"}
    assert {done[j]["verification"] for j in jobs[0::2]} == {"adjusted"}
    lines = Counter((line["job_id"], line["reason"]) for line in customer.ledger())
    assert all(lines[(j, "job")] == 1 for j in jobs)
    assert sum(lines[(j, "adjustment")] for j in jobs) == 20
    assert all(n == 1 for n in verification_events(stack, jobs).values())
    assert customer.balance() == sum(line["delta"] for line in customer.ledger())
    logs = [(tmp_path / f"worker{n}.log").read_text() for n in range(2)]
    assert all("passed" in log or "adjusted" in log for log in logs), "one worker idled"


def _task_status(stack: LocalStackInstance, job_id: str) -> str | None:
    assert stack.database_url
    with psycopg.connect(stack.database_url) as conn:
        row = conn.execute("select status::text from procrastinate.procrastinate_jobs "
                           "where task_name = 'verify_job' and args ->> 'job_id' = %s "
                           "order by id desc limit 1", [job_id]).fetchone()
    return None if row is None else str(row[0])


@pytest.mark.timeout(600)
def test_a_killed_workers_task_is_retried_and_the_job_verified_once(localstack_factory,
                                                                     tmp_path) -> None:
    import trimesh

    stack = localstack_factory(worker=False)
    install_queue(stack)
    customer = new_customer(stack, 100_000)
    # large enough that the verification is still running when the worker is killed
    sphere = trimesh.creation.icosphere(subdivisions=7, radius=40.0)
    data = trimesh.exchange.stl.export_stl(sphere)
    job = customer.submit({"sphere.stl": data}, volume_cm3=0)
    fast = ("--heartbeat", "1", "--stalled-after", "4")
    first = start_worker(stack, tmp_path / "first.log", *fast)
    try:
        deadline = time.monotonic() + 120
        while _task_status(stack, job["id"]) != "doing":
            assert time.monotonic() < deadline, (tmp_path / "first.log").read_text()
            time.sleep(0.05)
        stop(first, signal.SIGKILL)
        assert service_rows(stack, "jobs", {"id": f"eq.{job['id']}", "select": "verification"}
                            )[0]["verification"] == "pending"
        assert _task_status(stack, job["id"]) == "doing"  # left behind by the dead worker
        second = start_worker(stack, tmp_path / "second.log", *fast)
        try:
            row = wait_verified(stack, [job["id"]], timeout=180)[job["id"]]
        finally:
            stop(second)
    finally:
        stop(first, signal.SIGKILL)
    assert row["verification"] == "adjusted"
    assert [line["reason"] for line in customer.ledger(job["id"])] == ["job", "adjustment"]
    assert verification_events(stack, [job["id"]]) == Counter({job["id"]: 1})
    assert "stalled tasks retried" in (tmp_path / "second.log").read_text()

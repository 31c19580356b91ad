"""The demo's operator account is assigned the demo account's jobs; the simulated operator
moves them as that operator (the history says so), and no one else's."""

from __future__ import annotations

import time
from pathlib import Path

from tests.service.support import Customer, cube_stl, new_customer, service_rows, wait_verified
from tests.support.localstack import StackFactory

LIFECYCLE = ["submitted", "reviewing", "in_production", "shipped", "completed"]


def _wait_status(customer: Customer, job_id: str, status: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        rows = service_rows(customer.stack, "jobs", {"id": f"eq.{job_id}", "select": "status"})
        if rows[0]["status"] == status:
            return
        assert time.monotonic() < deadline, f"job still {rows[0]['status']}, not {status}"
        time.sleep(0.2)


def test_demo_jobs_walk_the_lifecycle_with_notes(localstack_factory: StackFactory,
                                                 tmp_path: Path) -> None:
    stack = localstack_factory(demo=True, demo_operator=0.5)
    assert stack.demo_password
    session = stack.sign_in("demo@wyntek.local", stack.demo_password)
    demo = Customer(stack, session["user"]["id"], session["access_token"])
    other = new_customer(stack, 1_000)
    part = cube_stl(tmp_path, 10.0)
    demo_job = demo.submit({"cube.stl": part}, volume_cm3=1.0)
    other_job = other.submit({"cube.stl": part}, volume_cm3=1.0)
    wait_verified(stack, [demo_job["id"], other_job["id"]])

    _wait_status(demo, demo_job["id"], "completed")
    with demo.http() as http:
        events = http.get(f"{stack.url}/rest/v1/job_events",
                          params={"job_id": f"eq.{demo_job['id']}", "order": "id",
                                  "select": "status,verification,note,actor"}).json()
    moves = [e for e in events if e["verification"] is None]
    assert [e["status"] for e in moves] == LIFECYCLE
    assert all(e["note"] for e in moves) and moves[-1]["note"].startswith("Delivered")
    assert {e["actor"] for e in moves[1:]} == {"operator"}
    files = service_rows(stack, "job_files", {"job_id": f"eq.{demo_job['id']}",
                                              "select": "retain_until"})
    assert files and all(f["retain_until"] for f in files)  # the 12 months started
    # another account's verified job is left to real operators
    row = service_rows(stack, "jobs", {"id": f"eq.{other_job['id']}", "select": "status"})[0]
    assert row["status"] == "submitted"

    # the operator account signs in with the password of the JSON line and sees only the
    # demo account's job, with the same history
    assert stack.operator_password
    assert (stack.data_dir / "operator.json").stat().st_mode & 0o077 == 0  # owner-only
    operator = stack.sign_in("operator@wyntek.local", stack.operator_password)
    assert operator["user"]["app_metadata"]["role"] == "operator"
    op = Customer(stack, operator["user"]["id"], operator["access_token"])
    with op.http() as http:
        listed = http.get(f"{stack.url}/rest/v1/operator_jobs", params={"select": "id"}).json()
        seen = http.get(f"{stack.url}/rest/v1/job_events",
                        params={"job_id": f"eq.{demo_job['id']}", "select": "id"}).json()
    assert [j["id"] for j in listed] == [demo_job["id"]]
    assert len(seen) == len(events)


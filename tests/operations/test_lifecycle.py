"""An assigned operator drives a job through its lifecycle; nobody else can."""

from __future__ import annotations

import pytest

from tests.operations.support import service_headers
from tests.service.support import service_rows
from wyntek_desktop.core import errors
from wyntek_desktop.core.operations import LIFECYCLE


def test_assigned_operator_walks_the_lifecycle_with_notes(localstack, accounts, verified_job):
    ops = accounts["operator"].ctx.api.operations
    assert ops.is_operator()
    assert not accounts["customer"].ctx.api.operations.is_operator()
    [listed] = ops.assigned_jobs()
    assert listed.id == verified_job["id"] and listed.status == "submitted"
    assert listed.notes == "Deburr the edges"
    assert listed.delivery_instructions == "Leave at reception"
    assert [f.file_name for f in listed.files] == ["cube.stl"] and listed.ready_to_advance
    assert ops.assigned_jobs(status="reviewing") == []

    for status in LIFECYCLE[1:]:
        job = ops.advance(verified_job["id"], status, note=f"Now {status}.")
        assert job.status == status
    assert ops.advance(verified_job["id"], "completed").status == "completed"  # a retry
    assert job.completed_at is not None
    files = service_rows(localstack, "job_files", {"job_id": f"eq.{verified_job['id']}",
                                                   "select": "retain_until"})
    assert files and all(f["retain_until"] for f in files)

    events = ops.job_events(verified_job["id"])
    moves = [e for e in events if e.is_status_change]
    assert [e.status for e in moves] == list(LIFECYCLE)
    assert [e.actor for e in moves[1:]] == ["operator"] * 4
    assert [e.note for e in moves[1:]] == [f"Now {s}." for s in LIFECYCLE[1:]]
    # the owner reads the same history
    owner_view = accounts["customer"].ctx.api.operations.job_events(verified_job["id"])
    assert [e.id for e in owner_view] == [e.id for e in events]


def test_steps_cannot_be_skipped(accounts, assigned_job):
    ops = accounts["operator"].ctx.api.operations
    with pytest.raises(errors.ConflictError, match="next step is reviewing, not shipped"):
        ops.advance(assigned_job["id"], "shipped")
    with pytest.raises(errors.ValidationError, match="not a step"):
        ops.advance(assigned_job["id"], "rejected")


def test_unassigned_operator_and_customer_are_refused(accounts, assigned_job):
    job_id = assigned_job["id"]
    for name in ("stranger", "customer"):
        ops = accounts[name].ctx.api.operations
        with pytest.raises(errors.AuthError, match="Only an operator assigned"):
            ops.advance(job_id, "reviewing")
        with pytest.raises(errors.AuthError, match="Only an operator assigned"):
            ops.reject(job_id, "No.")
        assert ops.assigned_jobs() == []
    # the stranger sees no history of the job; the owner does
    assert accounts["stranger"].ctx.api.operations.job_events(job_id) == []
    assert accounts["customer"].ctx.api.operations.job_events(job_id)
    assert accounts["operator"].ctx.api.operations.assigned_job(job_id).status == "submitted"


def test_only_the_service_assigns_and_only_operators(localstack, accounts, assigned_job):
    body = {"job_id": assigned_job["id"], "operator_id": accounts["stranger"].uid}
    for name in ("operator", "customer"):
        refused = accounts[name].customer.rpc("assign_operator", body)
        assert refused.status_code in (401, 403, 404), refused.text
    assert accounts["stranger"].ctx.api.operations.assigned_jobs() == []
    with localstack.http() as http:
        r = http.post(f"{localstack.url}/rest/v1/rpc/assign_operator",
                      headers=service_headers(localstack),
                      json={**body, "operator_id": accounts["customer"].uid})
    assert r.status_code == 400 and "only be assigned to operator" in r.json()["message"]

"""Reorders copy the retained files on the server; the new job is verified and charged once."""

from __future__ import annotations

import uuid

import pytest

from tests.operations.support import assign, service_headers
from tests.service.support import service_rows, wait_verified
from wyntek_desktop.core import errors
from wyntek_desktop.core.operations import LIFECYCLE, ReorderChanges

TUS = "/storage/v1/upload/resumable"


def _complete(accounts, job_id: str) -> None:
    ops = accounts["operator"].ctx.api.operations
    for status in LIFECYCLE[1:]:
        ops.advance(job_id, status)


def _request_counts(stack) -> dict[str, int]:
    with stack.http() as http:
        r = http.get(f"{stack.url}/debug/v1/request-counts", headers=service_headers(stack))
    assert r.status_code == 200, r.text
    counts: dict[str, int] = r.json()
    return counts


def _tus(counts: dict[str, int]) -> int:
    return sum(n for key, n in counts.items() if key.split(" ", 1)[1].startswith(TUS))


def test_reorder_copies_on_the_server_and_charges_once(localstack, accounts, verified_job,
                                                       tmp_path):
    _complete(accounts, verified_job["id"])
    customer = accounts["customer"]
    ops = customer.ctx.api.operations
    changes = ReorderChanges(quantity=3, notes="Same again, three of them")
    quote = ops.quote_reorder(verified_job["id"], changes)
    before_balance = customer.customer.balance()
    before = _request_counts(localstack)

    client_job_id = str(uuid.uuid4())
    job = ops.reorder(verified_job["id"], changes, client_job_id=client_job_id)
    assert job.status == "submitted" and job.quantity == 3 and job.token_cost == quote.tokens
    assert job.notes == "Same again, three of them"
    assert [f.storage_path for f in job.files] == [
        f"{customer.uid}/{client_job_id}/cube.stl"]
    again = ops.reorder(verified_job["id"], changes, client_job_id=client_job_id)
    assert again.id == job.id  # a replay: the same job, no second debit

    verified = wait_verified(localstack, [job.id])[job.id]
    assert verified["verification"] == "passed", verified["verification_note"]
    assert customer.customer.balance() == before_balance - quote.tokens
    ledger = customer.customer.ledger(job.id)
    assert [(e["reason"], e["delta"]) for e in ledger] == [("job", -quote.tokens)]
    after = _request_counts(localstack)
    assert _tus(after) == _tus(before)  # nothing was uploaded
    assert after.get("POST /storage/v1/object/copy", 0) > before.get(
        "POST /storage/v1/object/copy", 0)

    # the copy is the original, byte for byte: the operator's checked download says so
    assign(localstack, job.id, accounts["operator"].uid)
    operator = accounts["operator"].ctx.api.operations
    [copy] = operator.download_job(operator.assigned_job(job.id), tmp_path / "copy")
    [original] = operator.download_job(operator.assigned_job(verified_job["id"]),
                                       tmp_path / "original")
    assert copy.path.read_bytes() == original.path.read_bytes()
    history = ops.job_events(job.id)
    assert history[0].note and history[0].note.startswith("Reorder of job")


def test_reorder_refusals(localstack, accounts, verified_job):
    ops = accounts["customer"].ctx.api.operations
    with pytest.raises(errors.ConflictError, match="Only a completed job can be reordered"):
        ops.reorder(verified_job["id"], ReorderChanges(quantity=2))
    _complete(accounts, verified_job["id"])
    with pytest.raises(errors.ValidationError, match="not material_id"):
        ops.reorder(verified_job["id"], {"material_id": "sla-resin"})
    with pytest.raises(errors.NotFoundError, match="no such job in your account"):
        accounts["stranger"].ctx.api.operations.reorder(verified_job["id"])
    client_job_id = str(uuid.uuid4())
    ops.reorder(verified_job["id"], ReorderChanges(quantity=2), client_job_id=client_job_id)
    with pytest.raises(errors.ConflictError, match="already placed with other changes"):
        ops.reorder(verified_job["id"], ReorderChanges(quantity=4), client_job_id=client_job_id)


def test_reorder_of_removed_files_says_so(localstack, accounts, verified_job):
    _complete(accounts, verified_job["id"])
    customer = accounts["customer"]
    balance = customer.customer.balance()
    report = customer.ctx.api.delete_my_files()
    assert report.files_removed == 1
    with pytest.raises(errors.ConflictError) as refused:
        customer.ctx.api.operations.reorder(verified_job["id"], ReorderChanges(quantity=2))
    assert str(refused.value).startswith("The files of this job are no longer kept (cube.stl")
    assert customer.customer.balance() == balance
    rows = service_rows(localstack, "jobs", {"user_id": f"eq.{customer.uid}", "select": "id"})
    assert len(rows) == 1  # nothing was created

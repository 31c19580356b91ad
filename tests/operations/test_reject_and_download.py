"""Rejection refunds exactly once; a tampered stored file is a loud download error."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.operations.support import service_headers
from wyntek_desktop.core import errors


def test_concurrent_rejections_refund_once(localstack, accounts, verified_job):
    customer, operator = accounts["customer"].customer, accounts["operator"].customer
    charged = -sum(e["delta"] for e in customer.ledger(verified_job["id"]))
    before = customer.balance()
    body = {"job_id": verified_job["id"], "reason": "The walls are too thin to print."}
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: operator.rpc("reject_job", body), range(6)))
    assert [r.status_code for r in answers] == [200] * 6, [r.text for r in answers]
    assert {r.json()["status"] for r in answers} == {"rejected"}
    refunds = [e for e in customer.ledger(verified_job["id"]) if e["reason"] == "refund"]
    assert [e["delta"] for e in refunds] == [charged]
    assert customer.balance() == before + charged
    events = accounts["customer"].ctx.api.operations.job_events(verified_job["id"])
    assert events[-1].status == "rejected" and events[-1].actor == "operator"
    assert events[-1].note == "The walls are too thin to print."


def test_reject_needs_a_reason_and_an_early_job(accounts, verified_job):
    ops = accounts["operator"].ctx.api.operations
    with pytest.raises(errors.ValidationError, match="reason"):
        ops.reject(verified_job["id"], "  ")
    ops.advance(verified_job["id"], "reviewing")
    ops.advance(verified_job["id"], "in_production")
    with pytest.raises(errors.ConflictError, match="this one is in production"):
        ops.reject(verified_job["id"], "Too late.")


def test_download_checks_the_sha256(localstack, accounts, verified_job, tmp_path):
    ops = accounts["operator"].ctx.api.operations
    job = ops.assigned_job(verified_job["id"])
    seen: list[tuple[int, int]] = []
    [done] = ops.download_job(job, tmp_path / "good", progress=lambda d, t: seen.append((d, t)))
    data = done.path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == job.files[0].sha256 == done.sha256
    assert seen and seen[-1] == (len(data), len(data))

    with pytest.raises(Exception, match="cancelled"):
        ops.download_job(job, tmp_path / "cancelled", cancelled=lambda: True)
    assert list((tmp_path / "cancelled").iterdir()) == []

    # Someone with storage access changes the stored bytes (same size) behind the job.
    tampered = bytes([data[0] ^ 0xFF]) + data[1:]
    with localstack.http() as http:
        r = http.post(f"{localstack.url}/storage/v1/object/designs/{job.files[0].storage_path}",
                      content=tampered, headers={**service_headers(localstack),
                                                 "x-upsert": "true",
                                                 "Content-Type": "application/octet-stream"})
    assert r.status_code == 200, r.text
    with pytest.raises(errors.IntegrityError, match="does not match the file the service priced"):
        ops.download_job(job, tmp_path / "bad")
    assert list((tmp_path / "bad").iterdir()) == []  # nothing half-trusted is left

    # the customer cannot download through the operator route of someone else's job
    stranger = accounts["stranger"].ctx.api.operations
    with pytest.raises(errors.NotFoundError):
        stranger.download_file(job.files[0], tmp_path / "stranger")

"""The operator's job list pages by keyset: every job once, oldest first, ties by id."""

from __future__ import annotations

import uuid

from tests.operations.support import assign
from wyntek_desktop.api import operations


def test_assigned_jobs_page_through_ties(localstack, accounts, monkeypatch):
    customer, operator = accounts["customer"], accounts["operator"]
    service = localstack.service_client()
    same = "2026-01-01T10:00:00.123456+00:00"
    created = [same, same, same, "2026-01-01T09:00:00+00:00", "2026-01-02T00:00:00+00:00"]
    ids = []
    for at in created:
        row = {"user_id": customer.uid, "client_job_id": str(uuid.uuid4()), "process": "fdm",
               "material_id": "fdm-pla", "quantity": 1, "tolerance_mm": 0.2,
               "token_cost": 0, "volume_cm3": 1.0, "spec": {}, "created_at": at,
               "status": "reviewing" if at == same else "submitted"}
        ids.append(service.table("jobs").insert(row).execute().data[0]["id"])
        assign(localstack, ids[-1], operator.uid)
    monkeypatch.setattr(operations, "PAGE", 2)
    ops = operator.ctx.api.operations
    listed = [j.id for j in ops.assigned_jobs()]
    expected = [ids[3], *sorted(ids[:3]), ids[4]]
    assert listed == expected
    assert [j.id for j in ops.assigned_jobs("reviewing")] == sorted(ids[:3])
    assert customer.ctx.api.operations.assigned_jobs() == []  # RLS: a customer sees none


def test_an_operators_own_job_lists_hold_only_their_own_jobs(localstack, accounts,
                                                              assigned_job):
    """The operator may read an assigned customer job, but the Jobs page and `wyntek
    jobs` (the caller's own jobs, with their costs) never list it."""
    operator = accounts["operator"].ctx.api
    assert operator.operations.assigned_job(assigned_job["id"]).id == assigned_job["id"]
    assert operator.list_jobs() == []  # RLS alone would list it
    assert operator.jobs_changed_since(None) == []
    customer = accounts["customer"].ctx.api
    assert [j.id for j in customer.list_jobs()] == [assigned_job["id"]]

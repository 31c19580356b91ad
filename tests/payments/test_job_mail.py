"""Job email from the job history: submitting a job, its verification by the service
worker and each status change write job_events rows; each queues a message that the
drain sends through Resend into the mail folder. An opted-out user gets no status-update
mail but still the submission receipt and purchase receipts."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from tests.payments.shop import Customer, Shop


def cube_stl() -> bytes:
    """A closed 20 mm cube (8 cm3) as binary STL."""
    import trimesh

    data: bytes = trimesh.creation.box(extents=(20.0, 20.0, 20.0)).export(file_type="stl")
    return data


def submit(shop: Shop, who: Customer) -> dict[str, Any]:
    data = cube_stl()
    client_job_id = str(uuid.uuid4())
    path = f"{who.user_id}/{client_job_id}/cube.stl"
    stored = shop.http.post(f"{shop.stack.url}/storage/v1/object/designs/{path}", content=data,
                            headers={"apikey": shop.stack.anon_key,
                                     "Authorization": f"Bearer {who.token}",
                                     "Content-Type": "application/octet-stream"})
    assert stored.status_code == 200, stored.text
    spec = {"material_id": "fdm-pla", "quantity": 1, "tolerance_mm": 0.2,
            "volume_cm3": 8.0, "finish": None, "delivery_instructions": None, "notes": None}
    files = [{"storage_path": path, "file_name": "cube.stl", "kind": "model",
              "size_bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
              "analysis": {}}]
    job = shop.rpc(who, "submit_job", {"client_job_id": client_job_id, "spec": spec,
                                       "files": files})
    assert job.status_code == 200, job.text
    body: dict[str, Any] = job.json()
    return body


def advance(shop: Shop, job_id: str, status: str) -> None:
    key = shop.stack.service_role_key
    response = shop.http.patch(f"{shop.stack.url}/rest/v1/jobs?id=eq.{job_id}",
                               json={"status": status},
                               headers={"apikey": key, "Authorization": f"Bearer {key}"})
    assert response.status_code in (200, 204), response.text


def wait_verified(shop: Shop, who: Customer, job_id: str, timeout: float = 120) -> str:
    import time

    deadline = time.monotonic() + timeout
    while True:
        rows = shop.http.get(f"{shop.stack.url}/rest/v1/jobs?id=eq.{job_id}"
                             "&select=verification,verification_note",
                             headers={"apikey": shop.stack.anon_key,
                                      "Authorization": f"Bearer {who.token}"}).json()
        state = str(rows[0]["verification"])
        if state != "pending" or time.monotonic() > deadline:
            return f"{state}: {rows[0]['verification_note']}"
        time.sleep(0.5)


def outbox(shop: Shop, who: Customer) -> list[dict[str, Any]]:
    key = shop.stack.service_role_key
    rows: list[dict[str, Any]] = shop.http.get(
        f"{shop.stack.url}/rest/v1/email_outbox?user_id=eq.{who.user_id}"
        "&select=kind,status,to_email&order=id",
        headers={"apikey": key, "Authorization": f"Bearer {key}"}).json()
    return rows


def buyer_with_tokens(shop: Shop, prefix: str) -> Customer:
    who = shop.customer(prefix)
    _, url = shop.checkout(who, "studio")
    assert shop.pay(url).status_code == 303
    return who


def test_job_mail_follows_the_history_and_respects_the_opt_out(shop: Shop) -> None:
    keen = buyer_with_tokens(shop, "keen")
    quiet = buyer_with_tokens(shop, "quiet")
    opted = shop.http.patch(f"{shop.stack.url}/rest/v1/profiles?id=eq.{quiet.user_id}",
                            json={"email_job_updates": False},
                            headers={"apikey": shop.stack.anon_key,
                                     "Authorization": f"Bearer {quiet.token}"})
    assert opted.status_code in (200, 204), opted.text

    jobs = {who.email: submit(shop, who) for who in (keen, quiet)}
    for who in (keen, quiet):
        short = jobs[who.email]["id"][:8]
        assert shop.mail_to(who.email, subject_has=f"We received job {short}")
        # The service worker verifies the stored file; then the job may move on.
        outcome = wait_verified(shop, who, jobs[who.email]["id"])
        assert outcome.startswith(("passed", "adjusted")), outcome
        advance(shop, jobs[who.email]["id"], "reviewing")
    for who in (keen, quiet):
        advance(shop, jobs[who.email]["id"], "in_production")

    short = jobs[keen.email]["id"][:8]
    assert shop.mail_to(keen.email, subject_has=f"Job {short} is now in production")
    assert shop.mail_to(keen.email, subject_has=f"Job {short} is now reviewing")
    assert shop.mail_to(keen.email, subject_has=f"Job {short}: files checked, price confirmed")
    mail = shop.mail_to(keen.email, subject_has="now in production")[0]
    assert "turn them off" in mail["text"] and "<p>" in mail["html"]

    # Everything queued for the quiet user went out, and none of it is a status update.
    kinds = [r["kind"] for r in outbox(shop, quiet)]
    assert "job_submitted" in kinds and "purchase_paid" in kinds
    assert "job_status" not in kinds and "job_verification" not in kinds  # passed: an update
    quiet_mail = shop.mail_to(quiet.email, expect=False)
    subjects = [m["subject"] for m in quiet_mail]
    assert any(s.startswith("Receipt:") for s in subjects)
    assert any(s.startswith("We received job") for s in subjects)
    assert not any(" is now " in s for s in subjects), subjects
    assert all(m["to"] == quiet.email for m in quiet_mail)
    shop.assert_ledger_sums_to_balance(keen)
    shop.assert_ledger_sums_to_balance(quiet)

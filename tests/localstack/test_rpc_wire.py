"""The schema's functions and policies through the real server and the official client."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest
from postgrest.exceptions import APIError
from storage3.exceptions import StorageApiError

DATA = b"solid wire\n  facet normal 0 0 1\nendsolid wire\n" * 20


def signed_in(localstack: Any, prefix: str) -> tuple[Any, str]:
    email, password, uid = localstack.new_user(prefix)
    client = localstack.anon_client()
    client.auth.sign_in_with_password({"email": email, "password": password})
    return client, uid


def upload(client: Any, path: str, data: bytes = DATA) -> None:
    client.storage.from_("designs").upload(
        path, data, {"content-type": "application/octet-stream"})


def files_for(path: str, data: bytes = DATA) -> list[dict[str, Any]]:
    return [{"storage_path": path, "file_name": "Part (rev A).stl", "kind": "model",
             "size_bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
             "analysis": {"volume_cm3": 4.2, "watertight": True}}]


SPEC = {"material_id": "mjf-pa12", "quantity": 4, "tolerance_mm": 0.1, "volume_cm3": 4.2,
        "finish": "dyed black", "delivery_instructions": "Dock 3", "notes": None}


def test_submit_replay_conflict_cancel_and_export_over_the_wire(localstack):
    client, uid = signed_in(localstack, "wire")
    localstack.service_client().rpc(
        "grant_tokens", {"user_id": uid, "amount": 400, "reason": "purchase"}).execute()
    cost = client.rpc("quote_job", {"material_id": "mjf-pa12", "volume_cm3": 4.2,
                                    "quantity": 4, "tolerance_mm": 0.1}).execute().data
    client_job_id = str(uuid.uuid4())
    path = f"{uid}/{client_job_id}/Part_rev_A.stl"
    upload(client, path)

    args = {"client_job_id": client_job_id, "spec": SPEC, "files": files_for(path)}
    job = client.rpc("submit_job", args).execute().data
    again = client.rpc("submit_job", args).execute().data
    assert job["id"] == again["id"] and job["token_cost"] == cost
    assert job["status"] == "submitted"

    with pytest.raises(APIError) as err:
        client.rpc("submit_job", {**args, "spec": {**SPEC, "quantity": 5}}).execute()
    assert err.value.code == "PT409"

    profile = client.table("profiles").select("token_balance").single().execute().data
    assert profile["token_balance"] == 400 - cost

    cancelled = client.rpc("cancel_job", {"job_id": job["id"]}).execute().data
    assert cancelled["status"] == "cancelled"
    export = client.rpc("export_my_data", {}).execute().data
    assert [j["id"] for j in export["jobs"]] == [job["id"]]
    assert sum(entry["delta"] for entry in export["ledger"]) == 400
    assert export["profile"]["token_balance"] == 400


def test_refusals_carry_the_documented_codes(localstack):
    client, uid = signed_in(localstack, "refused")
    client_job_id = str(uuid.uuid4())
    path = f"{uid}/{client_job_id}/part.stl"
    args = {"client_job_id": client_job_id, "spec": SPEC, "files": files_for(path)}

    with pytest.raises(APIError) as err:  # nothing uploaded yet
        client.rpc("submit_job", args).execute()
    assert err.value.code == "PT404"
    upload(client, path)
    with pytest.raises(APIError) as err:  # uploaded, but no tokens
        client.rpc("submit_job", args).execute()
    assert err.value.code == "PT402" and "Insufficient balance" in err.value.message
    with pytest.raises(APIError) as err:
        client.rpc("quote_job", {"material_id": "nope", "volume_cm3": 1, "quantity": 1,
                                 "tolerance_mm": 0.2}).execute()
    assert err.value.code == "22023"
    with pytest.raises(APIError) as err:
        client.rpc("grant_tokens", {"user_id": uid, "amount": 1000,
                                    "reason": "grant"}).execute()
    assert err.value.code == "42501"
    with pytest.raises(APIError) as err:
        client.table("profiles").update({"token_balance": 10**6}).eq("id", uid).execute()
    assert err.value.code == "42501"


def test_storage_policies_through_the_storage_api(localstack):
    owner, owner_id = signed_in(localstack, "storage-owner")
    intruder, _ = signed_in(localstack, "storage-intruder")
    path = f"{owner_id}/{uuid.uuid4()}/part.stl"
    upload(owner, path)

    with pytest.raises(StorageApiError) as err:
        upload(intruder, f"{owner_id}/{uuid.uuid4()}/evil.stl")
    assert err.value.status == "403"
    with pytest.raises(StorageApiError) as err:
        intruder.storage.from_("designs").download(path)
    assert err.value.status == "404"
    assert owner.storage.from_("designs").download(path) == DATA

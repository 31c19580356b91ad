"""One engineer's day through the official supabase client, unmodified, over HTTPS.

Sign up, sign in, refresh, read the catalogue, upload a design (storage), submit a job
(RPC) that checks the object and debits tokens, look at jobs and the ledger, share a signed
URL, clean up files, sign out: the same calls the desktop app makes.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import httpx
import pytest
from postgrest.exceptions import APIError
from storage3.exceptions import StorageApiError
from supabase_auth.errors import AuthApiError

from tests.design.meshes import cube, write_binary_stl
from tests.support.localstack import LocalStackInstance


def test_engineer_workflow(localstack: LocalStackInstance, tmp_path: Path) -> None:
    sb = localstack.anon_client()
    email, password = f"eng-{uuid.uuid4().hex[:8]}@example.com", "a strong passphrase"
    signed_up = sb.auth.sign_up({"email": email, "password": password})
    uid = signed_up.user.id
    sb.auth.sign_out({"scope": "local"})
    with pytest.raises(AuthApiError) as err:
        sb.auth.sign_in_with_password({"email": email, "password": "wrong"})
    assert err.value.code == "invalid_credentials"
    sb.auth.sign_in_with_password({"email": email, "password": password})
    old_refresh = sb.auth.get_session().refresh_token
    assert sb.auth.refresh_session().session.refresh_token != old_refresh

    localstack.service_client().rpc("grant_tokens", {
        "user_id": uid, "amount": 10_000, "reason": "purchase"}).execute()
    material = sb.table("materials").select("*").eq("active", True).order("id").limit(1) \
        .single().execute().data

    # A real 20 mm cube (8 cm3), so the service's verification confirms the declared price.
    data = write_binary_stl(tmp_path / "cube.stl", cube(20.0)).read_bytes()
    client_job_id = str(uuid.uuid4())
    path = f"{uid}/{client_job_id}/cube.stl"
    sb.storage.from_("designs").upload(path, data, {"content-type": "model/stl"})
    listed = sb.storage.from_("designs").list(f"{uid}/{client_job_id}")
    assert listed[0]["metadata"]["eTag"] == f'"{hashlib.md5(data).hexdigest()}"'

    spec = {"material_id": material["id"], "quantity": 2, "tolerance_mm": 0.2,
            "volume_cm3": 8, "finish": "standard", "delivery_instructions": "", "notes": "hi"}
    files = [{"storage_path": path, "file_name": "cube.stl", "kind": "model",
              "size_bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
              "analysis": {"watertight": True}}]
    quote = sb.rpc("quote_job", {"material_id": material["id"], "volume_cm3": 8,
                                 "quantity": 2, "tolerance_mm": 0.2}).execute().data
    job = sb.rpc("submit_job", {"client_job_id": client_job_id, "spec": spec,
                                "files": files}).execute().data
    assert job["client_job_id"] == client_job_id and job["token_cost"] == quote
    replay = sb.rpc("submit_job", {"client_job_id": client_job_id, "spec": spec,
                                   "files": files}).execute().data
    assert replay["id"] == job["id"]
    with pytest.raises(APIError) as api_err:
        sb.rpc("submit_job", {"client_job_id": client_job_id, "spec": {**spec, "quantity": 3},
                              "files": files}).execute()
    assert api_err.value.code == "PT409"

    jobs = sb.table("jobs").select("id,status,token_cost,job_files(file_name,sha256)") \
        .order("created_at", desc=True).execute().data
    assert jobs[0]["id"] == job["id"] and jobs[0]["job_files"][0]["file_name"] == "cube.stl"
    balance = sb.table("profiles").select("token_balance").single().execute().data
    ledger = sb.table("token_ledger").select("delta", count="exact").execute()
    assert balance["token_balance"] == 10_000 - quote == sum(r["delta"] for r in ledger.data)
    assert ledger.count == 2

    signed = sb.storage.from_("designs").create_signed_url(path, 300)["signedURL"]
    with httpx.Client(verify=localstack.ssl_context()) as plain:
        assert plain.get(signed).content == data
    assert sb.storage.from_("designs").download(path) == data
    # Files of a live job are frozen; a cancelled job's files can be removed.
    with pytest.raises(StorageApiError) as storage_err:
        sb.storage.from_("designs").update(path, b"changed", {"content-type": "model/stl"})
    assert storage_err.value.status == "403"
    assert sb.storage.from_("designs").remove([path]) == []
    sb.rpc("cancel_job", {"job_id": job["id"]}).execute()
    assert [r["name"] for r in sb.storage.from_("designs").remove([path])] == [path]
    with pytest.raises(StorageApiError) as storage_err:
        sb.storage.from_("designs").download(path)
    assert storage_err.value.status == "404"
    sb.rpc("record_files_deleted", {"paths": [path]}).execute()
    deleted = sb.table("job_files").select("deleted_at").execute().data
    assert deleted[0]["deleted_at"] is not None

    sb.auth.sign_out({"scope": "local"})
    assert sb.auth.get_session() is None
    with pytest.raises(APIError) as api_err:  # back to the anon key: no table privilege
        sb.table("jobs").select("id").execute()
    assert api_err.value.code == "42501"

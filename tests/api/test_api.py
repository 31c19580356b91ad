"""The API client against the real local stack: typed models and mapped errors."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from tests.api.support import context_for
from wyntek_desktop.context import AppContext
from wyntek_desktop.core import errors
from wyntek_desktop.core.models import Job, LedgerEntry, Profile, SupportMessage
from wyntek_desktop.core.settings import Settings


@pytest.fixture
def signed_in(localstack):
    email, password, user_id = localstack.new_user()
    ctx = context_for(localstack, email=email, password=password)
    yield ctx, user_id
    ctx.close()


def _insert_job(localstack, user_id: str, **values) -> dict:
    row = {"user_id": user_id, "client_job_id": str(uuid.uuid4()), "status": "submitted",
           "process": "fdm", "material_id": "fdm-pla", "quantity": 1, "tolerance_mm": 0.2,
           "token_cost": 10, "volume_cm3": 1.0, "spec": {}, **values}
    return localstack.service_client().table("jobs").insert(row).execute().data[0]


def test_catalogue_is_cached_for_offline_use(localstack, signed_in, app_dirs) -> None:
    ctx, _ = signed_in
    online = ctx.api.materials()
    assert not online.from_cache and online.get("fdm-pla").process == "fdm"
    assert (app_dirs["cache"] / "wyntek-desktop" / "materials.json").is_file()
    # The service is out of reach (nothing listens on port 9): the saved copy is used.
    offline = AppContext.build(Settings(supabase_url="https://127.0.0.1:9", anon_key="k"),
                               env={"WYNTEK_EMAIL": "a@example.com", "WYNTEK_PASSWORD": "pw"})
    catalogue = offline.api.materials()
    assert catalogue.from_cache and catalogue.get("fdm-pla") == online.get("fdm-pla")
    offline.close()


def test_quote_matches_the_pricing_rule(signed_in) -> None:
    ctx, _ = signed_in
    pla = ctx.api.materials().get("fdm-pla")
    quote = ctx.api.quote("fdm-pla", 10.0, 3, 0.1)
    expected = pla.setup_tokens + -(-(3 * 10 * pla.tokens_per_cm3 * 125) // 100)
    assert quote.tokens == int(expected)


@pytest.mark.parametrize("args, error, text", [
    (("fdm-pla", 1.0, 0, 0.2), errors.ValidationError, "Quantity must be"),
    (("fdm-pla", 1.0, 10001, 0.2), errors.ValidationError, "Quantity must be"),
    (("fdm-pla", 1.0, 1, 0.001), errors.ValidationError, "Tolerance must be"),
    (("nope", 1.0, 1, 0.2), errors.ValidationError, "Unknown or unavailable material"),
])
def test_quote_refusals(signed_in, args, error, text) -> None:
    ctx, _ = signed_in
    with pytest.raises(error, match=text):
        ctx.api.quote(*args)


def test_poller_reports_each_change_once(localstack, signed_in) -> None:
    ctx, user_id = signed_in
    poller = ctx.api.job_poller()
    assert poller.poll() == []
    row = _insert_job(localstack, user_id)
    changed = poller.poll()
    assert [j.id for j in changed] == [row["id"]] and isinstance(changed[0], Job)
    assert poller.poll() == []  # inside the overlap window, already seen
    time.sleep(0.05)
    localstack.service_client().table("jobs").update({"status": "rejected"}) \
        .eq("id", row["id"]).execute()
    changed = poller.poll()
    assert [(j.id, j.status) for j in changed] == [(row["id"], "rejected")]
    assert poller.poll() == []


def test_jobs_not_found_and_cancel(localstack, signed_in) -> None:
    ctx, user_id = signed_in
    with pytest.raises(errors.NotFoundError, match="is not a job id"):
        ctx.api.get_job("abc")
    with pytest.raises(errors.NotFoundError, match="was not found"):
        ctx.api.get_job(str(uuid.uuid4()))
    *_, other_id = localstack.new_user()
    theirs = _insert_job(localstack, other_id)
    with pytest.raises(errors.NotFoundError):
        ctx.api.get_job(theirs["id"])  # RLS: not yours looks like not there
    mine = _insert_job(localstack, user_id, status="reviewing")
    with pytest.raises(errors.ConflictError, match="Only a submitted job can be cancelled"):
        ctx.api.cancel_job(mine["id"])


def test_profile_support_export_and_deletion(localstack, signed_in, tmp_path: Path) -> None:
    ctx, user_id = signed_in
    profile = ctx.api.update_display_name("  Ada Lovelace ")
    assert isinstance(profile, Profile) and profile.display_name == "Ada Lovelace"
    with pytest.raises(errors.ValidationError, match="display name"):
        ctx.api.update_display_name("x" * 101)
    job = _insert_job(localstack, user_id)
    message = ctx.api.create_support_message("Late parcel", "Where is it?", job["id"])
    assert isinstance(message, SupportMessage) and message.job_id == job["id"]
    with pytest.raises(errors.ValidationError, match="message must be"):
        ctx.api.create_support_message("s", "x" * 5001)
    assert [m.subject for m in ctx.api.support_messages()] == ["Late parcel"]
    localstack.service_client().rpc("grant_tokens", {"user_id": user_id, "amount": 7,
                                                     "reason": "purchase"}).execute()
    ledger = ctx.api.ledger()
    assert [(e.delta, e.reason) for e in ledger] == [(7, "purchase")]
    assert isinstance(ledger[0], LedgerEntry) and ctx.api.balance() == 7

    target = tmp_path / "export" / "me.json"
    result = ctx.api.export_my_data(target)
    data = json.loads(target.read_text("utf-8"))
    assert set(data) >= {"profile", "jobs", "files", "ledger"}
    assert result.jobs == 1 and result.ledger_entries == 1
    assert data["profile"]["display_name"] == "Ada Lovelace"

    ctx.api.request_account_deletion()
    assert not ctx.session.signed_in
    rows = localstack.service_client().table("account_deletion_requests").select("*") \
        .eq("user_id", user_id).execute().data
    assert len(rows) == 1


def test_delete_my_files_in_batches(localstack, signed_in) -> None:
    ctx, user_id = signed_in
    bucket = ctx.session.client.storage.from_("designs")
    paths = [f"{user_id}/{uuid.uuid4()}/part-{i}.stl" for i in range(3)]
    paths += [f"{user_id}/batch/nested/f{i:03}.bin" for i in range(102)]
    for i, path in enumerate(paths):
        bucket.upload(path, b"x" * (i + 1), {"content-type": "application/octet-stream"})
    report = ctx.api.delete_my_files()
    assert report.files_removed == len(paths) and report.failed == ()
    assert report.bytes_removed == sum(range(1, len(paths) + 1))
    service = localstack.service_client()
    assert service.storage.from_("designs").list(user_id) == []
    again = ctx.api.delete_my_files()
    assert again.files_removed == 0 and again.bytes_removed == 0


def test_delete_my_files_marks_rows_of_objects_an_interrupted_run_removed(
        localstack, signed_in) -> None:
    ctx, user_id = signed_in
    job = _insert_job(localstack, user_id)
    path = f"{user_id}/{job['client_job_id']}/part.stl"
    ctx.session.client.storage.from_("designs").upload(path, b"solid",
                                                       {"content-type": "model/stl"})
    service = localstack.service_client()
    service.table("job_files").insert({
        "job_id": job["id"], "user_id": user_id, "storage_path": path,
        "file_name": "part.stl", "kind": "model", "size_bytes": 5,
        "sha256": "0" * 64}).execute()
    # An earlier run removed the object, then lost the connection before recording it.
    service.storage.from_("designs").remove([path])
    report = ctx.api.delete_my_files()
    assert report.files_removed == 0 and report.rows_marked == 1
    row = service.table("job_files").select("deleted_at").eq("storage_path", path) \
        .execute().data[0]
    assert row["deleted_at"] is not None

"""PostgREST behaviour through the official client and raw HTTP, with the real schema."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from postgrest.exceptions import APIError

from tests.support.localstack import LocalStackInstance


def signed_in(stack: LocalStackInstance) -> tuple[Any, str]:
    email, password, user_id = stack.new_user()
    sb = stack.anon_client()
    sb.auth.sign_in_with_password({"email": email, "password": password})
    return sb, user_id


def a_material(stack: LocalStackInstance) -> dict[str, Any]:
    rows = stack.service_client().table("materials").select("*").eq("active", True) \
        .order("id").limit(1).execute().data
    return rows[0]


def make_job(stack: LocalStackInstance, user_id: str, **extra: Any) -> dict[str, Any]:
    material = a_material(stack)
    row = {"user_id": user_id, "client_job_id": str(uuid.uuid4()), "process": material["process"],
           "material_id": material["id"], "quantity": 1, "tolerance_mm": 0.2, "volume_cm3": 1,
           "token_cost": 1, "spec": {"material_id": material["id"]}, **extra}
    data: dict[str, Any] = stack.service_client().table("jobs").insert(row).execute().data[0]
    return data


def test_reads_with_count_order_and_range(localstack: LocalStackInstance) -> None:
    sb, _ = signed_in(localstack)
    everything = sb.table("materials").select("id", count="exact").order("id").execute()
    total = everything.count
    assert total is not None and total >= 8 and len(everything.data) == total
    ids = [r["id"] for r in everything.data]
    assert ids == sorted(ids)
    page = sb.table("materials").select("id,name", count="exact").order("id").range(2, 4).execute()
    assert [r["id"] for r in page.data] == ids[2:5] and page.count == total
    desc = sb.table("materials").select("id").order("id", desc=True).limit(2).execute()
    assert [r["id"] for r in desc.data] == ids[::-1][:2]
    with localstack.http() as http:
        r = http.get(f"{localstack.url}/rest/v1/materials?select=id&order=id&offset=2&limit=3",
                     headers={"apikey": localstack.anon_key, "Prefer": "count=exact",
                              "Authorization": sb.options.headers["Authorization"]})
        assert r.status_code == 206 and r.headers["content-range"] == f"2-4/{total}"
        head = http.head(f"{localstack.url}/rest/v1/materials?select=*",
                         headers={"Prefer": "count=exact",
                                  "Authorization": sb.options.headers["Authorization"]})
        assert head.status_code == 200 and head.headers["content-range"].endswith(f"/{total}")
        beyond = http.get(f"{localstack.url}/rest/v1/materials?select=id&offset={total + 5}",
                          headers={"Prefer": "count=exact",
                                   "Authorization": sb.options.headers["Authorization"]})
        assert beyond.status_code == 416 and beyond.json()["code"] == "PGRST103"
        ranged = http.get(f"{localstack.url}/rest/v1/materials?select=id&order=id",
                          headers={"Range": "1-2", "Range-Unit": "items",
                                   "Authorization": sb.options.headers["Authorization"]})
        assert [r["id"] for r in ranged.json()] == ids[1:3]
        assert ranged.headers["content-range"] == "1-2/*"


def test_filter_grammar(localstack: LocalStackInstance) -> None:
    sb, _ = signed_in(localstack)
    rows = sb.table("materials").select("id,process,active,setup_tokens").execute().data
    processes = sorted({r["process"] for r in rows})
    picked = processes[:2]
    got = sb.table("materials").select("id").in_("process", picked).execute().data
    assert {r["id"] for r in got} == {r["id"] for r in rows if r["process"] in picked}
    got = sb.table("materials").select("id").or_(
        f"process.eq.{picked[0]},process.eq.{picked[1]}").execute().data
    assert {r["id"] for r in got} == {r["id"] for r in rows if r["process"] in picked}
    got = sb.table("materials").select("id").not_.eq("process", picked[0]).execute().data
    assert {r["id"] for r in got} == {r["id"] for r in rows if r["process"] != picked[0]}
    got = sb.table("materials").select("id").gte("setup_tokens", 1).lt("setup_tokens", 10**6) \
        .execute().data
    assert {r["id"] for r in got} == {r["id"] for r in rows if r["setup_tokens"] >= 1}
    got = sb.table("materials").select("id").ilike("id", f"{picked[0].upper()}%").execute().data
    assert got and all(r["id"].startswith(picked[0]) for r in got)
    assert sb.table("materials").select("id").is_("description", "null").execute().data is not None
    # A value full of SQL is just a value.
    assert sb.table("materials").select("id").eq("id", "x'; drop table materials; --") \
        .execute().data == []
    assert len(sb.table("materials").select("id").execute().data) == len(rows)


def test_single_and_maybe_single(localstack: LocalStackInstance) -> None:
    sb, user_id = signed_in(localstack)
    profile = sb.table("profiles").select("*").eq("id", user_id).single().execute().data
    assert profile["id"] == user_id and profile["token_balance"] == 0
    with pytest.raises(APIError) as err:
        sb.table("materials").select("id").eq("id", "no-such-material").single().execute()
    assert err.value.code == "PGRST116"
    assert err.value.details == "The result contains 0 rows"
    assert sb.table("materials").select("id").eq("id", "no-such-material").maybe_single() \
        .execute() is None


def test_insert_and_rls_violation(localstack: LocalStackInstance) -> None:
    sb, user_id = signed_in(localstack)
    _, other_id = signed_in(localstack)
    row = sb.table("support_messages").insert({"subject": "Hello", "body": "Where is my part?"}) \
        .execute().data[0]
    assert row["user_id"] == user_id and row["status"] == "open"
    with pytest.raises(APIError) as err:
        sb.table("support_messages").insert({"user_id": other_id, "subject": "x", "body": "y"}) \
            .execute()
    assert err.value.code == "42501"
    with pytest.raises(APIError) as err:  # no INSERT privilege on jobs for users
        sb.table("jobs").insert({"user_id": user_id}).execute()
    assert err.value.code == "42501"
    mine = sb.table("support_messages").select("subject").execute().data
    assert mine == [{"subject": "Hello"}]


def test_update_own_display_name_only(localstack: LocalStackInstance) -> None:
    sb, user_id = signed_in(localstack)
    _, other_id = signed_in(localstack)
    updated = sb.table("profiles").update({"display_name": "Grace"}).eq("id", user_id).execute()
    assert updated.data[0]["display_name"] == "Grace"
    with pytest.raises(APIError) as err:
        sb.table("profiles").update({"token_balance": 10**6}).eq("id", user_id).execute()
    assert err.value.code == "42501"
    # Someone else's row: RLS filters it out, nothing changes, no error.
    assert sb.table("profiles").update({"display_name": "Mallory"}).eq("id", other_id) \
        .execute().data == []
    other = localstack.service_client().table("profiles").select("display_name") \
        .eq("id", other_id).single().execute().data
    assert other["display_name"] != "Mallory"


def test_rpc_and_service_only_functions(localstack: LocalStackInstance) -> None:
    sb, user_id = signed_in(localstack)
    material = a_material(localstack)
    cost = sb.rpc("quote_job", {"material_id": material["id"], "volume_cm3": 10, "quantity": 2,
                                "tolerance_mm": 0.2}).execute().data
    assert isinstance(cost, int) and cost > 0
    with pytest.raises(APIError) as err:
        sb.rpc("grant_tokens", {"user_id": user_id, "amount": 100, "reason": "grant"}).execute()
    assert err.value.code == "42501"
    svc = localstack.service_client()
    svc.rpc("grant_tokens", {"user_id": user_id, "amount": 120, "reason": "purchase"}).execute()
    balance = sb.table("profiles").select("token_balance").single().execute().data
    ledger = sb.table("token_ledger").select("delta").execute().data
    assert balance["token_balance"] == 120 == sum(r["delta"] for r in ledger)
    with pytest.raises(APIError) as err:
        sb.rpc("quote_job", {"material_id": material["id"], "volume_cm3": 1, "quantity": 0,
                             "tolerance_mm": 0.2}).execute()
    assert err.value.code == "22023"
    with pytest.raises(APIError) as err:
        sb.rpc("no_such_function", {}).execute()
    assert err.value.code == "PGRST202"
    exported = sb.rpc("export_my_data", {}).execute().data
    assert exported["profile"]["id"] == user_id


def test_rpc_get_and_array_arguments(localstack: LocalStackInstance) -> None:
    sb, _ = signed_in(localstack)
    material = a_material(localstack)
    via_get = sb.rpc("quote_job", {"material_id": material["id"], "volume_cm3": 10,
                                   "quantity": 2, "tolerance_mm": 0.2}, get=True).execute().data
    via_post = sb.rpc("quote_job", {"material_id": material["id"], "volume_cm3": 10,
                                    "quantity": 2, "tolerance_mm": 0.2}).execute().data
    assert via_get == via_post
    result = sb.rpc("record_files_deleted", {"paths": ["a/b", 'we"ird,name']}).execute()
    assert result.data is not None


def test_status_mapping_on_the_wire(localstack: LocalStackInstance) -> None:
    url = f"{localstack.url}/rest/v1"
    svc_headers = {"apikey": localstack.service_role_key,
                   "Authorization": f"Bearer {localstack.service_role_key}"}
    material = a_material(localstack)
    with localstack.http() as http:
        anon = http.post(f"{url}/rpc/grant_tokens", headers={"apikey": localstack.anon_key},
                         json={"user_id": str(uuid.uuid4()), "amount": 1, "reason": "grant"})
        assert anon.status_code == 401 and anon.json()["code"] == "42501"
        assert anon.headers["www-authenticate"].startswith("Bearer")
        dup = http.post(f"{url}/materials", headers=svc_headers, json=material)
        assert dup.status_code == 409 and dup.json()["code"] == "23505"
        assert set(dup.json()) == {"code", "message", "details", "hint"}
        missing = http.get(f"{url}/no_such_table", headers=svc_headers)
        assert missing.status_code == 404 and missing.json()["code"] == "PGRST205"
        bad_col = http.get(f"{url}/materials?select=id,secret", headers=svc_headers)
        assert bad_col.status_code == 400 and bad_col.json()["code"] == "42703"
        bad_grammar = http.get(f"{url}/materials?id=equals.1", headers=svc_headers)
        assert bad_grammar.status_code == 400 and bad_grammar.json()["code"] == "PGRST100"
        other_schema = http.get(f"{url}/materials", headers={**svc_headers,
                                                             "Accept-Profile": "auth"})
        assert other_schema.status_code == 406 and other_schema.json()["code"] == "PGRST106"
        bad_json = http.post(f"{url}/materials", headers={**svc_headers,
                                                          "Content-Type": "application/json"},
                             content=b"{not json")
        assert bad_json.status_code == 400 and bad_json.json()["code"] == "PGRST102"
        bad_value = http.get(f"{url}/jobs?id=eq.not-a-uuid", headers=svc_headers)
        assert bad_value.status_code == 400 and bad_value.json()["code"] == "22P02"


def test_service_role_upsert_update_delete(localstack: LocalStackInstance) -> None:
    svc = localstack.service_client()
    base = dict(a_material(localstack))
    new_id = f"test-{uuid.uuid4().hex[:8]}"
    row = {**base, "id": new_id, "name": "Test material"}
    assert svc.table("materials").insert(row).execute().data[0]["id"] == new_id
    upserted = svc.table("materials").upsert({**row, "name": "Renamed"}, on_conflict="id") \
        .execute().data
    assert upserted[0]["name"] == "Renamed"
    ignored = svc.table("materials").upsert({**row, "name": "Ignored"}, on_conflict="id",
                                            ignore_duplicates=True).execute().data
    assert ignored == []
    bulk = svc.table("materials").insert([
        {**row, "id": new_id + "-a"}, {**row, "id": new_id + "-b", "description": "b"}]).execute()
    assert {r["id"] for r in bulk.data} == {new_id + "-a", new_id + "-b"}
    changed = svc.table("materials").update({"active": False}).like("id", f"{new_id}%") \
        .execute().data
    assert len(changed) == 3 and not any(r["active"] for r in changed)
    deleted = svc.table("materials").delete().like("id", f"{new_id}%").execute().data
    assert len(deleted) == 3
    assert svc.table("materials").select("id").like("id", f"{new_id}%").execute().data == []


def test_embedded_resources_and_rls_on_jobs(localstack: LocalStackInstance) -> None:
    sb, user_id = signed_in(localstack)
    other, other_id = signed_in(localstack)
    job = make_job(localstack, user_id, notes="mine")
    make_job(localstack, other_id, notes="theirs")
    rows = sb.table("jobs").select("id,notes,job_files(file_name),materials(name)").execute().data
    assert [r["id"] for r in rows] == [job["id"]]
    assert rows[0]["job_files"] == [] and rows[0]["materials"]["name"]
    with pytest.raises(APIError) as err:  # users have no DELETE privilege on jobs
        sb.table("jobs").delete().eq("id", job["id"]).execute()
    assert err.value.code == "42501"
    assert other.table("jobs").select("notes").execute().data == [{"notes": "theirs"}]


def test_bulk_insert_missing_default(localstack: LocalStackInstance) -> None:
    svc = localstack.service_client()
    base = {k: v for k, v in a_material(localstack).items()
            if k not in ("active", "setup_tokens", "description")}
    stem = f"dflt-{uuid.uuid4().hex[:8]}"
    rows = [{**base, "id": stem + "-a", "active": False, "setup_tokens": 7},
            {**base, "id": stem + "-b"}]
    with pytest.raises(APIError) as err:  # missing keys become NULL by default
        svc.table("materials").insert(rows).execute()
    assert err.value.code == "23502"
    made = svc.table("materials").insert(rows, default_to_null=False).execute().data
    by_id = {r["id"]: r for r in made}
    assert by_id[stem + "-a"]["active"] is False and by_id[stem + "-a"]["setup_tokens"] == 7
    assert by_id[stem + "-b"]["active"] is True and by_id[stem + "-b"]["setup_tokens"] == 0
    svc.table("materials").delete().like("id", f"{stem}%").execute()

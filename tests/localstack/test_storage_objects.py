"""Storage objects through the official client and raw HTTP; RLS on storage.objects."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from typing import Any

import httpx
import pytest
from storage3.exceptions import StorageApiError

from tests.localstack.helpers import mint, raw_request, signed_in_client
from tests.support.localstack import LocalStackInstance
from wyntek_localstack.storage import blobs

BUCKET = "designs"


def obj_url(stack: LocalStackInstance, name: str) -> str:
    return f"{stack.url}/storage/v1/object/{BUCKET}/{name}"


def auth(token: str, stack: LocalStackInstance) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "apikey": stack.anon_key}


def test_upload_list_download_remove(localstack: LocalStackInstance) -> None:
    sb, uid, _ = signed_in_client(localstack)
    bucket = sb.storage.from_(BUCKET)
    data = b"solid part\n" * 1000
    name = f"{uid}/{uuid.uuid4()}/part.stl"
    res = bucket.upload(name, data, {"content-type": "model/stl", "cache-control": "60"})
    assert res.full_path == f"{BUCKET}/{name}"
    folder = name.rsplit("/", 1)[0]
    listing = bucket.list(folder)
    assert [e["name"] for e in listing] == ["part.stl"]
    meta = listing[0]["metadata"]
    assert meta["size"] == len(data) and meta["mimetype"] == "model/stl"
    assert meta["eTag"] == f'"{hashlib.md5(data).hexdigest()}"'  # Storage: the MD5
    assert meta["cacheControl"] == "max-age=60"
    top = bucket.list(uid)
    assert {"name": folder.split("/")[1], "id": None} .items() <= top[0].items()
    assert bucket.download(name) == data
    info = bucket.info(name)
    assert info["size"] == len(data) and info["content_type"] == "model/stl"
    assert bucket.exists(name)
    removed = bucket.remove([name, f"{uid}/not-there.txt"])
    assert [r["name"] for r in removed] == [name]
    assert bucket.list(folder) == []
    assert not blobs.object_dir(localstack.data_dir, BUCKET, name).exists()
    assert not bucket.exists(name)


def test_a_download_under_way_ends_whole_when_its_object_is_deleted(
        localstack: LocalStackInstance) -> None:
    # An object store finishes a download that began before the delete; so must we.
    sb, uid, token = signed_in_client(localstack)
    # 48 MiB (the stack takes 50): more than loopback's socket buffers can hold (at most
    # 32 + 4 MiB here), so the server is still sending when the delete comes
    data = bytes(range(256)) * (192 * 1024)
    name = f"{uid}/{uuid.uuid4()}/part.stl"
    sb.storage.from_(BUCKET).upload(name, data, {"content-type": "model/stl"})
    stored = blobs.object_dir(localstack.data_dir, BUCKET, name)
    with localstack.http() as http, http.stream(
            "GET", obj_url(localstack, name), headers=auth(token, localstack)) as resp:
        assert resp.status_code == 200
        chunks = resp.iter_bytes()
        first = next(chunks)
        assert sb.storage.from_(BUCKET).remove([name])[0]["name"] == name
        assert not sb.storage.from_(BUCKET).exists(name)
        assert list(stored.iterdir())  # kept while it is being sent
        body = first + b"".join(chunks)
    assert hashlib.sha256(body).digest() == hashlib.sha256(data).digest()
    deadline = time.monotonic() + 10
    while list(stored.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not list(stored.iterdir())  # gone once the download ended


def test_readers_defer_the_removal_of_a_file_being_sent(tmp_path: Any) -> None:
    readers = blobs.Readers()
    path = tmp_path / "version"
    path.write_bytes(b"x")
    assert readers.hold(path) and readers.hold(path)
    readers.remove(path)
    readers.release(path)
    assert path.exists()  # one reader is still sending it
    readers.release(path)
    assert not path.exists() and readers.reading() == 0
    assert not readers.hold(path)  # gone: nothing to hold
    other = tmp_path / "other"
    other.write_bytes(b"y")
    readers.remove(other)  # nobody reads it: removed at once
    assert not other.exists()


def test_missing_object_is_storage_api_error_404(localstack: LocalStackInstance) -> None:
    sb, uid, _ = signed_in_client(localstack)
    with pytest.raises(StorageApiError) as err:
        sb.storage.from_(BUCKET).download(f"{uid}/nothing/here.stl")
    assert err.value.status == "404" and err.value.code == "not_found"


def test_rls_keeps_users_in_their_folder(localstack: LocalStackInstance) -> None:
    alice, alice_id, alice_token = signed_in_client(localstack)
    bob, bob_id, _ = signed_in_client(localstack)
    name = f"{alice_id}/job/secret.stl"
    alice.storage.from_(BUCKET).upload(name, b"alice's", {"content-type": "model/stl"})
    with pytest.raises(StorageApiError) as err:
        bob.storage.from_(BUCKET).upload(f"{alice_id}/job/evil.stl", b"x")
    assert err.value.status == "403"
    assert err.value.message == "new row violates row-level security policy"
    with pytest.raises(StorageApiError) as err:
        bob.storage.from_(BUCKET).download(name)
    assert err.value.status == "404"
    assert bob.storage.from_(BUCKET).list(f"{alice_id}/job") == []
    assert bob.storage.from_(BUCKET).remove([name]) == []
    with pytest.raises(StorageApiError):
        bob.storage.from_(BUCKET).create_signed_url(name, 60)
    with localstack.http() as http:
        bob_token = bob.auth.get_session().access_token
        r = http.delete(obj_url(localstack, name), headers=auth(bob_token, localstack))
        assert r.status_code == 400 and r.json()["statusCode"] == "403"
        anon = http.post(obj_url(localstack, f"{alice_id}/job/anon.txt"), content=b"x",
                         headers={"Authorization": f"Bearer {localstack.anon_key}"})
        assert anon.status_code == 400 and anon.json()["statusCode"] == "403"
    assert alice.storage.from_(BUCKET).download(name) == b"alice's"
    assert bob_id != alice_id and alice_token


def test_duplicate_upsert_and_update(localstack: LocalStackInstance) -> None:
    sb, uid, _ = signed_in_client(localstack)
    bucket = sb.storage.from_(BUCKET)
    name = f"{uid}/job/file.txt"
    bucket.upload(name, b"one", {"content-type": "text/plain"})
    with pytest.raises(StorageApiError) as err:
        bucket.upload(name, b"two", {"content-type": "text/plain"})
    assert err.value.status == "409" and err.value.code == "Duplicate"
    bucket.upload(name, b"three", {"content-type": "text/plain", "upsert": "true"})
    assert bucket.download(name) == b"three"
    versions = list(blobs.object_dir(localstack.data_dir, BUCKET, name).iterdir())
    assert len(versions) == 1  # the replaced bytes are gone from disk
    bucket.update(name, b"four", {"content-type": "text/plain"})
    assert bucket.download(name) == b"four"
    bucket.update(f"{uid}/job/new.txt", b"created by PUT", {"content-type": "text/plain"})
    assert bucket.download(f"{uid}/job/new.txt") == b"created by PUT"


def test_raw_body_upload_and_headers(localstack: LocalStackInstance) -> None:
    _, uid, token = signed_in_client(localstack)
    name = f"{uid}/raw/drawing.pdf"
    with localstack.http() as http:
        r = http.post(obj_url(localstack, name), content=b"%PDF-1.7 raw",
                      headers={**auth(token, localstack), "Content-Type": "application/pdf",
                               "Cache-Control": "max-age=5"})
        assert r.status_code == 200 and r.json()["Key"] == f"{BUCKET}/{name}"
        got = http.get(f"{localstack.url}/storage/v1/object/authenticated/{BUCKET}/{name}",
                       headers=auth(token, localstack))
        assert got.content == b"%PDF-1.7 raw"
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["cache-control"] == "max-age=5" and got.headers["etag"]
        # No token on the anonymous-capable read route: a private bucket is not found.
        no_auth = http.get(obj_url(localstack, name))
        assert no_auth.status_code == 400
        assert no_auth.json()["statusCode"] == "404" and no_auth.json()["code"] == "NoSuchBucket"
        no_auth_upload = http.post(obj_url(localstack, f"{uid}/raw/other.pdf"), content=b"x")
        assert no_auth_upload.json()["statusCode"] == "400"
        assert no_auth_upload.json()["code"] == "InvalidRequest"


def test_signed_urls(localstack: LocalStackInstance) -> None:
    sb, uid, _ = signed_in_client(localstack)
    bucket = sb.storage.from_(BUCKET)
    names = [f"{uid}/signed/a.bin", f"{uid}/signed/b c.bin"]
    for n in names:
        bucket.upload(n, n.encode(), {"content-type": "application/octet-stream"})
    signed = bucket.create_signed_url(names[1], 60)["signedURL"]
    with httpx.Client(verify=localstack.ssl_context()) as plain:
        assert plain.get(signed).content == names[1].encode()
        batch = bucket.create_signed_urls([*names, f"{uid}/signed/missing"], 60)
        assert [b["error"] is None for b in batch] == [True, True, False]
        assert plain.get(batch[0]["signedURL"]).content == names[0].encode()
        tampered = signed.replace("b%20c.bin", "a.bin")
        assert plain.get(tampered).status_code == 400
        short = bucket.create_signed_url(names[0], 1)["signedURL"]
        time.sleep(2.1)
        expired = plain.get(short)
        assert expired.status_code == 400 and expired.json()["error"] == "InvalidJWT"
        # A signed-URL token is not an API credential.
        token = signed.split("token=")[1].split("&")[0]
        r = plain.get(f"{localstack.url}/rest/v1/materials",
                      headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401


@pytest.mark.parametrize("trick", [
    "{uid}/../{other}/x.stl", "{other}/x.stl", "{uid}%2F..%2F{other}%2Fx.stl",
    "{uid}/a%5Cb.stl", "{uid}/nul%00.stl", "{uid}/" + "n" * 1030, "{uid}/%C3%BCn.stl",
    "{uid}/./x.stl", "{uid}//x.stl", "{uid}/ctrl%07.stl", "{uid}/..%2F..%2F{other}/x.stl",
    "{uid}/%2E%2E/{other}/x.stl",
])
def test_path_tricks_never_reach_another_folder(localstack: LocalStackInstance,
                                                trick: str) -> None:
    _, uid, token = signed_in_client(localstack)
    _, other, _ = signed_in_client(localstack)
    path = f"/storage/v1/object/{BUCKET}/" + trick.format(uid=uid, other=other)
    status, body = raw_request(localstack, "POST", path, {
        **auth(token, localstack), "Content-Type": "text/plain"}, b"x")
    assert status == 400
    assert json.loads(body)["statusCode"] in ("400", "403")
    svc = localstack.service_client()
    assert svc.storage.from_(BUCKET).list(other) == []
    assert svc.storage.from_(BUCKET).list(uid) == []


def test_expired_token_and_service_role(localstack: LocalStackInstance) -> None:
    _, uid, _ = signed_in_client(localstack)
    expired = mint(localstack, sub=uid, exp=int(time.time()) - 120, iat=int(time.time()) - 300)
    with localstack.http() as http:
        r = http.get(f"{localstack.url}/storage/v1/object/authenticated/{BUCKET}/{uid}/x",
                     headers=auth(expired, localstack))
        anonymous = http.get(obj_url(localstack, f"{uid}/x"), headers=auth(expired, localstack))
    assert r.status_code == 400
    assert r.json() == {"statusCode": "403", "error": "Unauthorized",
                        "message": '"exp" claim timestamp check failed', "code": "AccessDenied"}
    # The plain read route takes an expired token for no token at all, as hosted does.
    assert anonymous.json() == {"statusCode": "404", "error": "Bucket not found",
                                "message": "Bucket not found", "code": "NoSuchBucket"}
    svc = localstack.service_client().storage.from_(BUCKET)
    name = f"{uid}/by-service/file.txt"
    svc.upload(name, b"service", {"content-type": "text/plain"})
    assert svc.download(name) == b"service"
    buckets: Any = localstack.service_client().storage.list_buckets()
    assert BUCKET in [b.id for b in buckets]


def test_private_bucket_is_not_served_publicly(localstack: LocalStackInstance) -> None:
    sb, uid, _ = signed_in_client(localstack)
    name = f"{uid}/public-try/file.txt"
    sb.storage.from_(BUCKET).upload(name, b"private", {"content-type": "text/plain"})
    with httpx.Client(verify=localstack.ssl_context()) as plain:
        r = plain.get(f"{localstack.url}/storage/v1/object/public/{BUCKET}/{name}")
    assert r.status_code == 400
    assert r.json()["statusCode"] == "404" and r.json()["message"] == "Bucket not found"


def test_signed_upload_urls(localstack: LocalStackInstance) -> None:
    sb, uid, _ = signed_in_client(localstack)
    _, other, _ = signed_in_client(localstack)
    bucket = sb.storage.from_(BUCKET)
    name = f"{uid}/signed-upload/part.stl"
    signed = bucket.create_signed_upload_url(name)
    anon = localstack.anon_client().storage.from_(BUCKET)  # no user session needed
    res = anon.upload_to_signed_url(name, signed["token"], b"via token",
                                    {"content-type": "model/stl"})
    assert res.full_path == f"{BUCKET}/{name}"
    assert bucket.download(name) == b"via token"
    assert bucket.info(name)["content_type"] == "model/stl"
    with pytest.raises(StorageApiError):  # the token names one path only
        anon.upload_to_signed_url(f"{uid}/signed-upload/other.stl", signed["token"], b"x")
    with pytest.raises(StorageApiError) as err:  # permission is checked at creation
        bucket.create_signed_upload_url(f"{other}/x.stl")
    assert err.value.status == "403"
    with httpx.Client(verify=localstack.ssl_context()) as plain:  # not a download token
        r = plain.get(f"{localstack.url}/storage/v1/object/sign/{BUCKET}/{name}",
                      params={"token": signed["token"]})
    assert r.status_code == 400


def test_move_and_copy_follow_rls(localstack: LocalStackInstance) -> None:
    sb, uid, _ = signed_in_client(localstack)
    other_sb, other, _ = signed_in_client(localstack)
    bucket = sb.storage.from_(BUCKET)
    data = b"move me" * 100
    bucket.upload(f"{uid}/a/part.stl", data, {"content-type": "model/stl"})
    assert bucket.move(f"{uid}/a/part.stl", f"{uid}/b/part.stl")["message"]
    assert bucket.download(f"{uid}/b/part.stl") == data
    assert not bucket.exists(f"{uid}/a/part.stl")
    assert not blobs.object_dir(localstack.data_dir, BUCKET, f"{uid}/a/part.stl").exists()
    with pytest.raises(StorageApiError) as err:  # the UPDATE's WITH CHECK refuses
        bucket.move(f"{uid}/b/part.stl", f"{other}/stolen.stl")
    assert err.value.status == "403"
    assert bucket.download(f"{uid}/b/part.stl") == data  # bytes stayed where they were
    copied = bucket.copy(f"{uid}/b/part.stl", f"{uid}/c/copy.stl")
    assert copied["Key"] == f"{BUCKET}/{uid}/c/copy.stl"
    assert bucket.download(f"{uid}/c/copy.stl") == data
    assert bucket.info(f"{uid}/c/copy.stl")["etag"] == f'"{hashlib.md5(data).hexdigest()}"'
    with pytest.raises(StorageApiError) as err:
        bucket.copy(f"{uid}/b/part.stl", f"{other}/copied.stl")
    assert err.value.status == "403"
    for call in (other_sb.storage.from_(BUCKET).copy, other_sb.storage.from_(BUCKET).move):
        with pytest.raises(StorageApiError) as err:  # someone else's object is invisible
            call(f"{uid}/b/part.stl", f"{other}/mine-now.stl")
        assert err.value.status == "404"
    assert other_sb.storage.from_(BUCKET).list(other) == []

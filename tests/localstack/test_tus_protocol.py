"""TUS 1.0.0 resumable uploads against the running stack (real HTTPS, real files)."""

from __future__ import annotations

import base64
import hashlib
import os
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.localstack.helpers import mint, signed_in_client
from tests.support.localstack import LocalStackInstance

CHUNK = 6 * 1024 * 1024
OCTETS = "application/offset+octet-stream"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class Tus:
    def __init__(self, stack: LocalStackInstance, token: str) -> None:
        self.stack, self.token = stack, token
        self.http = stack.http()

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "apikey": self.stack.anon_key,
                "Tus-Resumable": "1.0.0", **extra}

    def create(self, name: str, length: int, upsert: bool = False, **extra: str
               ) -> httpx.Response:
        meta = ",".join([f"bucketName {b64('designs')}", f"objectName {b64(name)}",
                         f"contentType {b64('model/stl')}", f"cacheControl {b64('3600')}"])
        headers = self.headers(**{"Upload-Length": str(length), "Upload-Metadata": meta},
                               **extra)
        if upsert:
            headers["x-upsert"] = "true"
        return self.http.post(f"{self.stack.url}/storage/v1/upload/resumable", headers=headers)

    def patch(self, location: str, offset: int, data: bytes, **extra: str) -> httpx.Response:
        return self.http.patch(location, content=data, headers=self.headers(**{
            "Upload-Offset": str(offset), "Content-Type": OCTETS, **extra}))

    def head(self, location: str) -> httpx.Response:
        return self.http.head(location, headers=self.headers())

    def upload_all(self, location: str, data: bytes, start: int = 0) -> None:
        offset = start
        while offset < len(data):
            r = self.patch(location, offset, data[offset:offset + CHUNK])
            assert r.status_code == 204, r.text
            offset = int(r.headers["upload-offset"])


@pytest.fixture
def user(localstack: LocalStackInstance) -> tuple[Any, str, Tus]:
    sb, uid, token = signed_in_client(localstack)
    return sb, uid, Tus(localstack, token)


def test_options_advertises_the_protocol(localstack: LocalStackInstance) -> None:
    with localstack.http() as http:
        r = http.options(f"{localstack.url}/storage/v1/upload/resumable")
    assert r.status_code == 204
    assert r.headers["tus-version"] == "1.0.0" and "creation" in r.headers["tus-extension"]


def _one_part_etag(data: bytes) -> str:
    """S3's etag of a multipart upload in one part (any TUS upload under 50 MiB)."""
    return f'"{hashlib.md5(hashlib.md5(data).digest()).hexdigest()}-1"'


def test_full_upload_records_its_multipart_etag(user: tuple[Any, str, Tus]) -> None:
    sb, uid, tus = user
    data = os.urandom(CHUNK + 12345)
    name = f"{uid}/{uuid.uuid4()}/big.stl"
    created = tus.create(name, len(data))
    assert created.status_code == 201
    location = created.headers["location"]
    assert "/storage/v1/upload/resumable/" in location and created.headers["upload-expires"]
    head = tus.head(location)
    assert head.status_code == 200 and head.headers["upload-offset"] == "0"
    assert head.headers["upload-length"] == str(len(data))
    assert head.headers["cache-control"] == "no-store"
    first = tus.patch(location, 0, data[:CHUNK])
    assert first.status_code == 204 and first.headers["upload-offset"] == str(CHUNK)
    assert first.headers["upload-expires"]
    assert tus.head(location).headers["upload-offset"] == str(CHUNK)
    conflict = tus.patch(location, 0, data[CHUNK:])
    assert conflict.status_code == 409 and conflict.text == "Upload-Offset conflict"
    last = tus.patch(location, CHUNK, data[CHUNK:])
    assert last.status_code == 204 and last.headers["upload-offset"] == str(len(data))
    assert tus.head(location).headers["upload-offset"] == str(len(data))  # still answers
    bucket = sb.storage.from_("designs")
    info = bucket.info(name)
    assert info["etag"] == _one_part_etag(data) and info["size"] == len(data)
    assert info["content_type"] == "model/stl" and info["cache_control"] == "max-age=3600"
    assert bucket.download(name) == data


def test_creation_with_upload_and_termination(user: tuple[Any, str, Tus]) -> None:
    _, uid, tus = user
    name = f"{uid}/job/small.stl"
    meta = ",".join([f"bucketName {b64('designs')}", f"objectName {b64(name)}"])
    r = tus.http.post(f"{tus.stack.url}/storage/v1/upload/resumable", content=b"abc",
                      headers=tus.headers(**{"Upload-Length": "10", "Upload-Metadata": meta,
                                             "Content-Type": OCTETS}))
    assert r.status_code == 201 and r.headers["upload-offset"] == "3"
    location = r.headers["location"]
    assert tus.http.delete(location, headers=tus.headers()).status_code == 204
    assert tus.head(location).status_code == 404
    assert tus.patch(location, 3, b"defghij").status_code == 404


def test_protocol_errors(user: tuple[Any, str, Tus]) -> None:
    _, uid, tus = user
    location = tus.create(f"{uid}/job/e.stl", 3 * CHUNK).headers["location"]
    no_version = tus.http.patch(location, content=b"x", headers={
        "Authorization": f"Bearer {tus.token}", "Upload-Offset": "0", "Content-Type": OCTETS})
    assert no_version.status_code == 412
    wrong_type = tus.patch(location, 0, b"x", **{"Content-Type": "application/octet-stream"})
    assert wrong_type.status_code == 400 and wrong_type.text == "Invalid content-type"
    too_big = tus.patch(location, 0, b"\0" * (CHUNK + 1))
    assert too_big.status_code == 413
    assert tus.head(location).headers["upload-offset"] == "0"
    unknown = location.rsplit("/", 1)[0] + "/" + base64.urlsafe_b64encode(
        f"designs/{uid}/job/e.stl/{uuid.uuid4().hex}".encode()).decode()
    assert tus.head(unknown).status_code == 404
    assert tus.patch(unknown, 0, b"x").status_code == 404
    assert tus.head(location.rsplit("/", 1)[0] + "/garbage!").status_code == 400
    missing_length = tus.http.post(f"{tus.stack.url}/storage/v1/upload/resumable",
                                   headers=tus.headers())
    assert missing_length.status_code == 400


def test_rls_and_duplicates(localstack: LocalStackInstance, user: tuple[Any, str, Tus]) -> None:
    sb, uid, tus = user
    _, other, other_token = signed_in_client(localstack)
    refused = tus.create(f"{other}/job/x.stl", 10)
    assert refused.status_code == 403
    assert refused.text == "new row violates row-level security policy"
    name = f"{uid}/job/dup.stl"
    sb.storage.from_("designs").upload(name, b"first", {"content-type": "model/stl"})
    dup = tus.create(name, 5)
    assert dup.status_code == 409 and dup.text == "The resource already exists"
    replaced = tus.create(name, 6, upsert=True)
    assert replaced.status_code == 201
    # Each request is authorised afresh: another user's token cannot continue this upload,
    # and over an existing object every request needs x-upsert, not only the creation.
    location = replaced.headers["location"]
    intruder = Tus(localstack, other_token)
    assert intruder.patch(location, 0, b"second", **{"x-upsert": "true"}).status_code == 403
    without = tus.patch(location, 0, b"second")
    assert without.status_code == 409 and without.text == "The resource already exists"
    assert tus.patch(location, 0, b"second", **{"x-upsert": "true"}).status_code == 204
    assert sb.storage.from_("designs").download(name) == b"second"


def test_bad_tokens_are_refused_per_request(localstack: LocalStackInstance,
                                            user: tuple[Any, str, Tus]) -> None:
    _, uid, tus = user
    location = tus.create(f"{uid}/job/t.stl", 10).headers["location"]
    expired = Tus(localstack, mint(localstack, sub=uid, exp=int(time.time()) - 100,
                                   iat=int(time.time()) - 200))
    r = expired.patch(location, 0, b"0123456789")
    assert r.status_code == 400 and r.json()["statusCode"] == "403"
    assert expired.head(location).status_code == 400
    forged = Tus(localstack, tus.token[:-4] + ("AAAA" if not tus.token.endswith("AAAA")
                                               else "BBBB"))
    assert forged.patch(location, 0, b"0123456789").status_code == 400
    assert tus.head(location).headers["upload-offset"] == "0"


def test_expired_upload_is_gone(localstack_factory: Any) -> None:
    stack = localstack_factory(tus_expiry=1)
    _, uid, token = signed_in_client(stack)
    tus = Tus(stack, token)
    created = tus.create(f"{uid}/job/late.stl", 10)
    assert created.status_code == 201
    time.sleep(1.5)
    assert tus.head(created.headers["location"]).status_code == 410
    assert tus.patch(created.headers["location"], 0, b"0123456789").status_code == 410


def test_restart_mid_upload_resumes(localstack_factory: Any) -> None:
    data_dir = localstack_factory.new_data_dir()
    stack = localstack_factory(data_dir=data_dir)
    _, uid, token = signed_in_client(stack)
    data = os.urandom(2 * CHUNK + 777)
    name = f"{uid}/job/resumed.stl"
    tus = Tus(stack, token)
    location = tus.create(name, len(data)).headers["location"]
    assert tus.patch(location, 0, data[:CHUNK]).status_code == 204
    upload_path = location.split("/storage/v1/", 1)[1]
    assert stack.stop() == 0

    again = localstack_factory(data_dir=data_dir)
    tus2 = Tus(again, token)  # the access token stays valid: same install secret
    location2 = f"{again.url}/storage/v1/{upload_path}"
    assert tus2.head(location2).headers["upload-offset"] == str(CHUNK)
    tus2.upload_all(location2, data, start=CHUNK)
    with again.http() as http:
        info = http.get(f"{again.url}/storage/v1/object/info/designs/{name}",
                        headers={"Authorization": f"Bearer {token}"}).json()
    assert info["etag"] == _one_part_etag(data)  # rehashed after the restart


def test_a_stalled_patch_yields_to_a_resuming_client(user: tuple[Any, str, Tus]) -> None:
    """The client died mid-chunk but its connection lingers: a HEAD must not wait for it,
    and must report every byte the server kept."""
    import threading

    _, uid, tus = user
    data = os.urandom(2 * CHUNK)
    location = tus.create(f"{uid}/job/stalled.stl", len(data)).headers["location"]
    sent, stall = threading.Event(), threading.Event()

    def body() -> Any:
        yield data[:1024 * 1024]
        yield data[1024 * 1024:2 * 1024 * 1024]
        sent.set()
        stall.wait(30)  # never sends the rest of the chunk
        yield b""

    results: list[httpx.Response | Exception] = []

    def stalled_patch() -> None:
        try:
            with tus.stack.http() as http:
                results.append(http.patch(location, content=body(), headers=tus.headers(**{
                    "Upload-Offset": "0", "Content-Type": OCTETS,
                    "Content-Length": str(CHUNK)})))
        except Exception as exc:  # the client gives up on its own short body
            results.append(exc)

    worker = threading.Thread(target=stalled_patch)
    worker.start()
    assert sent.wait(30)
    time.sleep(0.5)
    started = time.monotonic()
    head = tus.head(location)
    assert head.status_code == 200 and time.monotonic() - started < 5
    offset = int(head.headers["upload-offset"])
    assert offset == 2 * 1024 * 1024
    stall.set()
    worker.join(30)
    tus.upload_all(location, data, start=offset)
    assert tus.head(location).headers["upload-offset"] == str(len(data))


def test_location_uses_the_host_the_client_used(user: tuple[Any, str, Tus]) -> None:
    _, uid, tus = user
    port = tus.stack.url.rsplit(":", 1)[1]
    with httpx.Client(verify=tus.stack.ssl_context()) as http:
        meta = f"bucketName {b64('designs')},objectName {b64(uid + '/job/host.stl')}"
        r = http.post(f"https://localhost:{port}/storage/v1/upload/resumable",
                      headers=tus.headers(**{"Upload-Length": "1", "Upload-Metadata": meta}))
    assert r.status_code == 201
    assert r.headers["location"].startswith(f"https://localhost:{port}/storage/v1/upload/")

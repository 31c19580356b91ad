"""Narrow unit tests: TUS error mapping, headers per request, backoff, progress.

``httpx.MockTransport`` is used only to pin down how answers map to errors; the
behaviour against a real server is covered by the local-stack tests.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import httpx
import pytest

from wyntek_desktop.core.errors import AuthError, FileError, ServerError, ValidationError
from wyntek_desktop.upload.progress import ProgressMeter
from wyntek_desktop.upload.retry import RetryPolicy
from wyntek_desktop.upload.transfer import Control
from wyntek_desktop.upload.tus import (
    AuthRefused,
    Interrupted,
    OffsetConflict,
    TusClient,
    UploadGone,
)

STORAGE = "https://example.test/storage/v1"


def _client(handler, tokens=None) -> TusClient:  # type: ignore[no-untyped-def]
    counter = iter(tokens or (f"t{i}" for i in range(1000)))
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return TusClient(http, STORAGE, "anon", lambda: next(counter))


def test_create_sends_metadata_and_resolves_the_location() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, headers={
            "Location": "http://internal:5000/upload/resumable/abc",
            "Upload-Expires": "Wed, 25 Nov 2026 10:00:00 GMT"})

    url, expires = _client(handler).create("u/j/a b.stl", 10, "model/stl")
    assert url == f"{STORAGE}/upload/resumable/abc"  # re-based on our endpoint
    assert expires == 1795600800.0
    req = seen[0]
    assert req.url == f"{STORAGE}/upload/resumable"
    assert req.headers["Tus-Resumable"] == "1.0.0" and req.headers["Upload-Length"] == "10"
    assert req.headers["x-upsert"] == "true" and req.headers["apikey"] == "anon"
    assert req.headers["Authorization"] == "Bearer t0"
    import base64

    meta = dict(item.split(" ") for item in req.headers["Upload-Metadata"].split(","))
    decoded = {k: base64.b64decode(v).decode() for k, v in meta.items()}
    assert decoded == {"bucketName": "designs", "objectName": "u/j/a b.stl",
                       "contentType": "model/stl", "cacheControl": "3600"}


def test_every_request_asks_for_a_fresh_token(tmp_path: Path) -> None:
    tokens: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        tokens.append(request.headers["Authorization"])
        return httpx.Response(200, headers={"Upload-Offset": "0", "Upload-Length": "5"})

    tus = _client(handler)
    tus.head("x/upload/resumable/a")
    tus.head("x/upload/resumable/a")
    assert tokens == ["Bearer t0", "Bearer t1"]


@pytest.mark.parametrize(("status", "body", "error"), [
    (404, b"Not found", UploadGone), (410, b"Gone", UploadGone),
    (409, b"Upload-Offset conflict", OffsetConflict), (503, b"", ServerError),
    (413, b"too big", FileError), (415, b"bad type", ValidationError),
    (400, json.dumps({"statusCode": "404", "message": "Object not found"}).encode(),
     UploadGone),
])
def test_statuses_map_to_errors(tmp_path: Path, status: int, body: bytes,
                                error: type[Exception]) -> None:
    src = tmp_path / "a.bin"
    src.write_bytes(b"x" * 10)
    tus = _client(lambda r: httpx.Response(status, content=body))
    with pytest.raises(error):
        tus.patch("h/upload/resumable/a", src, 0, 10, lambda n: None, lambda: None)


def test_refused_tokens_are_retried_then_reported() -> None:
    answers = [httpx.Response(400, json={"statusCode": "403", "message": "jwt expired"}),
               httpx.Response(200, headers={"Upload-Offset": "3"})]
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["Authorization"])
        return answers.pop(0)

    assert _client(handler).head("h/upload/resumable/a") == (3, None)
    assert sent == ["Bearer t0", "Bearer t1"]
    with pytest.raises(AuthRefused):  # HEAD's bare 400 is Storage's expired-token answer
        _client(lambda r: httpx.Response(400)).head("h/upload/resumable/a")


def test_patch_streams_the_slice_in_pieces(tmp_path: Path) -> None:
    src = tmp_path / "a.bin"
    data = random.Random(1).randbytes(3 * 1024 * 1024 + 5)
    src.write_bytes(data)
    got: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Content-Length"] == str(2 * 1024 * 1024 + 1)
        assert "Transfer-Encoding" not in request.headers
        assert request.headers["Upload-Offset"] == "1000"
        got.append(request.read())
        return httpx.Response(204, headers={"Upload-Offset": str(1000 + 2 * 1024 * 1024 + 1)})

    sent: list[int] = []
    offset, _ = _client(handler).patch("h/upload/resumable/a", src, 1000, 2 * 1024 * 1024 + 1,
                                       sent.append, lambda: None)
    assert offset == 1000 + 2 * 1024 * 1024 + 1
    assert got[0] == data[1000:1000 + 2 * 1024 * 1024 + 1]
    assert len(sent) == 3 and max(sent) <= 1024 * 1024  # never more than a piece at once


def test_a_pause_interrupts_the_body(tmp_path: Path) -> None:
    src = tmp_path / "a.bin"
    src.write_bytes(b"x" * (3 * 1024 * 1024))
    control = Control()

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        return httpx.Response(204, headers={"Upload-Offset": "0"})

    def sent(n: int) -> None:
        control.request("pause")

    with pytest.raises(Interrupted) as err:
        _client(handler).patch("h/upload/resumable/a", src, 0, 3 * 1024 * 1024, sent,
                               control.check)
    assert err.value.reason == "pause"
    control.request("cancel")
    assert control.reason == "cancel"  # cancel outranks pause
    control.request("pause")
    assert control.reason == "cancel"


def test_retry_policy_backs_off_with_jitter() -> None:
    policy = RetryPolicy(base=1, factor=2, max_delay=10, max_attempts=5,
                         rng=random.Random(3))
    delays = [policy.delay(n) for n in range(1, 7)]
    for n, d in enumerate(delays, start=1):
        cap = min(10, 2 ** (n - 1))
        assert cap / 2 <= d <= cap
    assert not policy.exhausted(4) and policy.exhausted(5)


def test_progress_meter_speed_and_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr("wyntek_desktop.upload.progress.time.monotonic", lambda: now[0])
    meter = ProgressMeter({0: 1000, 1: 1000}, {1: 1000})
    assert meter.eta is None and meter.sent == 1000
    for _ in range(4):
        now[0] += 0.5
        meter.add(0, 100)
    assert meter.speed == pytest.approx(200, rel=0.01)
    assert meter.eta == pytest.approx(600 / 200, rel=0.01)
    meter.set(0, 50)  # the server kept less than we sent
    assert meter.sent == 1050


def test_auth_errors_surface_as_auth_error() -> None:
    tus = _client(lambda r: httpx.Response(400, json={"statusCode": "403",
                                                      "message": "new row violates rls"}))
    with pytest.raises(AuthError, match="new row violates rls"):
        tus.object_info("u/j/a.stl")


def test_a_pause_while_checking_a_file_is_not_a_failure(tmp_path: Path) -> None:
    from wyntek_desktop.core.outbox import Outbox
    from wyntek_desktop.upload.jobparts import verify_sources

    src = tmp_path / "big.stl"
    src.write_bytes(b"x" * (4 * 1024 * 1024))
    with Outbox.open(tmp_path / "outbox.sqlite3") as box:
        job = box.add_job({}, [src], copy=False)
        control = Control()
        control.request("pause")
        with pytest.raises(Interrupted):
            verify_sources(job, control)
        assert box.get(job.client_job_id).state == "queued"

"""The five ways the client broke on hosted Supabase while every local test passed.

Each runs the real client against the local stack, which now answers these requests as
hosted Storage does (see the conformance table in tests/localstack). The etag cases also
pin the client's reading of etags the local stack does not give (a single-part MD5 for
a TUS upload, a multi-part one of another size) with a mock transport; the real
multipart etag is in test_multipart_etag.py.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx

from tests.support.uploads import MiB, UploadEnv
from wyntek_desktop.core.outbox import FileInput, Outbox
from wyntek_desktop.upload.progress import ProgressMeter
from wyntek_desktop.upload.retry import RetryPolicy
from wyntek_desktop.upload.runner import UploadRunner
from wyntek_desktop.upload.transfer import Control, IntegrityError, upload_file
from wyntek_desktop.upload.tus import CHUNK_SIZE, TusClient

STORAGE = "https://example.test/storage/v1"


# ---- 1. cancelling a job whose file had finished uploading --------------------------

def test_cancel_deletes_a_finished_file_though_tus_refuses_to_terminate_it(
        upload_env: UploadEnv) -> None:
    env = upload_env
    env.proxy.throttle(8 * MiB)
    small = env.write("small.stl", 40_000)
    big = env.write("big.stl", 3 * CHUNK_SIZE)
    job = env.add_job(small, big)
    runner = env.runner()
    runner.start()
    env.wait_for(lambda: env.outbox.get(job.client_job_id).files[0].verified
                 and env.outbox.get(job.client_job_id).files[1].offset > 0)
    finished = env.outbox.get(job.client_job_id).files[0]
    assert finished.tus_url and finished.storage_path
    # Hosted Storage refuses to terminate a finished upload (409 / 400): only a delete
    # through the Storage API removes its object.
    with httpx.Client() as http:
        refused = http.delete(finished.tus_url, headers={
            "Tus-Resumable": "1.0.0", "apikey": env.stack.anon_key,
            "Authorization": f"Bearer {env.api.access_token()}"})
    assert refused.status_code == 409
    runner.cancel(job.client_job_id)
    env.wait_for(lambda: all(f.storage_path is None
                             for f in env.outbox.get(job.client_job_id).files))
    assert env.outbox.get(job.client_job_id).state == "draft"
    assert env.object_sha(str(finished.storage_path)) is None
    deletes = [p for m, p, *_ in env.proxy.log if m == "DELETE"]
    assert any(p.endswith("/small.stl") for p in deletes)


def _stored_then_refused(env: UploadEnv) -> tuple[UploadRunner, str, str]:
    """A job whose file reached storage and was verified, then failed at submit."""
    src = env.write("part.stl", 30_000)
    job = env.add_job(src)
    failing = env.runner(submit_job=_refuse_submit)
    result = failing.run_pending(wait=True, timeout=60)
    assert result is not None and result.failed == [job.client_job_id]
    stored = env.outbox.get(job.client_job_id).files[0]
    assert stored.verified and env.object_sha(str(stored.storage_path)) is not None
    return failing, job.client_job_id, str(stored.storage_path)


def _object_deletes(env: UploadEnv) -> list[int]:
    return [status for m, p, status, _ in env.proxy.log
            if m == "DELETE" and "/object/designs/" in p]


def test_a_delete_the_service_did_not_confirm_is_retried_until_it_succeeds(
        upload_env: UploadEnv) -> None:
    env = upload_env
    runner, cid, storage_path = _stored_then_refused(env)
    env.proxy.fail("DELETE", 503, count=3, path_part="/storage/v1/object/designs/")
    runner.start()
    runner.cancel(cid)  # once: the runner keeps at it while the service refuses
    env.wait_for(lambda: env.object_sha(storage_path) is None)
    # the proxy logs a request once its answer is sent: the object may go first
    env.wait_for(lambda: _object_deletes(env)[-1:] == [200])
    assert _object_deletes(env) == [503, 503, 503, 200]
    env.wait_for(lambda: env.outbox.owed_deletes() == [])
    draft = env.outbox.get(cid)
    assert draft.state == "draft" and draft.files[0].storage_path is None


def test_an_owed_delete_survives_a_restart(upload_env: UploadEnv, tmp_path: Path) -> None:
    env = upload_env
    runner, cid, storage_path = _stored_then_refused(env)
    env.proxy.fail("DELETE", 503, count=1, path_part="/storage/v1/object/designs/")
    runner.cancel(cid)  # not started: the cancel's own try fails, nothing retries yet
    env.wait_for(lambda: bool(env.outbox.owed_deletes()))
    env.wait_for(lambda: not [t for t in _threads() if t == "wyntek-upload-cancel"])
    owed = env.outbox.owed_deletes()
    assert [(o.storage_path, o.client_job_id, o.attempts) for o in owed] == [
        (storage_path, cid, 1)]
    assert "503" in str(owed[0].last_error)
    assert env.object_sha(storage_path) is not None
    env.outbox.retry(cid)  # sent again: not before its old copy is gone
    # The app quits and starts again: a new outbox on the same file, a new runner.
    env.outbox.close()
    env.outbox = Outbox.open(env.folder / "outbox" / "outbox.sqlite3")
    assert [o.storage_path for o in env.outbox.owed_deletes()] == [storage_path]
    assert env.outbox.next_runnable() is None  # held back while the delete is owed
    mark = len(env.proxy.log)
    result = env.runner().run_pending(wait=True, timeout=60)
    assert result is not None and result.submitted == [cid]
    assert env.outbox.owed_deletes() == []
    after = [(m, status) for m, p, status, _ in env.proxy.log[mark:]
             if p.endswith(storage_path) or "/upload/resumable" in p]
    # the old copy was deleted first, then the job was uploaded anew and submitted
    assert after[0] == ("DELETE", 200) and ("POST", 201) in after[1:]


def _refuse_submit(*args: Any) -> Any:
    from wyntek_desktop.core.errors import ValidationError
    raise ValidationError("refused for the test")


def _threads() -> list[str]:
    import threading
    return [t.name for t in threading.enumerate() if t.is_alive()]


# ---- 2. x-upsert on every request of an upload that overwrites --------------------------

def test_an_upload_over_an_existing_object_completes(upload_env: UploadEnv) -> None:
    env = upload_env
    src = env.write("part.stl", CHUNK_SIZE + 500)
    job = env.add_job(src)
    storage_path = f"{env.user_id}/{job.client_job_id}/part.stl"
    with env.service_http() as http:  # an earlier, unconfirmed copy is already stored
        put = http.post(f"{env.stack.url}/storage/v1/object/designs/{storage_path}",
                        content=b"stale bytes", headers={"Content-Type": "model/stl"})
    assert put.status_code == 200
    result = env.runner().run_pending(wait=True, timeout=120)
    assert result is not None and result.submitted == [job.client_job_id], \
        env.outbox.get(job.client_job_id).failure
    env.assert_delivered(job, [src])
    tus_requests = [e for e in env.proxy.log if "/upload/resumable" in e[1]]
    assert tus_requests  # (each of them carried x-upsert: see the unit test below)


def test_every_tus_request_carries_x_upsert(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(201, headers={"Location": f"{STORAGE}/upload/resumable/u"})
        if request.method == "DELETE":
            return httpx.Response(204)
        return httpx.Response(204 if request.method == "PATCH" else 200,
                              headers={"Upload-Offset": "3", "Upload-Length": "3"})

    src = tmp_path / "a.bin"
    src.write_bytes(b"abc")
    tus = TusClient(httpx.Client(transport=httpx.MockTransport(handler)), STORAGE, "anon",
                    lambda: "token")
    url, _ = tus.create("u/j/a.bin", 3, "model/stl")
    tus.head(url)
    tus.patch(url, src, 0, 3, lambda n: None, lambda: None)
    tus.terminate(url)
    assert [r.method for r in seen] == ["POST", "HEAD", "PATCH", "DELETE"]
    assert all(r.headers.get("x-upsert") == "true" for r in seen)


# ---- 3. "404 Bucket not found" for a stale token ------------------------------------------

def _stale_then(answer: httpx.Response, tokens: list[str]) -> Any:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        tokens.append(request.headers["Authorization"])
        if calls["n"] == 1:
            return httpx.Response(400, json={"statusCode": "404", "error": "Bucket not found",
                                             "message": "Bucket not found",
                                             "code": "NoSuchBucket"})
        return answer
    return handler


def test_bucket_not_found_on_object_info_is_a_stale_token() -> None:
    tokens: list[str] = []
    counter = iter(f"t{i}" for i in range(10))
    handler = _stale_then(httpx.Response(200, json={"size": 3, "etag": '"x"'}), tokens)
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        tus = TusClient(http, STORAGE, "anon", lambda: next(counter))
        assert tus.object_info("u/j/a.bin") == {"size": 3, "etag": '"x"'}
    assert tokens == ["Bearer t0", "Bearer t1"]  # asked again with a fresh token


def test_bucket_not_found_on_delete_is_retried_with_a_fresh_token() -> None:
    tokens: list[str] = []
    counter = iter(f"t{i}" for i in range(10))
    handler = _stale_then(httpx.Response(200, json={"message": "Successfully deleted"}),
                          tokens)
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        TusClient(http, STORAGE, "anon", lambda: next(counter)).delete_object("u/j/a.bin")
    assert tokens == ["Bearer t0", "Bearer t1"]


def test_the_local_stack_answers_a_stale_token_as_hosted_does(upload_env: UploadEnv) -> None:
    env = upload_env
    src = env.write("part.stl", 2_000)
    job = env.add_job(src)
    env.runner().run_pending(wait=True, timeout=60)
    path = env.outbox.get(job.client_job_id).files[0].storage_path
    base = f"{env.stack.url}/storage/v1/object"
    with env.stack.http() as http:
        for route in ("", "info/"):
            answer = http.get(f"{base}/{route}designs/{path}", headers={
                "apikey": env.stack.anon_key, "Authorization": "Bearer not.a.token"})
            assert answer.status_code == 400
            assert answer.json()["statusCode"] == "404"
            assert answer.json()["error"] == "Bucket not found"


# ---- 4. integrity that does not pretend ----------------------------------------------------

def _confirm_with(tmp_path: Path, info: dict[str, Any]) -> tuple[Any, Any, list[str]]:
    """Run upload_file for a finished upload whose object info is `info`:
    (the IntegrityError or None, the file's state after, the requests sent)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    src = tmp_path / "part.stl"
    src.write_bytes(b"solid part\n" * 100)
    requests: list[str] = []
    with Outbox.open(tmp_path / "outbox.sqlite3") as outbox:
        job = outbox.add_job({"notes": "t"}, [FileInput(src, "model")], copy=False)
        f = job.files[0]

        def handler(request: httpx.Request) -> httpx.Response:
            requests.append(f"{request.method} {request.url.path}")
            if request.method == "POST":
                return httpx.Response(201,
                                      headers={"Location": f"{STORAGE}/upload/resumable/u"})
            if request.method == "PATCH":
                return httpx.Response(204, headers={"Upload-Offset": str(f.size)})
            if "/object/info/" in request.url.path:
                return httpx.Response(200, json=info)
            return httpx.Response(200, json={"message": "Successfully deleted"})

        outcome: Any = None
        with httpx.Client(transport=httpx.MockTransport(handler)) as http:
            tus = TusClient(http, STORAGE, "anon", lambda: "token")
            try:
                upload_file(tus, outbox, f, "u/j/part.stl", Control(),
                            ProgressMeter({f.index: f.size}),
                            RetryPolicy(base=0.01, max_delay=0.01, max_attempts=2))
            except IntegrityError as exc:
                outcome = exc
        after = outbox.get(job.client_job_id).files[0]
    return outcome, after, requests


def test_a_multipart_etag_confirms_the_size_without_any_sha256(tmp_path: Path) -> None:
    size = len(b"solid part\n" * 100)
    error, f, _ = _confirm_with(tmp_path, {"size": size, "etag": '"' + "a" * 32 + '-2"'})
    assert error is None and f.verified


def test_a_single_part_etag_must_be_the_md5_of_the_checked_file(tmp_path: Path) -> None:
    data = b"solid part\n" * 100
    error, f, _ = _confirm_with(
        tmp_path / "good", {"size": len(data), "etag": f'"{hashlib.md5(data).hexdigest()}"'})
    assert error is None and f.verified
    error, f, requests = _confirm_with(
        tmp_path / "bad", {"size": len(data), "etag": f'"{hashlib.md5(b"other").hexdigest()}"',
                           "sha256": hashlib.sha256(data).hexdigest()})
    assert isinstance(error, IntegrityError) and not f.verified
    assert "DELETE /storage/v1/object/designs/u/j/part.stl" in requests


def test_a_wrong_size_is_refused(tmp_path: Path) -> None:
    error, f, _ = _confirm_with(tmp_path, {"size": 5, "etag": '"' + "a" * 32 + '-2"'})
    assert isinstance(error, IntegrityError) and not f.verified


# ---- 5. a file over the service's size limit ------------------------------------------------

def test_a_file_over_the_limit_fails_with_a_sentence_naming_the_limit(
        upload_env: UploadEnv) -> None:
    env = upload_env
    src = env.write("huge.stl", 60 * MiB)  # over the local stack's default, a Free project's
    job = env.add_job(src, copy=False)
    result = env.runner().run_pending(wait=True, timeout=120)
    assert result is not None and result.failed == [job.client_job_id]
    failed = env.outbox.get(job.client_job_id)
    assert failed.failure is not None
    assert "huge.stl is 60 MiB" in failed.failure and "up to 50 MiB" in failed.failure
    assert env.proxy.body_bytes["PATCH"] == 0  # refused at creation: nothing was sent


def test_the_limit_is_a_serve_option(localstack_factory: Any) -> None:
    stack = localstack_factory(max_file_size_mib=1)
    with stack.http() as http:
        options = http.options(f"{stack.url}/storage/v1/upload/resumable",
                               headers={"Tus-Resumable": "1.0.0"})
    assert options.headers["Tus-Max-Size"] == str(MiB)

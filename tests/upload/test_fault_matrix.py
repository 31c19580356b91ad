"""The fault matrix: every case ends with byte-identical objects, one job and one debit
(or a clear error with the job still in the outbox)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.uploads import MiB, UploadEnv, build_env, close_env
from wyntek_desktop.core.errors import SignInRequired
from wyntek_desktop.upload import CHUNK_SIZE

SIZE = CHUNK_SIZE + 300_000  # two chunks: a reset can land in either or on the boundary
SEED = 5_2026


def _reset_offsets() -> list[int]:
    rng = random.Random(SEED)
    fixed = [1, 65_536, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, SIZE - 1]
    return fixed + sorted(rng.randrange(2, SIZE - 1) for _ in range(14))


@pytest.mark.parametrize("offset", _reset_offsets())
def test_connection_reset_at_seeded_offsets(upload_env: UploadEnv, offset: int) -> None:
    env = upload_env
    src = env.write("part.stl", SIZE)
    job = env.add_job(src)
    env.proxy.reset_after(offset, "PATCH")
    result = env.runner().run_pending(wait=True, timeout=120)
    assert result is not None and result.submitted == [job.client_job_id], result
    assert not env.proxy.pending()  # the reset really happened
    env.assert_delivered(job, [src])
    # resumed from the server's offset: at most the cut chunk is sent again
    assert env.proxy.body_bytes["PATCH"] <= SIZE + CHUNK_SIZE


@pytest.mark.parametrize("drops", [1, 2])
def test_chunk_acknowledged_but_answer_lost(upload_env: UploadEnv, drops: int) -> None:
    """The server stored the chunk; the client never heard (HEAD finds the offset)."""
    env = upload_env
    src = env.write("part.stl", SIZE)
    job = env.add_job(src)
    env.proxy.drop_response("PATCH", count=drops)
    result = env.runner().run_pending(wait=True, timeout=120)
    assert result is not None and result.submitted == [job.client_job_id], result
    assert [e[2] for e in env.proxy.log if e[0] == "PATCH"].count(-2) == drops
    env.assert_delivered(job, [src])
    # the lost acknowledgements did not make the client send those chunks again
    assert env.proxy.body_bytes["PATCH"] == SIZE


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_on_patch_are_retried(upload_env: UploadEnv, status: int) -> None:
    env = upload_env
    src = env.write("part.stl", SIZE)
    job = env.add_job(src)
    env.proxy.fail("PATCH", status, count=3)
    result = env.runner().run_pending(wait=True, timeout=120)
    assert result is not None and result.submitted == [job.client_job_id], result
    assert [e[2] for e in env.proxy.log if e[0] == "PATCH"].count(status) == 3
    env.assert_delivered(job, [src])


def test_persistent_server_errors_keep_the_job(upload_env: UploadEnv) -> None:
    env = upload_env
    src = env.write("part.stl", 10_000)
    job = env.add_job(src)
    env.proxy.fail("PATCH", 503, count=100)
    result = env.runner().run_pending(wait=True, timeout=120)
    assert result is not None and result.state == "offline"
    assert result.pending == [job.client_job_id]
    assert env.outbox.get(job.client_job_id).state == "uploading"
    env.proxy.rules.clear()
    result = env.runner().run_pending(wait=True, timeout=120)
    assert result is not None and result.submitted == [job.client_job_id]
    env.assert_delivered(job, [src])


def test_offset_conflicts_resume_from_the_server_offset(upload_env: UploadEnv) -> None:
    env = upload_env
    src = env.write("part.stl", SIZE)
    job = env.add_job(src)
    env.proxy.fail("PATCH", 409, count=1)  # a conflict as a gateway reports it
    result = env.runner().run_pending(wait=True, timeout=120)
    assert result is not None and result.submitted == [job.client_job_id]
    assert [e[2] for e in env.proxy.log if e[0] == "PATCH"].count(409) == 1
    env.assert_delivered(job, [src])


def test_the_server_answers_a_stale_offset_with_409(upload_env: UploadEnv) -> None:
    import httpx

    from wyntek_desktop.upload.tus import OffsetConflict, TusClient

    env = upload_env
    src = env.write("part.stl", SIZE)
    with httpx.Client() as http:
        tus = TusClient(http, env.api.storage_url, env.stack.anon_key, env.api.access_token)
        url, _ = tus.create(f"{env.user_id}/conflict/part.stl", SIZE, "model/stl")
        assert tus.patch(url, src, 0, CHUNK_SIZE, lambda n: None, lambda: None)[0] == CHUNK_SIZE
        with pytest.raises(OffsetConflict):
            tus.patch(url, src, 0, CHUNK_SIZE, lambda n: None, lambda: None)
        assert tus.head(url) == (CHUNK_SIZE, SIZE)


def _no_retry() -> Any:
    from wyntek_desktop.upload import RetryPolicy

    return RetryPolicy(base=0.01, max_delay=0.01, max_attempts=1)


@pytest.mark.parametrize("status", [404, 410])
def test_upload_gone_starts_over(upload_env: UploadEnv, status: int) -> None:
    env = upload_env
    src = env.write("part.stl", SIZE)
    job = env.add_job(src)
    env.proxy.fail("PATCH", status, count=1)
    result = env.runner().run_pending(wait=True, timeout=120)
    assert result is not None and result.submitted == [job.client_job_id]
    creates = [e for e in env.proxy.log if e[0] == "POST" and e[1].endswith("/resumable")]
    assert len(creates) == 2
    env.assert_delivered(job, [src])


def test_upload_url_expired_starts_over(localstack_factory: Any, tmp_path: Path) -> None:
    stack = localstack_factory(tus_expiry=2)
    env = build_env(stack, tmp_path)
    try:
        src = env.write("part.stl", SIZE)
        job = env.add_job(src)
        env.proxy.reset_after(CHUNK_SIZE + 1000, "PATCH")
        env.runner(retry=_no_retry()).run_pending(wait=True, timeout=60)
        f = env.outbox.get(job.client_job_id).files[0]
        assert f.offset == CHUNK_SIZE and f.expires_at is not None
        first_url = f.tus_url
        time.sleep(3)  # past Upload-Expires
        result = env.runner().run_pending(wait=True, timeout=120)
        assert result is not None and result.submitted == [job.client_job_id], result
        assert env.outbox.get(job.client_job_id).files[0].tus_url != first_url
        env.assert_delivered(job, [src])
        # the server also refuses the expired URL (404/410) when asked directly
        other = env.add_job(env.write("b.stl", SIZE))
        env.proxy.reset_after(CHUNK_SIZE + 1000, "PATCH")
        env.runner(retry=_no_retry()).run_pending(wait=True, timeout=60)
        f = env.outbox.get(other.client_job_id).files[0]
        env.outbox._update_file(f, expires_at=None)  # pretend we never heard the expiry
        time.sleep(3)
        result = env.runner().run_pending(wait=True, timeout=120)
        assert result is not None and result.submitted == [other.client_job_id], result
        heads = [e[2] for e in env.proxy.log if e[0] == "HEAD"]
        assert heads and heads[-1] in (404, 410)
    finally:
        close_env(env)


def test_local_stack_restarted_mid_upload(localstack_factory: Any, tmp_path: Path) -> None:
    first = localstack_factory()
    port = int(first.url.rsplit(":", 1)[1])
    env = build_env(first, tmp_path)
    try:
        env.proxy.throttle(6 * MiB)
        src = env.write("part.stl", 2 * CHUNK_SIZE + 5)
        job = env.add_job(src)
        runner = env.runner()
        runner.start()
        env.wait_for(lambda: env.outbox.get(job.client_job_id).files[0].offset >= CHUNK_SIZE)
        first.stop()
        env.wait_for(lambda: runner.state == "offline", timeout=60)
        second = localstack_factory(data_dir=first.data_dir, port=port)
        env.stack = second
        env.proxy.throttle(None)
        env.wait_for(lambda: env.outbox.get(job.client_job_id).state == "submitted", 120)
        env.assert_delivered(job, [src])
        assert env.proxy.body_bytes["PATCH"] <= src.stat().st_size + CHUNK_SIZE
    finally:
        close_env(env)


CHILD = r"""
import sys
from pathlib import Path
from wyntek_desktop.api.client import Api
from wyntek_desktop.api.http import make_http_client
from wyntek_desktop.core.outbox import Outbox
from wyntek_desktop.api.session import Session
from wyntek_desktop.core.settings import Settings
from wyntek_desktop.upload import RetryPolicy, UploadRunner

url, key, db = sys.argv[1:4]
settings = Settings(supabase_url=url, anon_key=key)
session = Session(settings, make_http_client(settings))
api = Api(session, Path(db).parent / "catalogue.json")
box = Outbox.open(db)
runner = UploadRunner(box, lambda: make_http_client(settings), api.access_token,
                      api.submit_job, lambda: session.user_id, api.storage_url, key,
                      retry=RetryPolicy(base=0.02, max_delay=0.1))
result = runner.run_pending(wait=True, timeout=120)
print(result.state, flush=True)
"""


@pytest.mark.parametrize("kill", ["upload.chunk_acked@1", "outbox.after_save_offset@1",
                                  "mid-chunk"])
def test_client_killed_mid_upload_resumes(upload_env: UploadEnv, kill: str) -> None:
    env = upload_env
    src = env.write("part.stl", 3 * CHUNK_SIZE + 1234)
    job = env.add_job(src)
    db = str(env.outbox.path)
    argv = [sys.executable, "-c", CHILD, env.proxy.url, env.stack.anon_key, db]
    if kill == "mid-chunk":
        env.proxy.throttle(10 * MiB)
        child = subprocess.Popen(argv, env=_env(crash_at=""))
        env.wait_for(lambda: env.proxy.body_bytes["PATCH"] > CHUNK_SIZE + 2 * MiB)
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        env.proxy.throttle(None)
    else:
        child = subprocess.Popen(argv, env=_env(crash_at=kill))
        assert child.wait(120) == -signal.SIGKILL
    sent_before = env.proxy.body_bytes["PATCH"]
    assert 0 < sent_before < src.stat().st_size
    result = env.runner().run_pending(wait=True, timeout=120)
    assert result is not None and result.submitted == [job.client_job_id], result
    env.assert_delivered(job, [src])
    resent = env.proxy.body_bytes["PATCH"] - src.stat().st_size
    assert 0 <= resent <= CHUNK_SIZE, resent
    print(f"{kill}: re-sent {resent} bytes")


def _env(crash_at: str) -> dict[str, str]:
    return dict(os.environ, WYNTEK_CRASH_AT=crash_at)


def test_access_token_expires_during_the_upload(localstack_factory: Any,
                                                tmp_path: Path) -> None:
    stack = localstack_factory(jwt_expiry=3)
    env = build_env(stack, tmp_path)
    try:
        env.proxy.throttle(4 * MiB)  # about 7 s: longer than two token lifetimes
        src = env.write("part.stl", 2 * CHUNK_SIZE + 77)
        job = env.add_job(src)
        tokens: list[str] = []

        def access_token() -> str:
            token: str = env.api.access_token()
            if not tokens or tokens[-1] != token:
                tokens.append(token)
            return token

        result = env.runner(access_token=access_token).run_pending(wait=True, timeout=120)
        assert result is not None and result.submitted == [job.client_job_id], result
        assert len(tokens) >= 2  # refreshed tokens were used within one upload
        env.assert_delivered(job, [src])
    finally:
        close_env(env)


def test_an_expired_token_is_refused_then_replaced(upload_env: UploadEnv) -> None:
    """A token two minutes past its expiry (e.g. after sleep) is refused; a fresh one works."""
    import json

    import jwt

    env = upload_env
    fresh = env.api.access_token()
    claims = jwt.decode(fresh, options={"verify_signature": False})
    claims.update(iat=int(time.time()) - 3700, exp=int(time.time()) - 120)
    secret = json.loads((env.stack.data_dir / "keys.json").read_text())["jwt_secret"]
    expired = jwt.encode(claims, secret, algorithm="HS256")
    calls = {"n": 0}

    def access_token() -> str:  # the first two calls hand out the expired token
        calls["n"] += 1
        return expired if calls["n"] <= 2 else str(env.api.access_token())

    src = env.write("part.stl", 100_000)
    job = env.add_job(src)
    result = env.runner(access_token=access_token).run_pending(wait=True, timeout=60)
    assert result is not None and result.submitted == [job.client_job_id], result
    refused = [e for e in env.proxy.log
               if e[1].endswith("/upload/resumable") and e[2] in (400, 401, 403)]
    assert len(refused) == 2  # refused twice, then the fresh token went through
    env.assert_delivered(job, [src])


def test_revoked_session_asks_to_sign_in_then_resumes(localstack_factory: Any,
                                                      tmp_path: Path) -> None:
    stack = localstack_factory(jwt_expiry=2)
    env = build_env(stack, tmp_path)
    try:
        env.proxy.throttle(4 * MiB)
        src = env.write("part.stl", 2 * CHUNK_SIZE)
        job = env.add_job(src)
        runner = env.runner()
        runner.start()
        env.wait_for(lambda: env.outbox.get(job.client_job_id).files[0].offset > 0)
        # sign out everywhere from another device: the refresh token is revoked
        other = stack.sign_in(env.email, env.password)
        with stack.http() as http:
            http.post(f"{stack.url}/auth/v1/logout?scope=global",
                      headers={"apikey": stack.anon_key,
                               "Authorization": f"Bearer {other['access_token']}"})
        env.wait_for(lambda: runner.state == "sign_in_required", timeout=60)
        assert "Sign in to continue uploading." in [
            e.message for e in env.events if getattr(e, "state", "") == "sign_in_required"]
        with pytest.raises(SignInRequired):
            env.api.access_token()
        assert env.outbox.get(job.client_job_id).state == "uploading"  # kept
        env.proxy.throttle(None)
        env.session.sign_in(env.email, env.password)
        runner.notify_signed_in()
        env.wait_for(lambda: env.outbox.get(job.client_job_id).state == "submitted", 120)
        env.assert_delivered(job, [src])
    finally:
        close_env(env)

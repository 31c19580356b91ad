"""Uploads against the real local stack: sizes, parallel files, pause/resume/cancel,
offline, changed files, and the submit that must charge exactly once."""

from __future__ import annotations

import hashlib
import os
import time

import httpx
import pytest

from tests.support.uploads import SPEC, MiB, UploadEnv, grant_tokens
from wyntek_desktop.core.errors import SignInRequired
from wyntek_desktop.core.outbox import FileInput
from wyntek_desktop.upload import CHUNK_SIZE, UploadProgress
from wyntek_desktop.upload.tus import TusClient, UploadGone

# (0-byte files are refused by submit_job: the service has nothing to verify in them.)
SIZES = [1, 2, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE + 1]


def test_sizes_round_trip_byte_exact_in_6_mib_chunks(upload_env: UploadEnv) -> None:
    env = upload_env
    files = [env.write(f"part-{size}.stl", size) for size in SIZES]
    job = env.add_job(*files)
    result = env.runner(parallel=2).run_pending(wait=True, timeout=120)
    assert result is not None and result.submitted == [job.client_job_id], result
    env.assert_delivered(job, files)
    patches = [n for (m, _, status, n) in env.proxy.log if m == "PATCH" and status == 204]
    assert patches and max(patches) <= CHUNK_SIZE
    assert sum(patches) == sum(SIZES)  # nothing sent twice on a clean run
    assert env.job_states(job.client_job_id)[-3:] == ["uploading", "submitting", "submitted"]
    progress = [e for e in env.events if isinstance(e, UploadProgress)]
    assert progress[-1].job_sent == progress[-1].job_total == sum(SIZES)
    assert any(e.speed > 0 for e in progress)
    # our copies are gone once the job is submitted
    assert not (env.outbox.files_dir / job.client_job_id).exists()


def test_jobs_are_sent_one_after_another_with_one_debit_each(upload_env: UploadEnv) -> None:
    env = upload_env
    a, b = env.write("a.stl", 3000), env.write("b.stl", 5000)
    first, second = env.add_job(a), env.add_job(b, copy=False)
    result = env.runner().run_pending(wait=True, timeout=60)
    assert result is not None and result.submitted == [first.client_job_id,
                                                       second.client_job_id]
    env.assert_delivered(first, [a])
    env.assert_delivered(second, [b])
    assert len(env.debits()) == 2


def test_a_file_changed_after_checking_is_not_uploaded(upload_env: UploadEnv) -> None:
    env = upload_env
    src = env.write("bracket.stl", 200_000)
    job = env.add_job(src, copy=False)
    stat = src.stat()
    data = bytearray(src.read_bytes())
    data[1000] ^= 0xFF  # same size, then the old mtime restored
    src.write_bytes(bytes(data))
    os.utime(src, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result = env.runner().run_pending(wait=True, timeout=60)
    assert result is not None and result.failed == [job.client_job_id]
    failed = env.outbox.get(job.client_job_id)
    assert failed.state == "failed"
    assert failed.failure is not None and "bracket.stl was changed after it was checked" in \
        failed.failure
    assert not [entry for entry in env.proxy.log if "/upload/resumable" in entry[1]]
    assert env.jobs_for(job.client_job_id) == [] and env.debits() == []
    # the retry action: once the checked content is back, the job goes through
    data[1000] ^= 0xFF
    src.write_bytes(bytes(data))
    os.utime(src, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    runner = env.runner()
    runner.retry(job.client_job_id)
    result = runner.run_pending(wait=True, timeout=60)
    assert result is not None and result.submitted == [job.client_job_id]
    env.assert_delivered(job, [src])


def test_a_job_the_balance_cannot_pay_for_uploads_nothing(upload_env: UploadEnv) -> None:
    """The server's price is asked before the first byte: a balance spent elsewhere since
    the job was queued fails the job with the sum, and no object is stored."""
    env = upload_env
    src = env.write("bracket.stl", 300_000)
    # 1000 parts of a 500 cm³ block: more than the 100,000 tokens the account holds
    job = env.outbox.add_job({**SPEC, "quantity": 1000, "volume_cm3": 500.0},
                             [FileInput(src, "model")])
    cost, balance = env.api.quote_spec(job.spec).tokens, env.api.balance()
    assert cost > balance
    runner = env.runner(check_affordable=env.api.check_affordable)
    result = runner.run_pending(wait=True, timeout=60)
    assert result is not None and result.failed == [job.client_job_id], result
    failed = env.outbox.get(job.client_job_id)
    assert failed.failure_kind == "balance"
    assert failed.failure == (f"This job costs {cost:,} tokens and your balance is "
                              f"{balance:,}: buy {cost - balance:,} more tokens on the Tokens "
                              "page, then press Retry.")
    assert not [entry for entry in env.proxy.log if "/storage/" in entry[1]]
    assert env.jobs_for(job.client_job_id) == [] and env.debits() == []
    # bought: Retry sends it, charged once
    grant_tokens(env.stack, env.user_id, cost - balance)
    runner.retry(job.client_job_id)
    result = runner.run_pending(wait=True, timeout=60)
    assert result is not None and result.submitted == [job.client_job_id], result
    env.assert_delivered(job, [src])


def test_sign_in_required_stops_the_run_and_keeps_the_job(upload_env: UploadEnv) -> None:
    env = upload_env
    job = env.add_job(env.write("a.stl", 1000))

    def signed_out() -> str:
        raise SignInRequired()

    result = env.runner(access_token=signed_out).run_pending(wait=True, timeout=30)
    assert result is not None and result.state == "sign_in_required"
    assert result.message == "Sign in to continue uploading."
    assert result.pending == [job.client_job_id]
    assert env.outbox.get(job.client_job_id).failure is None


def test_pause_resume_and_cancel(upload_env: UploadEnv) -> None:
    env = upload_env
    env.proxy.throttle(8 * MiB)
    src = env.write("big.stl", 2 * CHUNK_SIZE + 10)
    job = env.add_job(src)
    runner = env.runner()
    runner.start()
    env.wait_for(lambda: env.outbox.get(job.client_job_id).files[0].offset >= CHUNK_SIZE)
    runner.pause(job.client_job_id)
    env.wait_for(lambda: not runner._controls)
    time.sleep(1.5)  # what the socket buffers already held still drains through the proxy
    sent = env.proxy.body_bytes["PATCH"]
    time.sleep(0.7)
    assert env.proxy.body_bytes["PATCH"] == sent  # paused: nothing more goes out
    paused = env.outbox.get(job.client_job_id)
    assert paused.paused and paused.state == "uploading"
    assert paused.files[0].offset < src.stat().st_size
    env.proxy.throttle(None)
    runner.resume(job.client_job_id)
    env.wait_for(lambda: env.outbox.get(job.client_job_id).state == "submitted")
    env.assert_delivered(job, [src])

    # cancel: what reached the service is deleted (the partial upload, or the object if
    # the last chunk was already in flight) and the job becomes a draft
    env.proxy.throttle(8 * MiB)
    other = env.add_job(env.write("other.stl", 4 * CHUNK_SIZE))
    env.wait_for(lambda: env.outbox.get(other.client_job_id).files[0].offset > 0)
    f = env.outbox.get(other.client_job_id).files[0]
    url = f.tus_url
    runner.cancel(other.client_job_id)
    env.wait_for(lambda: env.outbox.get(other.client_job_id).files[0].tus_url is None)
    assert env.outbox.get(other.client_job_id).state == "draft"
    deletes = [p for m, p, *_ in env.proxy.log if m == "DELETE"]
    assert deletes and ("/upload/resumable/" in deletes[-1] or "other.stl" in deletes[-1])
    token = env.api.access_token()
    with httpx.Client() as http:
        tus = TusClient(http, env.api.storage_url, env.stack.anon_key, lambda: token)
        with pytest.raises(UploadGone):
            tus.head(str(url))
    assert env.object_sha(str(f.storage_path)) is None
    assert env.jobs_for(other.client_job_id) == []


def test_offline_keeps_the_job_and_sends_it_when_back(upload_env: UploadEnv) -> None:
    env = upload_env
    src = env.write("a.stl", 50_000)
    job = env.add_job(src)
    env.proxy.set_offline(True)
    runner = env.runner()
    result = runner.run_pending(wait=True, timeout=30)
    assert result is not None and result.state == "offline"
    assert result.pending == [job.client_job_id]
    assert "Offline" in result.message
    env.proxy.set_offline(False)
    runner.start()  # the background runner probes and continues by itself
    env.wait_for(lambda: env.outbox.get(job.client_job_id).state == "submitted")
    env.assert_delivered(job, [src])
    assert "offline" in env.runner_states()


def test_submit_answer_lost_after_commit_charges_once(upload_env: UploadEnv) -> None:
    env = upload_env
    src = env.write("a.stl", 10_000)
    job = env.add_job(src)
    env.proxy.drop_response("POST", "/rest/v1/rpc/submit_job")
    result = env.runner().run_pending(wait=True, timeout=60)
    assert result is not None and result.submitted == [job.client_job_id]
    submits = [e for e in env.proxy.log if e[1].startswith("/rest/v1/rpc/submit_job")]
    assert len(submits) == 2 and submits[0][2] == -2  # the first answer never arrived
    env.assert_delivered(job, [src])
    server = env.outbox.get(job.client_job_id).server_job
    assert server is not None and server["id"] == env.jobs_for(job.client_job_id)[0]["id"]


def test_server_recorded_sha256_matches(upload_env: UploadEnv) -> None:
    env = upload_env
    src = env.write("a.stl", 70_000)
    job = env.add_job(src)
    env.runner().run_pending(wait=True, timeout=60)
    f = env.outbox.get(job.client_job_id).files[0]
    token = env.api.access_token()
    with httpx.Client() as http:
        info = TusClient(http, env.api.storage_url, env.stack.anon_key,
                         lambda: token).object_info(str(f.storage_path))
    assert info is not None
    recorded = [v for k, v in (info.get("metadata") or {}).items() if k == "sha256"]
    assert recorded in ([], [hashlib.sha256(src.read_bytes()).hexdigest()])


def test_a_file_changed_during_the_upload_is_caught_by_the_server_hash(
        upload_env: UploadEnv) -> None:
    env = upload_env
    env.proxy.throttle(8 * MiB)
    src = env.write("housing.stl", 2 * CHUNK_SIZE + 3)
    job = env.add_job(src, copy=False)
    runner = env.runner()
    runner.start()
    env.wait_for(lambda: env.outbox.get(job.client_job_id).files[0].offset >= CHUNK_SIZE)
    with open(src, "r+b") as fh:  # edit a part that has not been sent yet
        fh.seek(2 * CHUNK_SIZE)
        fh.write(b"XYZ")
    env.proxy.throttle(None)
    env.wait_for(lambda: env.outbox.get(job.client_job_id).state == "failed")
    failed = env.outbox.get(job.client_job_id)
    assert failed.failure is not None
    assert "uploaded copy of housing.stl does not match the checked file" in failed.failure
    storage_path = f"{env.user_id}/{job.client_job_id}/housing.stl"
    assert env.object_sha(storage_path) is None  # the unchecked bytes were deleted
    assert env.jobs_for(job.client_job_id) == [] and env.debits() == []


def test_network_lost_mid_upload_ends_the_run_without_waiting_out_the_backoff(
        upload_env: UploadEnv) -> None:
    import threading

    from wyntek_desktop.upload import RetryPolicy

    env = upload_env
    env.proxy.throttle(8 * MiB)
    src = env.write("part.stl", 2 * CHUNK_SIZE + 9)
    job = env.add_job(src)

    def cut_the_network() -> None:
        env.wait_for(lambda: env.outbox.get(job.client_job_id).files[0].offset >= CHUNK_SIZE)
        env.proxy.set_offline(True)

    cutter = threading.Thread(target=cut_the_network)
    cutter.start()
    started = time.monotonic()
    # production backoff: exhausting it would take about a minute
    runner = env.runner(retry=RetryPolicy())
    result = runner.run_pending(wait=True, timeout=120)
    cutter.join()
    assert result is not None and result.state == "offline", result
    assert time.monotonic() - started < 20
    kept = env.outbox.get(job.client_job_id)
    assert kept.state == "uploading" and kept.files[0].offset >= CHUNK_SIZE
    env.proxy.set_offline(False)
    env.proxy.throttle(None)
    result = env.runner().run_pending(wait=True, timeout=60)
    assert result is not None and result.submitted == [job.client_job_id]
    env.assert_delivered(job, [src])


def test_two_runners_on_one_outbox_send_each_job_once(upload_env: UploadEnv) -> None:
    """The GUI and a CLI run may share the outbox: a job is sent by one of them only."""
    env = upload_env
    sources = [env.write(f"p{i}.stl", CHUNK_SIZE + 1000 * i) for i in range(4)]
    jobs = [env.add_job(src) for src in sources]
    first, second = env.runner(), env.runner()
    first.start()
    second.start()
    env.wait_for(lambda: all(env.outbox.get(j.client_job_id).state == "submitted"
                             for j in jobs), timeout=120)
    for job, src in zip(jobs, sources, strict=True):
        env.assert_delivered(job, [src])
    assert env.proxy.body_bytes["PATCH"] == sum(s.stat().st_size for s in sources)
    creates = [e for e in env.proxy.log if e[0] == "POST" and e[1].endswith("/resumable")]
    assert len(creates) == len(jobs)

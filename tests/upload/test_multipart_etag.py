"""The client's check of a stored upload against the etag hosted Storage really gives.

TUS uploads end up on S3 as multipart uploads, so their etag is `"<md5 of the parts'
md5s>-<parts>"`, not the MD5 of the bytes; the local stack answers so too. The client
then confirms the stored size only (the SHA-256 of the stored bytes is the service
worker's check), and must neither take that etag for an MD5 nor pass a wrong size.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.support.uploads import MiB, UploadEnv
from wyntek_desktop.upload.transfer import single_part_md5
from wyntek_desktop.upload.tus import CHUNK_SIZE


def _one_part_etag(data: bytes) -> str:
    return f'"{hashlib.md5(hashlib.md5(data).digest()).hexdigest()}-1"'


def _stored_info(env: UploadEnv, storage_path: str) -> dict[str, object]:
    with env.service_http() as http:
        resp = http.get(f"{env.stack.url}/storage/v1/object/info/designs/{storage_path}")
    resp.raise_for_status()
    info: dict[str, object] = resp.json()
    return info


def test_a_tus_upload_with_a_multipart_etag_is_confirmed_by_its_size(
        upload_env: UploadEnv) -> None:
    env = upload_env
    src = env.write("part.stl", CHUNK_SIZE + 3 * MiB // 2)  # two PATCHes, one S3 part
    job = env.add_job(src)
    result = env.runner().run_pending(wait=True, timeout=120)
    assert result is not None and result.submitted == [job.client_job_id], \
        env.outbox.get(job.client_job_id).failure
    stored = env.outbox.get(job.client_job_id).files[0]
    info = _stored_info(env, str(stored.storage_path))
    assert info["etag"] == _one_part_etag(src.read_bytes())  # what hosted would answer
    assert single_part_md5(info["etag"]) is None  # not mistaken for the bytes' MD5
    assert stored.verified
    env.assert_delivered(job, [src])


def test_a_stored_copy_of_the_wrong_size_is_refused_and_deleted(
        upload_env: UploadEnv, tmp_path: Path) -> None:
    env = upload_env
    src = env.write("part.stl", 300_000)
    job = env.add_job(src)
    storage_path = f"{env.user_id}/{job.client_job_id}/part.stl"

    def replace_stored_copy() -> None:  # another writer got in after the last PATCH
        with env.service_http() as http:
            put = http.put(f"{env.stack.url}/storage/v1/object/designs/{storage_path}",
                           content=b"short", headers={"Content-Type": "model/stl"})
        assert put.status_code == 200, put.text

    env.proxy.before("GET", f"/object/info/authenticated/designs/{storage_path}",
                     replace_stored_copy)
    result = env.runner().run_pending(wait=True, timeout=120)
    assert result is not None and result.failed == [job.client_job_id]
    failed = env.outbox.get(job.client_job_id)
    assert failed.failure is not None and "does not match the checked file" in failed.failure
    assert not failed.files[0].verified and failed.files[0].storage_path is None
    assert env.object_sha(storage_path) is None  # the unchecked bytes did not stay
    assert env.jobs_for(job.client_job_id) == []  # and nothing was submitted

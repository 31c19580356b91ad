"""The worker's copy step of a reorder: on the server, idempotent, and a sentence when the
original is gone (the job is then rejected and refunded like any failed verification)."""

from __future__ import annotations

import asyncio
import uuid

from tests.operations.support import service_headers
from wyntek_service.config import ServiceConfig
from wyntek_service.reorder import copy_reorder_files
from wyntek_service.supabase import ServiceAPI


def _put(stack, path: str, data: bytes) -> None:
    with stack.http() as http:
        r = http.post(f"{stack.url}/storage/v1/object/designs/{path}", content=data,
                      headers={**service_headers(stack), "x-upsert": "true",
                               "Content-Type": "application/octet-stream"})
    assert r.status_code == 200, r.text


def _get(stack, path: str) -> bytes | None:
    with stack.http() as http:
        r = http.get(f"{stack.url}/storage/v1/object/designs/{path}",
                     headers=service_headers(stack))
    return r.content if r.status_code == 200 else None


def test_copy_step(localstack):
    config = ServiceConfig(localstack.url, localstack.service_role_key, "",
                           str(localstack.ca_path))
    base = f"{uuid.uuid4()}/{uuid.uuid4()}"
    _put(localstack, f"{base}/a.stl", b"solid a")
    _put(localstack, f"{base}/stale.stl", b"stale")

    async def run(files: list[dict[str, str]]) -> str | None:
        async with ServiceAPI(config) as api:
            return await copy_reorder_files(api, files)

    files = [{"storage_path": f"{base}/new/a.stl", "copied_from": f"{base}/a.stl",
              "file_name": "a.stl"},
             {"storage_path": f"{base}/stale.stl", "copied_from": f"{base}/a.stl",
              "file_name": "a.stl"},
             {"storage_path": f"{base}/uploaded.stl", "file_name": "uploaded.stl"}]
    assert asyncio.run(run(files)) is None
    assert _get(localstack, f"{base}/new/a.stl") == b"solid a"
    assert _get(localstack, f"{base}/stale.stl") == b"solid a"  # replaced by the original
    assert asyncio.run(run(files[:1])) is None  # a retry changes nothing
    with localstack.http() as http:  # the original removed after it was copied: still fine
        r = http.request("DELETE", f"{localstack.url}/storage/v1/object/designs",
                         headers=service_headers(localstack), json={"prefixes": [f"{base}/a.stl"]})
    assert r.status_code == 200, r.text
    assert asyncio.run(run(files[:1])) is None

    gone = [{"storage_path": f"{base}/new/b.stl", "copied_from": f"{base}/b.stl",
             "file_name": "Bracket v2.stl"}]
    assert asyncio.run(run(gone)) == (
        "The original of Bracket v2.stl was removed before it could be copied, so this "
        "reorder cannot be made; submit the design files again as a new job.")

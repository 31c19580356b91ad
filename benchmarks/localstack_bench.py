"""Local stack benchmarks: serve ready time, signed-in select RTT, TUS vs streamed PUT.

Run:  .venv/bin/python benchmarks/localstack_bench.py [--size-mib 1024] [--only ready,select,tus]

Everything runs against real `python -m wyntek_localstack serve` processes over HTTPS with
a throw-away CA (like the tests). Throughput is reported as a ratio against a plain
streamed PUT of the same bytes to the same server in the same run.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.localstack import (  # noqa: E402
    LocalStackInstance,
    make_test_ca,
    serve_argv,
    start_instance,
)

CHUNK = 6 * 1024 * 1024


BIG_LIMIT_MIB = 64 * 1024


def ready_times(root: Path, repeat: int) -> dict[str, float]:
    ca = make_test_ca(root / "ca")
    fresh, existing = [], []
    for i in range(repeat):
        data = root / f"fresh-{i}" / "data"
        t0 = time.perf_counter()
        inst = start_instance(serve_argv(data, ca), root / f"fresh-{i}.log", ca)
        fresh.append(time.perf_counter() - t0)
        inst.stop()
    data = root / "fresh-0" / "data"
    for i in range(repeat):
        t0 = time.perf_counter()
        inst = start_instance(serve_argv(data, ca), root / f"again-{i}.log", ca)
        existing.append(time.perf_counter() - t0)
        inst.stop()
    return {"ready_new_median_s": statistics.median(fresh),
            "ready_existing_median_s": statistics.median(existing),
            "ready_new_all_s": fresh, "ready_existing_all_s": existing}


def _stack(root: Path) -> LocalStackInstance:
    ca = make_test_ca(root / "ca-run")
    # The upload runs send up to --size-mib: raise the 50 MiB default (a Free project's).
    return start_instance(serve_argv(root / "run" / "data", ca, max_file_size_mib=BIG_LIMIT_MIB),
                          root / "run.log", ca)


def select_rtt(stack: LocalStackInstance, samples: int) -> dict[str, float]:
    email, password, uid = stack.new_user("bench")
    token = stack.sign_in(email, password)["access_token"]
    svc = stack.service_client()
    material = svc.table("materials").select("*").eq("active", True).limit(1).execute().data[0]
    svc.table("jobs").insert([{
        "user_id": uid, "client_job_id": str(uuid.uuid4()), "process": material["process"],
        "material_id": material["id"], "quantity": 1 + i, "tolerance_mm": 0.2,
        "volume_cm3": 1.5, "token_cost": 10, "spec": {"quantity": 1 + i},
        "notes": f"job {i}"}
        for i in range(50)]).execute()
    headers = {"apikey": stack.anon_key, "Authorization": f"Bearer {token}"}
    url = f"{stack.url}/rest/v1/jobs?select=*&order=updated_at.desc&limit=50"
    times = []
    with stack.http() as http:
        for i in range(samples + 20):
            t0 = time.perf_counter()
            r = http.get(url, headers=headers)
            elapsed = time.perf_counter() - t0
            assert r.status_code == 200 and len(r.json()) == 50, r.text
            if i >= 20:  # warm-up: TLS session, prepared statements, pool
                times.append(elapsed)
    return {"select50_median_ms": statistics.median(times) * 1000,
            "select50_p95_ms": sorted(times)[int(len(times) * 0.95)] * 1000}


def _blocks(total: int, block: bytes) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        piece = block[:min(len(block), total - sent)]
        sent += len(piece)
        yield piece


def upload_ratio(stack: LocalStackInstance, size: int) -> dict[str, float]:
    email, password, uid = stack.new_user("bench-upload")
    token = stack.sign_in(email, password)["access_token"]
    auth = {"apikey": stack.anon_key, "Authorization": f"Bearer {token}"}
    block = os.urandom(CHUNK)
    timeout = httpx.Timeout(600)
    with stack.http(timeout=timeout) as http:
        name = f"{uid}/bench/put.bin"
        t0 = time.perf_counter()
        r = http.put(f"{stack.url}/storage/v1/object/designs/{name}",
                     content=_blocks(size, block),
                     headers={**auth, "Content-Type": "application/octet-stream",
                              "Content-Length": str(size)})
        put_s = time.perf_counter() - t0
        assert r.status_code == 200, r.text

        name = f"{uid}/bench/tus.bin"
        meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in
                        [("bucketName", "designs"), ("objectName", name),
                         ("contentType", "application/octet-stream")])
        tus = {**auth, "Tus-Resumable": "1.0.0"}
        t0 = time.perf_counter()
        created = http.post(f"{stack.url}/storage/v1/upload/resumable",
                            headers={**tus, "Upload-Length": str(size),
                                     "Upload-Metadata": meta})
        assert created.status_code == 201, created.text
        location, offset = created.headers["location"], 0
        while offset < size:
            piece = block[:min(CHUNK, size - offset)]
            r = http.patch(location, content=piece, headers={
                **tus, "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream"})
            assert r.status_code == 204, r.text
            offset = int(r.headers["upload-offset"])
        tus_s = time.perf_counter() - t0
    mib = size / 1024 / 1024
    return {"size_mib": mib, "put_s": put_s, "tus_s": tus_s,
            "put_mib_s": mib / put_s, "tus_mib_s": mib / tus_s,
            "tus_vs_put_ratio": put_s / tus_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--only", default="ready,select,tus")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    root = Path(tempfile.mkdtemp(prefix="wyntek-localstack-bench-"))
    results: dict[str, object] = {"cpus": os.cpu_count()}
    try:
        if "ready" in parts:
            results.update(ready_times(root, args.repeat))
        if parts & {"select", "tus"}:
            stack = _stack(root)
            try:
                if "select" in parts:
                    results.update(select_rtt(stack, args.samples))
                if "tus" in parts:
                    results.update(upload_ratio(stack, args.size_mib * 1024 * 1024))
            finally:
                stack.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

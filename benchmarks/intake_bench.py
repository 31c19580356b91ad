"""Intake verification: one big job end to end, queue latency, and two workers against one.

    .venv/bin/python benchmarks/intake_bench.py [--only big,latency,throughput]

Everything runs against a real `python -m wyntek_localstack serve --no-worker` over HTTPS
(throw-away CA) with `python -m wyntek_service worker --keep-finished` processes, so the
queue keeps procrastinate's events: their database timestamps give when a task was
deferred (by submit_job) and when a worker started it.

- big: a 1,310,720-triangle binary STL (65.5 MB, an icosphere) as one job; the time from
  the worker starting the task to the outcome being recorded (download, SHA-256, analysis
  in the limited child process, pricing, ledger), median of 3.
- latency: 20 small jobs submitted one after another with one idle worker; submit_job's
  defer to the worker starting the task, median and max.
- throughput: 40 small jobs queued first, then 1 worker, then (new jobs) 2 workers; from
  the first task start to the last outcome. Reported as the ratio one/two, with the cores
  the whole machine kept busy during each run (from /proc/stat): when one worker already
  keeps ``b`` of the ``n`` cores busy (the stack, Postgres, the worker and its measuring
  children together), no number of workers on this machine can exceed ``n / b``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.service.support import (  # noqa: E402
    cube_stl,
    new_customer,
    service_rows,
    wait_verified,
)
from tests.support.localstack import make_test_ca, serve_argv, start_instance  # noqa: E402
from wyntek_service.config import ServiceConfig  # noqa: E402
from wyntek_service.runner import ensure_queue_schema  # noqa: E402


def start_worker(stack: Any, log: Path, name: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SUPABASE_URL": stack.url,
           "SUPABASE_SERVICE_ROLE_KEY": stack.service_role_key,
           "DATABASE_URL": stack.database_url, "WYNTEK_SERVICE_CA_FILE": str(stack.ca_path),
           "PYTHONPATH": str(ROOT)}
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "wyntek_service", "worker",
                                 "--keep-finished", "--name", name], env=env, stdout=out,
                                stderr=out, start_new_session=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def wait_ready(log: Path, timeout: float = 120) -> None:
    """A worker is ready once its start-up sweep ran (the forkserver comes up with it)."""
    deadline = time.monotonic() + timeout
    while "verification-sweep" not in log.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise RuntimeError(log.read_text(errors="replace"))
        time.sleep(0.1)


def task_times(stack: Any, job_ids: list[str]) -> dict[str, dict[str, float]]:
    """Per job: epoch seconds of the verify task's 'deferred' and 'started' events."""
    with psycopg.connect(stack.database_url) as conn:
        rows = conn.execute(
            """select j.args ->> 'job_id', e.type::text, extract(epoch from e.at)
                 from procrastinate.procrastinate_jobs j
                 join procrastinate.procrastinate_events e on e.job_id = j.id
                where j.task_name = 'verify_job' and j.args ->> 'job_id' = any(%s)""",
            [job_ids]).fetchall()
    out: dict[str, dict[str, float]] = {}
    for job_id, kind, at in rows:
        out.setdefault(job_id, {}).setdefault(kind, float(at))
    return out


def decided_at(stack: Any, job_ids: list[str]) -> dict[str, float]:
    rows = service_rows(stack, "jobs", {"id": f"in.({','.join(job_ids)})",
                                         "select": "id,verified_at"})
    from datetime import datetime
    return {r["id"]: datetime.fromisoformat(r["verified_at"]).timestamp() for r in rows}


def bench_big(stack: Any, folder: Path) -> dict[str, Any]:
    import trimesh

    from wyntek_desktop.design import analyze

    sphere = trimesh.creation.icosphere(subdivisions=8, radius=60.0)
    data = trimesh.exchange.stl.export_stl(sphere)
    # Baseline in the same run: the desktop's own analysis of the same file, in-process.
    local = folder / "sphere.stl"
    local.write_bytes(data)
    analyze(local)  # warm imports
    baseline = []
    for _ in range(3):
        started = time.perf_counter()
        analyze(local)
        baseline.append(time.perf_counter() - started)
    customer = new_customer(stack, 10_000_000)
    log = folder / "big-worker.log"
    worker = start_worker(stack, log, "big")
    try:
        wait_ready(log)
        runs = []
        for _ in range(3):
            job = customer.submit({"sphere.stl": data}, volume_cm3=0)
            wait_verified(stack, [job["id"]], timeout=300)
            started = task_times(stack, [job["id"]])[job["id"]]["started"]
            runs.append(decided_at(stack, [job["id"]])[job["id"]] - started)
    finally:
        stop(worker)
    median = statistics.median(runs)
    analysis = statistics.median(baseline)
    return {"triangles": len(sphere.faces), "bytes": len(data),
            "task_start_to_outcome_s": [round(r, 3) for r in runs],
            "median_s": round(median, 3), "desktop_analysis_median_s": round(analysis, 3),
            "worker_over_analysis": round(median / analysis, 2)}


def bench_latency(stack: Any, folder: Path) -> dict[str, Any]:
    customer = new_customer(stack, 1_000_000)
    data = cube_stl(folder, 20.0, "lat.stl")
    log = folder / "latency-worker.log"
    worker = start_worker(stack, log, "latency")
    try:
        wait_ready(log)
        ids = []
        for _ in range(20):
            job = customer.submit({"cube.stl": data})
            wait_verified(stack, [job["id"]], timeout=120)
            ids.append(job["id"])
    finally:
        stop(worker)
    times = task_times(stack, ids)
    delays = [times[j]["started"] - times[j]["deferred"] for j in ids]
    return {"jobs": len(ids), "median_s": round(statistics.median(delays), 3),
            "max_s": round(max(delays), 3)}


def busy_jiffies() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _throughput(stack: Any, folder: Path, workers: int) -> tuple[float, float]:
    customer = new_customer(stack, 1_000_000)
    ids = [customer.submit({f"p{i}.stl": cube_stl(folder, 10.0 + i, f"t{workers}-{i}.stl")},
                           volume_cm3=round((10.0 + i) ** 3 / 1000, 6))["id"]
           for i in range(40)]
    procs = [start_worker(stack, folder / f"tp{workers}-{n}.log", f"tp{workers}-{n}")
             for n in range(workers)]
    try:
        busy_before, total_before = busy_jiffies()
        wait_verified(stack, ids, timeout=600)
        busy_after, total_after = busy_jiffies()
    finally:
        for p in procs:
            stop(p)
    first = min(t["started"] for t in task_times(stack, ids).values())
    cores_busy = (os.cpu_count() or 1) * (busy_after - busy_before) / max(
        1, total_after - total_before)
    return max(decided_at(stack, ids).values()) - first, cores_busy


def bench_throughput(stack: Any, folder: Path) -> dict[str, Any]:
    one, one_busy = _throughput(stack, folder, 1)
    two, two_busy = _throughput(stack, folder, 2)
    cores = os.cpu_count() or 1
    return {"jobs": 40, "one_worker_s": round(one, 2), "two_workers_s": round(two, 2),
            "speedup": round(one / two, 2), "cores": cores,
            "cores_busy_one_worker": round(one_busy, 2),
            "cores_busy_two_workers": round(two_busy, 2),
            "speedup_ceiling_here": round(cores / max(one_busy, 1e-9), 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="big,latency,throughput")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    ca = make_test_ca(folder / "ca")
    # like a paid hosted project: the 65 MB mesh is over the Free plan's 50 MB
    argv = [*serve_argv(folder / "data", ca, worker=False), "--max-file-size-mib", "1024"]
    stack = start_instance(argv, folder / "server.log", ca)
    try:
        import asyncio
        asyncio.run(ensure_queue_schema(ServiceConfig(stack.url, stack.service_role_key,
                                                      stack.database_url)))
        results: dict[str, Any] = {"load_before": os.getloadavg()}
        benches = {"big": bench_big, "latency": bench_latency, "throughput": bench_throughput}
        for name in args.only.split(","):
            results[name] = benches[name](stack, folder)
            results[f"load_after_{name}"] = os.getloadavg()
            print(json.dumps({name: results[name]}), flush=True)
        print(json.dumps(results, indent=2))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()

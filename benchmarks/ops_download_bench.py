"""Operator download benchmark: the checked download vs a plain streamed GET.

    .venv/bin/python benchmarks/ops_download_bench.py [--size-mib 200] [--rounds 3]
                                                      [--plain-http]

Starts the local stack on 127.0.0.1 (HTTPS with a throw-away CA; ``--plain-http`` to
leave it out; no worker, so nothing else reads the file), uploads a random file as a
customer's job, assigns an operator, then, in the same run and against the same server:

1. baseline: one streamed httpx ``GET /storage/v1/object/authenticated/designs/...`` as
   the operator, written to a file (what any download does, nothing more);
2. ours: ``Operations.download_file`` (the app's session and HTTP client, a hidden
   ``.part`` file hashed as it arrives, size and SHA-256 checked against ``job_files``,
   renamed into place);

each in a fresh child process that reports its wall time and its peak RSS growth
(VmHWM at the end minus VmRSS just before the download, the peak reset through
``/proc/self/clear_refs`` first). Rounds alternate and the best
of each is kept. Targets: throughput >= 80 % of the baseline, RSS growth <= 64 MiB.

Then (``--list-jobs 5000``) the same operator is assigned that many more jobs (inserted in
SQL) and lists them: ``Operations.assigned_jobs()`` (all pages, oldest first) and one
status filter, timed in this process, with the plan of the view's query as the operator.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024

CHILD = r"""
import json, sys, time
from pathlib import Path
import httpx

def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
    return 0

def reset_peak():
    # the peak (VmHWM) would otherwise still hold imports' and sign-in's high water mark
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")

mode, url, key, email, password, job_id, target, ca = sys.argv[1:9]
target = Path(target)
if mode == "get":
    token = httpx.post(f"{url}/auth/v1/token?grant_type=password", verify=ca or True,
                       headers={"apikey": key},
                       json={"email": email, "password": password}).json()["access_token"]
    http = httpx.Client(timeout=httpx.Timeout(120, connect=10), verify=ca or True)
    rows = http.get(f"{url}/rest/v1/operator_jobs", params={"id": f"eq.{job_id}"},
                    headers={"apikey": key, "Authorization": f"Bearer {token}"}).json()
    path = rows[0]["files"][0]["storage_path"]
    reset_peak()
    start_rss = rss("VmRSS:")
    t0 = time.perf_counter()
    with http.stream("GET", f"{url}/storage/v1/object/authenticated/designs/{path}",
                     headers={"apikey": key, "Authorization": f"Bearer {token}"}) as r:
        r.raise_for_status()
        with open(target / "plain.bin", "wb") as sink:
            for chunk in r.iter_bytes():
                sink.write(chunk)
else:
    from wyntek_desktop.context import AppContext
    from wyntek_desktop.core.appdirs import AppDirs
    from wyntek_desktop.core.settings import Settings
    settings = Settings(supabase_url=url, anon_key=key, ca_bundle=ca or None)
    ctx = AppContext.build(settings, dirs=AppDirs.default(), env={}, memory_only=True)
    ctx.session.sign_in(email, password)
    ops = ctx.api.operations
    job = ops.assigned_job(job_id)
    reset_peak()
    start_rss = rss("VmRSS:")
    t0 = time.perf_counter()
    ops.download_file(job.files[0], target)
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "rss_growth": rss("VmHWM:") - start_rss}))
"""


def start_stack(folder: Path, tls: bool) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    argv = [sys.executable, "-m", "wyntek_localstack", "serve", "--port", "0", "--no-worker",
            "--data-dir", str(folder / "data"), "--max-file-size-mib", str(8 * 1024)]
    if tls:
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ca.cert_pem.write_to_path(str(folder / "ca.pem"))
        cert.private_key_pem.write_to_path(str(folder / "key.pem"))
        with open(folder / "cert.pem", "wb") as fh:
            for blob in cert.cert_chain_pems:
                fh.write(blob.bytes())
        argv += ["--tls-cert", str(folder / "cert.pem"), "--tls-key", str(folder / "key.pem")]
    proc = subprocess.Popen(argv, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=open(folder / "stack.log", "wb"))
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise SystemExit(f"local stack did not start: {(folder / 'stack.log').read_text()}")
    return proc, json.loads(line)


def prepare(info: dict[str, str], ca: str, path: Path) -> tuple[str, str, str]:
    """A customer's submitted job with the file, assigned to a new operator: (operator
    email, password, job id)."""
    url, anon = info["url"], info["anon_key"]
    service = {"apikey": info["service_role_key"],
               "Authorization": f"Bearer {info['service_role_key']}"}
    with httpx.Client(timeout=300, verify=ca or True) as http:
        r = http.post(f"{url}/auth/v1/signup", headers={"apikey": anon},
                      json={"email": f"bench-{uuid.uuid4().hex[:8]}@example.com",
                            "password": uuid.uuid4().hex})
        r.raise_for_status()
        token, uid = r.json()["access_token"], r.json()["user"]["id"]
        http.post(f"{url}/rest/v1/rpc/grant_tokens", headers=service,
                  json={"user_id": uid, "amount": 100000, "reason": "grant"}).raise_for_status()
        customer = {"apikey": anon, "Authorization": f"Bearer {token}"}
        client_job_id = str(uuid.uuid4())
        key = f"{uid}/{client_job_id}/part.stl"

        def body() -> Any:
            with open(path, "rb") as f:
                while data := f.read(MiB):
                    yield data
        r = http.post(f"{url}/storage/v1/object/designs/{key}", content=body(),
                      headers={**customer, "Content-Type": "application/octet-stream",
                               "Content-Length": str(path.stat().st_size)})
        r.raise_for_status()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        r = http.post(f"{url}/rest/v1/rpc/submit_job", headers=customer, json={
            "client_job_id": client_job_id,
            "spec": {"material_id": "fdm-pla", "quantity": 1, "tolerance_mm": 0.2,
                     "volume_cm3": 1.0},
            "files": [{"storage_path": key, "file_name": "part.stl", "kind": "model",
                       "size_bytes": path.stat().st_size, "sha256": digest}]})
        r.raise_for_status()
        job_id = r.json()["id"]
        email, password = f"operator-{uuid.uuid4().hex[:8]}@example.com", uuid.uuid4().hex
        r = http.post(f"{url}/auth/v1/admin/users", headers=service, json={
            "email": email, "password": password, "email_confirm": True,
            "app_metadata": {"role": "operator"}})
        r.raise_for_status()
        http.post(f"{url}/rest/v1/rpc/assign_operator", headers=service,
                  json={"job_id": job_id, "operator_id": r.json()["id"]}).raise_for_status()
    return email, password, job_id


def run_child(mode: str, info: dict[str, str], account: tuple[str, str, str], folder: Path,
              ca: str) -> dict[str, float]:
    target = Path(tempfile.mkdtemp(dir=folder))
    email, password, job_id = account
    out = subprocess.run([sys.executable, "-c", CHILD, mode, info["url"], info["anon_key"],
                          email, password, job_id, str(target), ca], cwd=REPO, check=True,
                         capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    for leftover in target.iterdir():  # keep the disk and the page cache comparable
        leftover.unlink()
    return result


LIST_SQL = """
with owner as (select user_id from public.jobs where id = %(job)s),
     op as (select operator_id from public.job_assignments where job_id = %(job)s),
     made as (
  insert into public.jobs (user_id, client_job_id, process, material_id, quantity,
                           tolerance_mm, volume_cm3, token_cost, spec, notes,
                           delivery_instructions)
  select owner.user_id, gen_random_uuid(), 'fdm', 'fdm-pla', 1 + i %% 50, 0.2, 1.0, 10,
         '{}'::jsonb, 'Bench job ' || i, 'Dock ' || i %% 7
    from owner, generate_series(1, %(n)s) as i
  returning id, user_id, client_job_id),
     files as (
  insert into public.job_files (job_id, user_id, storage_path, file_name, kind, size_bytes,
                                sha256)
  select id, user_id, user_id || '/' || client_job_id || '/part.stl', 'part.stl', 'model',
         1000, repeat('a', 64) from made returning job_id)
insert into public.job_assignments (job_id, operator_id)
select distinct files.job_id, op.operator_id from files, op
"""


def bench_list(info: dict[str, str], ca: str, account: tuple[str, str, str],
               n: int) -> None:
    import time

    import psycopg

    sys.path.insert(0, str(REPO))
    from wyntek_desktop.context import AppContext
    from wyntek_desktop.core.appdirs import AppDirs
    from wyntek_desktop.core.settings import Settings

    email, password, job_id = account
    with psycopg.connect(info["database_url"], autocommit=True) as conn:
        conn.execute(LIST_SQL, {"job": job_id, "n": n})
        conn.execute("analyze public.jobs, public.job_files, public.job_assignments")
    ctx = AppContext.build(Settings(supabase_url=info["url"], anon_key=info["anon_key"],
                                    ca_bundle=ca or None), dirs=AppDirs.default(), env={},
                           memory_only=True)
    ctx.session.sign_in(email, password)
    ops = ctx.api.operations
    timings: dict[str, float] = {}
    for what, status in (("all", None), ("status=reviewing", "reviewing"),
                         ("status=submitted", "submitted")):
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            jobs = ops.assigned_jobs(status)
            best = min(best, time.perf_counter() - t0)
        timings[what] = best
        print(f"  assigned_jobs({what}): {len(jobs)} jobs in {best * 1000:.0f} ms", flush=True)
    claims = json.dumps({"sub": ctx.session.user_id, "role": "authenticated",
                         "app_metadata": {"role": "operator"}})
    with psycopg.connect(info["database_url"]) as conn:
        conn.execute("select set_config('role', 'authenticated', true), "
                     "set_config('request.jwt.claims', %s, true)", [claims])
        plan = conn.execute("explain (analyze, buffers off) select * from public.operator_jobs "
                            "where status = 'submitted' order by created_at, id").fetchall()
    ctx.close()
    print("  plan (as the operator, status filter):")
    for (line,) in plan:
        print(f"    {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--plain-http", action="store_true",
                        help="serve without TLS (default: HTTPS with a throw-away CA)")
    parser.add_argument("--list-jobs", type=int, default=5000,
                        help="then list this many assigned jobs (0: skip)")
    args = parser.parse_args()
    size = args.size_mib * MiB
    with tempfile.TemporaryDirectory(prefix="wyntek-ops-download-bench-") as tmp:
        folder = Path(tmp)
        path = folder / "part.stl"
        with open(path, "wb") as f:
            for _ in range(args.size_mib):
                f.write(os.urandom(MiB))
        proc, info = start_stack(folder, tls=not args.plain_http)
        ca = "" if args.plain_http else str(folder / "ca.pem")
        try:
            account = prepare(info, ca, path)
            best: dict[str, dict[str, float]] = {}
            modes = ["get", "ours"]
            for round_no in range(args.rounds):
                for mode in modes[round_no % 2:] + modes[:round_no % 2]:
                    os.sync()
                    r = run_child(mode, info, account, folder, ca)
                    print(f"  {mode}: {r['seconds']:.2f} s", flush=True)
                    if mode not in best or r["seconds"] < best[mode]["seconds"]:
                        best[mode] = r
            if args.list_jobs:
                bench_list(info, ca, account, args.list_jobs)
        finally:
            proc.terminate()
            proc.wait(60)
    get, ours = best["get"], best["ours"]
    mbps = {k: size / v["seconds"] / MiB for k, v in best.items()}
    print(f"file: {args.size_mib} MiB, rounds: {args.rounds} (best of each), "
          f"{'plain HTTP' if args.plain_http else 'HTTPS'}, load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"plain streamed GET      : {get['seconds']:.2f} s  {mbps['get']:.0f} MiB/s  "
          f"RSS growth {get['rss_growth'] / MiB:.1f} MiB")
    print(f"checked operator download: {ours['seconds']:.2f} s  {mbps['ours']:.0f} MiB/s  "
          f"RSS growth {ours['rss_growth'] / MiB:.1f} MiB")
    print(f"throughput ratio        : {mbps['ours'] / mbps['get'] * 100:.0f} % of the plain "
          "GET (target >= 80 %)")
    print(f"client RSS growth       : {ours['rss_growth'] / MiB:.1f} MiB (target <= 64 MiB)")


if __name__ == "__main__":
    main()

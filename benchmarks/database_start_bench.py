"""Start-up cost of the embedded database (wyntek_localstack.database.Database).

Measures, median of N runs on this machine:
  * new:      Database(new dir).start()  (initdb + bootstrap + migrations + seed)
  * existing: Database(existing dir).start() (server start + bookkeeping queries)
  * baseline: pgserver alone starting the same existing cluster, no schema work
and prints one JSON line with the figures and the existing/baseline ratio, i.e. what
the bootstrap/migration check adds on top of starting PostgreSQL itself.

    .venv/bin/python benchmarks/database_start_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from wyntek_localstack.database import Database


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bare_pgserver_start(pgdata: Path) -> float:
    """Seconds for pgserver alone to start the cluster (then stopped, untimed)."""
    import pgserver
    from pgserver._commands import POSTGRES_BIN_PATH
    from pgserver.postgres_server import PostgresServer

    PostgresServer._instances.pop(pgdata.resolve(), None)
    (pgdata / ".handle_pids.json").write_text("[]")
    start = time.perf_counter()
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    server.get_uri()
    elapsed = time.perf_counter() - start
    subprocess.run([str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-w", "-m", "fast",
                    "stop"], check=True, capture_output=True, user=server.system_user)
    PostgresServer._instances.pop(pgdata.resolve(), None)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="wyntek-dbbench-"))
    try:
        new, existing, baseline = [], [], []
        for i in range(args.runs):
            db = Database(root / f"new{i}")
            new.append(timed(db.start))
            db.stop()
        kept = Database(root / "new0")
        for _ in range(args.runs):
            existing.append(timed(kept.start))
            kept.stop()
            baseline.append(bare_pgserver_start(root / "new0" / "postgres"))
        result = {
            "runs": args.runs,
            "load_average_1m": round(os.getloadavg()[0], 2),
            "new_start_s": round(statistics.median(new), 3),
            "existing_start_s": round(statistics.median(existing), 3),
            "bare_pgserver_start_s": round(statistics.median(baseline), 3),
            "existing_over_bare_ratio": round(statistics.median(existing)
                                              / statistics.median(baseline), 2),
        }
        print(json.dumps(result))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Operations page with many assigned jobs: the GUI thread's worst stall while the page
loads them from the real local stack, sorts every column both ways and filters.

    .venv/bin/python benchmarks/ops_page_bench.py [--jobs 5000]
    .venv/bin/python -m pytest tests/ui/test_operations_bench.py --run-slow   # the check

A real `serve` over HTTPS with a throw-away CA (no intake worker: the seeded jobs have no
stored files to verify); the jobs, their files and their assignments to one operator are
seeded in Postgres. The page runs in an offscreen QApplication signed in as the operator
(the token's role decides nothing here: RLS answers the `operator_jobs` view). A 10 ms
heartbeat timer on the GUI thread measures every stall (``tests/ui/heartbeat.py``),
also without the time the thread waited for a CPU other processes held ("own").

Baselines in the same run: the heartbeat over an idle event loop (the machine's noise),
and the same fetch (`Operations.assigned_jobs`) called with no Qt at all (what the
load costs before any widget sees it).

Prints one JSON object (and a readable summary on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SEED = """
with seeded as (
  insert into public.jobs (user_id, client_job_id, status, process, material_id, quantity,
                           tolerance_mm, volume_cm3, finish, notes, delivery_instructions,
                           token_cost, quoted_cost, verification, verified_volume_cm3, spec,
                           created_at, updated_at)
  select %(customer)s, gen_random_uuid(),
         (array['submitted', 'reviewing', 'in_production', 'shipped', 'completed'])[1 + i %% 5],
         'fdm', 'fdm-pla', 1 + i %% 50, 0.2, 8, 'Standard', 'Batch ' || i,
         'Dock ' || (i %% 9), 16, 16, 'passed', 8, '{}'::jsonb,
         now() - make_interval(mins => %(n)s - i), now() - make_interval(mins => %(n)s - i)
    from generate_series(1, %(n)s) as i
  returning id, user_id, client_job_id
), files as (
  insert into public.job_files (job_id, user_id, storage_path, file_name, kind, size_bytes,
                                sha256)
  select id, user_id, user_id || '/' || client_job_id || '/part.stl', 'part.stl', 'model',
         684, repeat('a', 64)
    from seeded
)
insert into public.job_assignments (job_id, operator_id)
select id, %(operator)s from seeded
"""


def start_stack(root: Path) -> Any:
    from tests.support.localstack import make_test_ca, serve_argv, start_instance

    ca = make_test_ca(root / "ca")
    return start_instance(serve_argv(root / "data", ca, worker=False), root / "server.log", ca)


def seed(stack: Any, n: int) -> tuple[str, str]:
    """An operator with ``n`` assigned jobs of one customer; the operator's credentials."""
    import psycopg

    from tests.operations.support import service_headers

    _email, _password, customer = stack.new_user("bench-customer")
    operator_email = f"bench-operator-{os.getpid()}@example.com"
    operator_password = f"pw-{os.urandom(8).hex()}"
    with stack.http() as http:
        r = http.post(f"{stack.url}/auth/v1/admin/users", headers=service_headers(stack),
                      json={"email": operator_email, "password": operator_password,
                            "email_confirm": True, "app_metadata": {"role": "operator"}})
        r.raise_for_status()
        operator = r.json()["id"]
    with psycopg.connect(stack.database_url, autocommit=True) as pg:
        pg.execute(SEED, {"customer": customer, "operator": operator, "n": n})
    return operator_email, operator_password


def _settle(app: Any, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)


def _beat_summary(beat: Any) -> dict[str, float]:
    return {"worst_stall_ms": round(beat.worst_ms, 1),
            "worst_own_stall_ms": round(beat.worst_own_ms, 1),
            "p99_stall_ms": round(beat.percentile(0.99), 1), "ticks": len(beat.gaps)}


def run(n: int = 5000) -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    root = Path(tempfile.mkdtemp(prefix="wyntek-ops-bench-"))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        os.environ[var] = str(root / var.lower())
    stack = start_stack(root)
    try:
        return _measure(stack, n)
    finally:
        stack.stop()
        shutil.rmtree(root, ignore_errors=True)


def _measure(stack: Any, n: int) -> dict[str, Any]:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from tests.api.support import context_for
    from tests.ui.heartbeat import Heartbeat
    from wyntek_desktop.ui.gc_policy import freeze_survivors
    from wyntek_desktop.ui.pages.operations import OperationsPage
    from wyntek_desktop.ui.services import Services

    t0 = time.perf_counter()
    email, password = seed(stack, n)
    seed_s = time.perf_counter() - t0
    ctx = context_for(stack, email=email, password=password, memory_only=True)
    # the fetch alone, no Qt: what loading costs before any widget sees it
    t0 = time.perf_counter()
    fetched = ctx.api.operations.assigned_jobs()
    fetch_ms = (time.perf_counter() - t0) * 1000
    assert len(fetched) == n, len(fetched)
    del fetched

    app = QApplication.instance() or QApplication([])
    services = Services(ctx)
    page = OperationsPage(services)
    page.resize(1280, 760)
    page.show()
    QTest.qWaitForWindowExposed(page)
    freeze_survivors(full=True)  # as the app does once it has booted
    idle = Heartbeat()
    idle.start()
    _settle(app, 2.0)
    idle.stop()

    services._set_signed_in(email)
    page.filter.setCurrentIndex(page.filter.findData(None))  # every job
    load = Heartbeat()
    load.start()
    t0 = time.perf_counter()
    page.refresh()
    while page.model.rowCount() < n:
        app.processEvents()
        time.sleep(0.001)
        if time.perf_counter() - t0 > 300:
            raise RuntimeError(f"only {page.model.rowCount()} of {n} jobs arrived")
    load_ms = (time.perf_counter() - t0) * 1000
    _settle(app, 0.3)
    load.stop()

    sort = Heartbeat()
    sort.start()
    header = page.table.horizontalHeader()
    t0 = time.perf_counter()
    for column in range(page.model.columnCount()):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            header.setSortIndicator(column, order)  # what a header click does
            _settle(app, 0.05)
    sort_s = time.perf_counter() - t0
    sort.stop()

    filtering = Heartbeat()
    filtering.start()
    t0 = time.perf_counter()
    shown: dict[str, int] = {}
    for index in range(page.filter.count()):
        page.filter.setCurrentIndex(index)
        _settle(app, 0.05)
        shown[str(page.filter.itemData(index))] = page.model.rowCount()
    page.filter.setCurrentIndex(page.filter.findData(None))
    for text in ("batch 4321", "dock 3", ""):
        page.search.setText(text)
        _settle(app, 0.3)  # past the typing pause
        shown[f"search {text!r}"] = page.model.rowCount()
    filter_s = time.perf_counter() - t0
    filtering.stop()

    page.shutdown()
    services.shutdown()
    page.close()
    return {"jobs": n, "seed_s": round(seed_s, 2),
            "fetch_without_qt_ms": round(fetch_ms, 1), "page_load_ms": round(load_ms, 1),
            "load_ratio_to_fetch": round(load_ms / fetch_ms, 2) if fetch_ms else None,
            "idle_baseline": _beat_summary(idle), "loading": _beat_summary(load),
            "sorting": {**_beat_summary(sort), "columns": page.model.columnCount(),
                        "seconds": round(sort_s, 2)},
            "filtering": {**_beat_summary(filtering), "seconds": round(filter_s, 2),
                          "rows_shown": shown},
            "target_stall_ms": 50, "load_average": os.getloadavg()[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=5000)
    args = parser.parse_args()
    result = run(args.jobs)
    print(json.dumps(result, indent=2))
    for phase in ("idle_baseline", "loading", "sorting", "filtering"):
        r = result[phase]
        print(f"{phase:14} worst {r['worst_stall_ms']:6.1f} ms  own {r['worst_own_stall_ms']:6.1f}"
              f" ms  p99 {r['p99_stall_ms']:5.1f} ms", file=sys.stderr)
    print(f"load {result['page_load_ms']:.0f} ms = {result['load_ratio_to_fetch']}x the fetch "
          f"alone ({result['fetch_without_qt_ms']:.0f} ms); load average "
          f"{result['load_average']:.1f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

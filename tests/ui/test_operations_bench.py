"""The Operations page over 5,000 assigned jobs keeps the GUI thread responsive while it
loads them from the real local stack, sorts and filters (benchmarks/ops_page_bench.py).

Slow (a stack of its own, 5,000 seeded jobs): run with --run-slow. The check uses the
stalls the app causes itself (the heartbeat without the wait for a CPU other processes
held), so a loaded machine does not fail it."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def test_five_thousand_assigned_jobs_load_sort_and_filter_without_a_stall() -> None:
    from benchmarks.ops_page_bench import run

    result = run(5000)
    assert result["filtering"]["rows_shown"]["None"] == 5000
    assert result["filtering"]["rows_shown"]["open"] == 4000  # completed ones are done
    assert result["filtering"]["rows_shown"]["submitted"] == 1000
    for phase in ("loading", "sorting", "filtering"):
        assert result[phase]["worst_own_stall_ms"] <= 50, (phase, result)

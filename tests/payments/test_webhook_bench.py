"""The webhook benchmark as a (slow) test: it must give exactly one credit per distinct
event under 200 concurrent deliveries. Its timings are printed, never asserted."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def test_200_concurrent_deliveries_of_50_events_credit_exactly_50() -> None:
    from benchmarks.payments_bench import main

    result = main(["--sequential", "20", "--distinct", "50", "--copies", "4"])
    concurrent = result["concurrent"]
    assert concurrent["http_200"] == 200
    assert concurrent["credited_outcomes"] == concurrent["credits_in_ledger"] == 50
    assert concurrent["balance"] == concurrent["expected_balance"]

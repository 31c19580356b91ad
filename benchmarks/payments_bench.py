"""Stripe webhook benchmark: latency of a verified delivery, and exactly-once credits
under concurrent duplicate deliveries.

Run:  .venv/bin/python benchmarks/payments_bench.py [--sequential 100] [--distinct 50] [--copies 4]

Against a real `python -m wyntek_localstack serve` over HTTPS with a throw-away CA: each
delivery goes through the gateway to the stripe-webhook Edge Function (Deno, Stripe SDK
signature check) and handle_stripe_event in Postgres. The baseline, measured in the same
run on the same server, is the gateway's own /auth/v1/health (no Deno, no database).

1. `--sequential` deliveries one after another, each completing a different purchase
   (the full credit path): p50/p95 against the baseline.
2. `--distinct` events, each delivered `--copies` times, all at once (200 requests for
   50 x 4): the number of credits must equal `--distinct`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.localstack import (  # noqa: E402
    LocalStackInstance,
    make_test_ca,
    serve_argv,
    start_instance,
)
from wyntek_localstack.stripe import sign_payload  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Bench:
    def __init__(self, stack: LocalStackInstance) -> None:
        self.stack = stack
        self.secret = stack.stripe_webhook_secret or ""
        self.http = stack.http(timeout=60)

    def buyer(self) -> tuple[str, str]:
        email, password, uid = self.stack.new_user("bench")
        return self.stack.sign_in(email, password)["access_token"], uid

    def sessions(self, count: int) -> tuple[list[str], list[dict[str, Any]]]:
        """`count` open checkouts of the starter pack, as Stripe would complete them, and
        their buyers (a new one every 15: start_purchase allows 20 open checkouts an hour)."""
        edge = json.loads((self.stack.data_dir / "edge.json").read_text())
        found: list[dict[str, Any]] = []
        buyers: list[str] = []
        token = ""
        for n in range(count):
            if n % 15 == 0:
                token, uid = self.buyer()
                buyers.append(uid)
            body = self.http.post(f"{self.stack.url}/functions/v1/create-checkout",
                                  json={"pack_id": "starter"},
                                  headers={"Authorization": f"Bearer {token}"}).json()
            origin, session_id = body["url"].rsplit("/pay/", 1)
            session = self.http.get(f"{origin}/v1/checkout/sessions/{session_id}",
                                    headers={"Authorization": f"Bearer {edge['stripe_secret_key']}"}
                                    ).json()
            session.update(status="complete", payment_status="paid",
                           payment_intent=f"pi_bench_{uuid.uuid4().hex}")
            found.append(session)
        return buyers, found

    @staticmethod
    def event(session: dict[str, Any]) -> bytes:
        return json.dumps({"id": f"evt_bench_{uuid.uuid4().hex}", "object": "event",
                           "type": "checkout.session.completed",
                           "data": {"object": session}}).encode()

    def headers(self, payload: bytes) -> dict[str, str]:
        return {"Stripe-Signature": sign_payload(payload, self.secret),
                "Content-Type": "application/json"}

    def credits(self, uids: list[str]) -> int:
        key = self.stack.service_role_key
        rows = self.http.get(f"{self.stack.url}/rest/v1/token_ledger?reason=eq.purchase"
                             f"&user_id=in.({','.join(uids)})&select=id",
                             headers={"apikey": key, "Authorization": f"Bearer {key}"}).json()
        return len(rows)

    def balance(self, uids: list[str]) -> int:
        key = self.stack.service_role_key
        rows = self.http.get(f"{self.stack.url}/rest/v1/profiles?id=in.({','.join(uids)})"
                             "&select=token_balance",
                             headers={"apikey": key, "Authorization": f"Bearer {key}"}).json()
        return sum(int(r["token_balance"]) for r in rows)


def sequential(bench: Bench, count: int) -> dict[str, Any]:
    uids, sessions = bench.sessions(count)
    rpc_uids, rpc_sessions = bench.sessions(count)
    url = f"{bench.stack.url}/functions/v1/stripe-webhook"
    health = f"{bench.stack.url}/auth/v1/health"
    rpc = f"{bench.stack.url}/rest/v1/rpc/handle_stripe_event"
    key = bench.stack.service_role_key
    hook_ms, base_ms, rpc_ms = [], [], []
    for _ in range(5):  # warm: Deno started, connections open
        bench.http.get(health)
    for session, rpc_session in zip(sessions, rpc_sessions, strict=True):
        start = time.perf_counter()
        bench.http.get(health)
        base_ms.append((time.perf_counter() - start) * 1000)
        # The same SQL function straight through PostgREST: what Deno and the SDK add.
        event = json.loads(bench.event(rpc_session))
        start = time.perf_counter()
        direct = bench.http.post(rpc, json={"event": event},
                                 headers={"apikey": key, "Authorization": f"Bearer {key}"})
        rpc_ms.append((time.perf_counter() - start) * 1000)
        assert direct.json()["outcome"] == "credited", direct.text
        payload = bench.event(session)
        start = time.perf_counter()
        response = bench.http.post(url, content=payload, headers=bench.headers(payload))
        hook_ms.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200 and response.json()["outcome"] == "credited", \
            response.text
    assert bench.credits(uids) == count and bench.credits(rpc_uids) == count
    return {"deliveries": count,
            "webhook_p50_ms": round(statistics.median(hook_ms), 1),
            "webhook_p95_ms": round(percentile(hook_ms, 0.95), 1),
            "direct_rpc_p50_ms": round(statistics.median(rpc_ms), 1),
            "direct_rpc_p95_ms": round(percentile(rpc_ms, 0.95), 1),
            "baseline_health_p50_ms": round(statistics.median(base_ms), 1),
            "baseline_health_p95_ms": round(percentile(base_ms, 0.95), 1),
            "p95_ratio_to_baseline": round(percentile(hook_ms, 0.95)
                                           / max(percentile(base_ms, 0.95), 1e-6), 1)}


def concurrent(bench: Bench, distinct: int, copies: int) -> dict[str, Any]:
    uids, sessions = bench.sessions(distinct)
    payloads = [bench.event(s) for s in sessions]
    deliveries = [p for p in payloads for _ in range(copies)]
    url = f"{bench.stack.url}/functions/v1/stripe-webhook"

    async def run() -> list[tuple[int, str]]:
        limits = httpx.Limits(max_connections=len(deliveries))
        async with httpx.AsyncClient(verify=bench.stack.ssl_context(), timeout=120,
                                     limits=limits) as client:
            async def one(payload: bytes) -> tuple[int, str]:
                response = await client.post(url, content=payload,
                                             headers=bench.headers(payload))
                return response.status_code, response.json().get("outcome", "")
            return await asyncio.gather(*(one(p) for p in deliveries))

    start = time.perf_counter()
    results = asyncio.run(run())
    elapsed = time.perf_counter() - start
    outcomes = [o for _, o in results]
    return {"deliveries": len(deliveries), "distinct_events": distinct,
            "http_200": sum(1 for s, _ in results if s == 200),
            "credited_outcomes": outcomes.count("credited"),
            "credits_in_ledger": bench.credits(uids),
            "balance": bench.balance(uids), "expected_balance": distinct * 100,
            "seconds": round(elapsed, 2)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sequential", type=int, default=100)
    parser.add_argument("--distinct", type=int, default=50)
    parser.add_argument("--copies", type=int, default=4)
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="wyntek-payments-bench-"))
    ca = make_test_ca(root / "ca")
    stack = start_instance(serve_argv(root / "data", ca), root / "server.log", ca)
    try:
        bench = Bench(stack)
        result = {"sequential": sequential(bench, args.sequential),
                  "concurrent": concurrent(bench, args.distinct, args.copies)}
    finally:
        stack.stop()
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()

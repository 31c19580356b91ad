"""`wyntek buy` and `wyntek purchases` as a subprocess against the local stack: the
address is printed, --wait returns once the payment on that page is confirmed."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.e2e.cli_support import stack_env, wyntek
from tests.payments.shop import Shop
from tests.support.isolation import REPO_ROOT


def test_buy_lists_packs_opens_a_checkout_and_waits_for_the_payment(shop: Shop) -> None:
    email, password, _ = shop.stack.new_user("cli-buyer")
    env = {**stack_env(shop.stack), "WYNTEK_EMAIL": email, "WYNTEK_PASSWORD": password}

    packs = wyntek("--json", "buy", env=env)
    assert packs.code == 0, packs.err
    assert [(p["id"], p["tokens"], p["price_cents"]) for p in packs.json()] == [
        ("starter", 100, 1000), ("workshop", 500, 4500), ("studio", 2000, 16000)]

    with subprocess.Popen(
            [sys.executable, "-m", "wyntek_desktop.cli", "buy", "starter", "--wait",
             "--timeout", "120"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT,
            env={**os.environ, **env}) as proc:  # its pipes are closed however it ends
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline()
            assert first.startswith("Pay in your browser: "), first
            url = first.split(": ", 1)[1].strip()
            assert shop.pay(url).status_code == 303
            out, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, err
    assert "Paid 10.00 EUR for 100 tokens" in out and "Balance: 100 tokens" in out

    history = wyntek("--json", "purchases", env=env)
    assert history.code == 0, history.err
    assert [(p["pack_id"], p["status"], p["amount_cents"]) for p in history.json()] == [
        ("starter", "paid", 1000)]


def test_checkout_refusals_map_to_the_cli_error_kinds() -> None:
    """create-checkout's HTTP refusals become the error classes (and exit codes) the CLI
    reports; the unknown pack itself is refused over HTTP in test_checkout_flow."""
    from wyntek_desktop.api.checkout import _refusal
    from wyntek_desktop.core import errors

    refusal = _refusal(404, "There is no token pack gold on sale; choose one from the list.")
    assert isinstance(refusal, errors.NotFoundError) and refusal.exit_code == 2
    assert isinstance(_refusal(401, ""), errors.SignInRequired)
    assert isinstance(_refusal(429, "Too many"), errors.ConflictError)
    assert isinstance(_refusal(502, "down"), errors.ServerError)

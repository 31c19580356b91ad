"""Buying tokens end to end through the local stack: create-checkout (Deno, real Stripe
SDK), the stand-in's checkout page, its signed webhook through the gateway to
stripe-webhook, handle_stripe_event in Postgres, and the receipt in the mail folder."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.payments.shop import Shop


def test_paying_on_the_checkout_page_credits_the_pack_once(shop: Shop) -> None:
    buyer = shop.customer()
    purchase_id, url = shop.checkout(buyer, "starter")
    assert shop.purchase(buyer, purchase_id)["status"] == "pending"
    page = shop.http.get(url)
    assert page.status_code == 200 and "10.00 EUR" in page.text

    paid = shop.pay(url)
    assert paid.status_code == 303
    assert paid.headers["location"].endswith(f"/local/checkout/done?purchase_id={purchase_id}")
    assert shop.balance(buyer) == 100
    row = shop.purchase(buyer, purchase_id)
    assert (row["status"], row["tokens"], row["amount_cents"], row["currency"]) == (
        "paid", 100, 1000, "eur")
    assert row["paid_at"] and row["stripe_payment_intent_id"].startswith("pi_")
    assert [(r["delta"], r["reason"], r["purchase_id"]) for r in shop.ledger(buyer)] == [
        (100, "purchase", purchase_id)]

    receipt = shop.mail_to(buyer.email, subject_has="Receipt")
    assert len(receipt) == 1
    assert "100 tokens" in receipt[0]["text"] and "10.00 EUR" in receipt[0]["text"]
    assert "<p>" in receipt[0]["html"] and purchase_id in receipt[0]["html"]
    assert receipt[0]["key"] == f"purchase-paid:{purchase_id}"
    shop.assert_ledger_sums_to_balance(buyer)


def test_twenty_concurrent_and_repeated_deliveries_credit_once(shop: Shop) -> None:
    buyer = shop.customer()
    purchase_id, url = shop.checkout(buyer, "workshop")
    session = shop.session(url)
    session.update(status="complete", payment_status="paid", payment_intent="pi_test_repeat")
    same_event = shop.event("checkout.session.completed", session)
    # The same session as a second, distinct event (Stripe may send completed and
    # async_payment_succeeded for one payment).
    other_event = shop.event("checkout.session.async_payment_succeeded", session)

    def deliver(event: dict[str, Any]) -> tuple[int, str]:
        with shop.stack.http() as client:  # a connection of its own: really concurrent
            response = shop.deliver(event, client=client)
        return response.status_code, response.json().get("outcome", "")

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(deliver, [same_event] * 15 + [other_event] * 5))
    results += [deliver(same_event) for _ in range(3)]
    assert all(status == 200 for status, _ in results), results
    outcomes = [outcome for _, outcome in results]
    assert outcomes.count("credited") == 1, outcomes
    assert set(outcomes) <= {"credited", "duplicate", "already_paid", "already_credited"}
    assert shop.balance(buyer) == 500
    assert shop.purchase(buyer, purchase_id)["status"] == "paid"
    assert [r["reason"] for r in shop.ledger(buyer)] == ["purchase"]
    assert len(shop.mail_to(buyer.email, subject_has="Receipt")) == 1
    shop.assert_ledger_sums_to_balance(buyer)


def test_declined_card_changes_nothing(shop: Shop) -> None:
    buyer = shop.customer()
    purchase_id, url = shop.checkout(buyer)
    declined = shop.pay(url, "4000 0000 0000 0002")
    assert declined.status_code == 402 and "Your card was declined." in declined.text
    assert shop.balance(buyer) == 0
    assert shop.purchase(buyer, purchase_id)["status"] == "pending"
    # The same checkout still pays with a good card afterwards.
    assert shop.pay(url).status_code == 303
    assert shop.balance(buyer) == 100


def test_bad_signature_stale_timestamp_and_wrong_amount_change_nothing(shop: Shop) -> None:
    buyer = shop.customer()
    purchase_id, url = shop.checkout(buyer)
    session = shop.session(url)
    session.update(status="complete", payment_status="paid", payment_intent="pi_test_forged")

    forged = shop.deliver(shop.event("checkout.session.completed", session),
                          secret="whsec_not_the_real_one")
    stale = shop.deliver(shop.event("checkout.session.completed", session),
                         timestamp=int(time.time()) - 301)
    unsigned = shop.http.post(f"{shop.stack.url}/functions/v1/stripe-webhook",
                              json=shop.event("checkout.session.completed", session))
    for response in (forged, stale, unsigned):
        assert response.status_code == 400
        assert "signature" in response.json()["error"].lower()

    cheap = dict(session, amount_total=1)
    wrong_amount = shop.deliver(shop.event("checkout.session.completed", cheap))
    assert wrong_amount.status_code == 200
    assert wrong_amount.json()["outcome"] == "amount_mismatch"
    wrong_currency = shop.deliver(shop.event("checkout.session.completed",
                                             dict(session, currency="usd")))
    assert wrong_currency.json()["outcome"] == "amount_mismatch"
    other = shop.deliver(shop.event("checkout.session.completed",
                                    dict(session, client_reference_id=purchase_id[::-1])))
    assert other.json()["outcome"] == "reference_mismatch"

    assert shop.balance(buyer) == 0
    assert shop.purchase(buyer, purchase_id)["status"] == "pending"
    assert shop.ledger(buyer) == []
    ignored = shop.deliver(shop.event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert ignored.status_code == 200 and ignored.json()["outcome"] == "ignored"


def test_expired_session_stays_unpaid(shop: Shop) -> None:
    buyer = shop.customer()
    purchase_id, url = shop.checkout(buyer)
    session = shop.session(url)
    assert shop.stripe("POST", f"/v1/checkout/sessions/{session['id']}/expire").status_code == 200
    assert shop.purchase(buyer, purchase_id)["status"] == "expired"
    assert shop.pay(url).status_code == 409
    late = dict(session, status="complete", payment_status="paid", payment_intent="pi_test_late")
    assert shop.deliver(shop.event("checkout.session.completed", late)).json()["outcome"] == (
        "already_expired")
    assert shop.balance(buyer) == 0


def test_refund_debits_the_tokens_with_a_record_and_mails_the_buyer(shop: Shop) -> None:
    buyer = shop.customer()
    purchase_id, url = shop.checkout(buyer, "workshop")
    shop.pay(url)
    intent = shop.purchase(buyer, purchase_id)["stripe_payment_intent_id"]

    half = shop.stripe("POST", "/v1/refunds", data={"payment_intent": intent, "amount": "2250"})
    assert half.status_code == 200, half.text
    assert shop.balance(buyer) == 250
    assert shop.purchase(buyer, purchase_id)["status"] == "paid"
    rest = shop.stripe("POST", "/v1/refunds", data={"payment_intent": intent})
    assert rest.status_code == 200, rest.text
    assert shop.balance(buyer) == 0
    row = shop.purchase(buyer, purchase_id)
    assert (row["status"], row["refunded_cents"], row["tokens_debited"]) == ("refunded", 4500, 500)
    assert [(r["delta"], r["reason"]) for r in shop.ledger(buyer)] == [
        (500, "purchase"), (-250, "refund"), (-250, "refund")]
    assert len(shop.mail_to(buyer.email, subject_has="Refund")) >= 1
    shop.assert_ledger_sums_to_balance(buyer)


def test_functions_gateway_checks_the_jwt_except_for_the_webhook(shop: Shop) -> None:
    url = f"{shop.stack.url}/functions/v1"
    missing = shop.http.post(f"{url}/create-checkout", json={"pack_id": "starter"})
    assert missing.status_code == 401
    forged = shop.http.post(f"{url}/create-checkout", json={"pack_id": "starter"},
                            headers={"Authorization": "Bearer e30.e30.c2ln"})
    assert forged.status_code == 401
    # The anon key is a valid JWT for the gateway; the function then wants a user.
    anon = shop.http.post(f"{url}/create-checkout", json={"pack_id": "starter"},
                          headers={"Authorization": f"Bearer {shop.stack.anon_key}"})
    assert anon.status_code == 401 and "Sign in" in anon.json()["error"]
    unknown_pack = shop.http.post(f"{url}/create-checkout", json={"pack_id": "gold"},
                                  headers={"Authorization": f"Bearer {shop.customer().token}"})
    assert unknown_pack.status_code == 404 and "no token pack gold" in unknown_pack.json()["error"]
    # The webhook takes no JWT: it gets as far as the signature check.
    webhook = shop.http.post(f"{url}/stripe-webhook", content=b"{}")
    assert webhook.status_code == 400 and "Stripe-Signature" in webhook.json()["error"]
    assert shop.http.post(f"{url}/no-such-function",
                          headers={"Authorization": f"Bearer {shop.stack.anon_key}"}
                          ).status_code == 404
    # A user cannot drain the outbox, nor call the webhook's SQL function.
    user = shop.customer()
    drain = shop.http.post(f"{url}/send-email", headers={"Authorization": f"Bearer {user.token}"})
    assert drain.status_code == 403
    direct = shop.rpc(user, "handle_stripe_event", {"event": shop.event("x", {"id": "y"})})
    assert direct.status_code in (401, 403, 404)

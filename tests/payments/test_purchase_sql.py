"""The purchase and email rules in Postgres itself (real migrations, roles and RLS), for
what the HTTP flow cannot reach easily: tokens spent before a refund, refusals by role,
the outbox's retry schedule."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.localstack.dbworld import (
    SERVICE,
    Actor,
    balance,
    call,
    create_user,
    ledger_sum,
    upload_and_submit,
    user_actor,
)
from wyntek_localstack.database import Database


@pytest.fixture(scope="module")
def db() -> Iterator[Database]:
    folder = Path(tempfile.mkdtemp(prefix="wyntek-payments-db-"))
    database = Database(folder)
    database.start()
    try:
        yield database
    finally:
        database.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg(db: Database) -> Iterator[psycopg.Connection[Any]]:
    with db.connect(autocommit=True) as connection:
        yield connection


def new_user(pg: psycopg.Connection[Any]) -> Actor:
    email = f"sql-{uuid.uuid4().hex[:10]}@example.test"
    return user_actor("buyer", create_user(pg, email), email)


def paid_purchase(pg: psycopg.Connection[Any], user: Actor,
                  pack: str = "workshop") -> dict[str, Any]:
    started = call(pg, user, "select public.start_purchase(%s)", (pack,))[0][0]
    session_id, intent = f"cs_test_{uuid.uuid4().hex}", f"pi_test_{uuid.uuid4().hex}"
    call(pg, SERVICE, "select public.record_checkout_session(%s, %s)", (started["id"], session_id))
    session = {"id": session_id, "object": "checkout.session", "client_reference_id": started["id"],
               "payment_status": "paid", "amount_total": started["amount_cents"],
               "currency": started["currency"], "payment_intent": intent}
    outcome = stripe_event(pg, "checkout.session.completed", session)
    assert outcome["outcome"] == "credited"
    return {**started, "intent": intent}


def stripe_event(pg: psycopg.Connection[Any], kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    event = {"id": f"evt_{uuid.uuid4().hex}", "type": kind, "data": {"object": obj}}
    result: dict[str, Any] = call(pg, SERVICE, "select public.handle_stripe_event(%s)",
                                  (Jsonb(event),))[0][0]
    return result


def test_price_comes_from_the_pack_and_only_signed_in_users_start_a_purchase(pg) -> None:
    user = new_user(pg)
    started = call(pg, user, "select public.start_purchase('studio')")[0][0]
    assert (started["tokens"], started["amount_cents"], started["currency"]) == (2000, 16000, "eur")
    with pytest.raises(psycopg.Error) as refused:
        call(pg, user, "select public.start_purchase('no-such-pack')")
    assert refused.value.sqlstate == "PT404"
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        call(pg, user, "select public.handle_stripe_event('{}'::jsonb)")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        call(pg, user, "select public.record_checkout_session(%s, 'cs_x')", (started["id"],))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        call(pg, user, "select * from public.email_outbox")
    # The owner sees the purchase; nobody else does.
    other = new_user(pg)
    assert call(pg, user, "select count(*) from public.purchases")[0][0] == 1
    assert call(pg, other, "select count(*) from public.purchases")[0][0] == 0


def test_a_refund_after_the_tokens_were_spent_never_goes_below_zero_and_records_the_rest(
        pg) -> None:
    user = new_user(pg)
    purchase = paid_purchase(pg, user, "starter")  # 100 tokens for 10.00 EUR
    assert user.uid is not None
    job = upload_and_submit(pg, user)
    spent = int(job["token_cost"])
    assert 0 < spent < 100
    left = balance(pg, user.uid)
    assert left == 100 - spent

    charge = {"id": "ch_test", "object": "charge", "payment_intent": purchase["intent"],
              "amount": 1000, "amount_refunded": 1000, "currency": "eur", "refunded": True}
    result = stripe_event(pg, "charge.refunded", charge)
    assert result == {"outcome": "refunded", "purchase_id": purchase["id"],
                      "tokens_debited": left, "tokens_unrecovered": spent}
    assert balance(pg, user.uid) == 0 == ledger_sum(pg, user.uid)
    row = call(pg, SERVICE, "select status, tokens_debited, tokens_unrecovered from "
                            "public.purchases where id = %s", (purchase["id"],))[0]
    assert row == ("refunded", left, spent)
    # The same refund delivered again (another event id) takes nothing more.
    assert stripe_event(pg, "charge.refunded", charge)["outcome"] == "already_refunded"
    assert balance(pg, user.uid) == 0


def test_receipt_is_queued_once_even_for_a_user_who_opted_out_of_job_updates(pg) -> None:
    user = new_user(pg)
    call(pg, user, "update public.profiles set email_job_updates = false where id = %s",
         (user.uid,))
    purchase = paid_purchase(pg, user)
    rows = call(pg, SERVICE, "select kind, to_email, idempotency_key, text_body, html_body "
                             "from public.email_outbox where user_id = %s", (user.uid,))
    assert len(rows) == 1
    kind, to_email, key, text_body, html_body = rows[0]
    assert (kind, to_email, key) == ("purchase_paid", user.claims["email"],
                                     f"purchase-paid:{purchase['id']}")
    assert "500 tokens" in text_body and "45.00 EUR" in text_body
    assert html_body.startswith("<!doctype html>") and "45.00 EUR" in html_body


def test_html_bodies_escape_what_users_typed(pg) -> None:
    user = new_user(pg)
    call(pg, user, "update public.profiles set display_name = %s where id = %s",
         ("<script>x</script>", user.uid))
    paid_purchase(pg, user, "starter")
    html_body, text_body = call(pg, SERVICE, "select html_body, text_body from public.email_outbox "
                                             "where user_id = %s", (user.uid,))[0]
    assert "<script>" not in html_body and "&lt;script&gt;" in html_body
    assert "<script>x</script>" in text_body


def test_drain_claims_retries_with_growing_delay_then_gives_up(pg) -> None:
    user = new_user(pg)
    paid_purchase(pg, user, "starter")
    (email_id,) = call(pg, SERVICE, "select id from public.email_outbox where user_id = %s",
                       (user.uid,))[0]

    def claim() -> list[int]:
        return [r[0] for r in call(pg, SERVICE, "select id from public.claim_emails(100)")]

    def due_now() -> None:
        call(pg, SERVICE, "update public.email_outbox set next_attempt_at = now() where id = %s",
             (email_id,))

    assert email_id in claim()
    assert email_id not in claim()  # claimed rows are locked for the running drain
    finish = "select public.finish_email(%s, null, %s, true)"
    state = call(pg, SERVICE, finish, (email_id, "rate_limit_exceeded: slow"))[0][0]
    assert state == "pending"
    delay = call(pg, SERVICE, "select extract(epoch from next_attempt_at - now()) "
                              "from public.email_outbox where id = %s", (email_id,))[0][0]
    assert 20 < delay <= 30
    assert email_id not in claim()
    for _ in range(7):
        due_now()
        assert email_id in claim()
        state = call(pg, SERVICE, finish, (email_id, "application_error: down"))[0][0]
    assert state == "failed"
    due_now()
    assert email_id not in claim()
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        call(pg, user, "select * from public.claim_emails(1)")

"""Security mail through the whole drain: the trigger queues it, the local stack's
scheduler calls send-email (Deno, Resend SDK), the Resend stand-in writes the .eml."""

from __future__ import annotations

from tests.payments.shop import Shop


def test_account_deletion_received_and_done_mails_reach_the_user(shop: Shop) -> None:
    user = shop.customer("leaving")
    # Opting out of job updates does not silence security mail.
    opted = shop.http.patch(f"{shop.stack.url}/rest/v1/profiles?id=eq.{user.user_id}",
                            json={"email_job_updates": False},
                            headers={"apikey": shop.stack.anon_key,
                                     "Authorization": f"Bearer {user.token}"})
    assert opted.status_code in (200, 204), opted.text
    assert shop.rpc(user, "request_account_deletion", {}).status_code == 200
    assert shop.rpc(user, "request_account_deletion", {}).status_code == 200  # idempotent
    received = shop.mail_to(user.email, subject_has="request to delete")
    assert len(received) == 1
    assert "within 30 days" in received[0]["text"]

    done = shop.http.patch(
        f"{shop.stack.url}/rest/v1/account_deletion_requests?user_id=eq.{user.user_id}",
        json={"status": "completed"},
        headers={"apikey": shop.stack.service_role_key,
                 "Authorization": f"Bearer {shop.stack.service_role_key}"})
    assert done.status_code in (200, 204), done.text
    deleted = shop.mail_to(user.email, subject_has="has been deleted")
    assert len(deleted) == 1 and deleted[0]["key"] == f"account-deletion-done:{user.user_id}"
    assert all(user.email == m["to"] for m in received + deleted)


def test_a_send_repeated_after_a_crash_delivers_once(shop: Shop) -> None:
    """A drain that died after Resend accepted a message leaves the row claimed; the next
    drain sends it again with the same idempotency key, and Resend keeps one email."""
    import time

    user = shop.customer("twice")
    _, url = shop.checkout(user)
    shop.pay(url)
    assert len(shop.mail_to(user.email, subject_has="Receipt")) == 1
    key = shop.stack.service_role_key
    headers = {"apikey": key, "Authorization": f"Bearer {key}"}
    outbox = f"{shop.stack.url}/rest/v1/email_outbox?user_id=eq.{user.user_id}"
    sent = shop.http.get(f"{outbox}&select=id,provider_message_id,attempts",
                         headers=headers).json()
    assert len(sent) == 1 and sent[0]["provider_message_id"]
    # As if the drain had crashed before recording the send: claimed, lock run out.
    reset = shop.http.patch(outbox, json={"status": "sending", "sent_at": None,
                                          "locked_until": "2000-01-01T00:00:00Z"},
                            headers=headers)
    assert reset.status_code in (200, 204), reset.text
    deadline = time.monotonic() + 30
    while True:
        row = shop.http.get(f"{outbox}&select=status,provider_message_id,attempts",
                            headers=headers).json()[0]
        if row["status"] == "sent" or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert row["status"] == "sent" and row["attempts"] == sent[0]["attempts"] + 1
    assert row["provider_message_id"] == sent[0]["provider_message_id"]
    assert len(shop.mail_to(user.email, subject_has="Receipt")) == 1

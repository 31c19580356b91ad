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

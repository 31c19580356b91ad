"""The local GoTrue's emailed-code endpoints on the wire, with the official client:
/otp and /verify (magic link), PUT /user email change shapes and limits, refusals."""

from __future__ import annotations

import uuid

import pytest
from supabase_auth.errors import AuthApiError

from tests.privacy.support import Mailbox, code_in


def test_a_code_sign_in_through_otp_and_verify(localstack) -> None:
    email, _, user_id = localstack.new_user("otp")
    sb = localstack.anon_client()
    box = Mailbox(localstack)
    sb.auth.sign_in_with_otp({"email": email, "options": {"should_create_user": False}})
    (mail,) = box.wait_for(email, "Your Magic Link")
    with pytest.raises(AuthApiError) as err:  # GoTrue's SMTP frequency limit
        sb.auth.sign_in_with_otp({"email": email})
    assert err.value.code == "over_email_send_rate_limit" and err.value.status == 429
    res = sb.auth.verify_otp({"email": email, "token": code_in(mail), "type": "email"})
    assert res.session is not None and res.user.id == user_id
    with pytest.raises(AuthApiError) as err:  # once only
        sb.auth.verify_otp({"email": email, "token": code_in(mail), "type": "magiclink"})
    assert err.value.code == "otp_expired" and err.value.status == 403
    stranger = f"stranger-{uuid.uuid4().hex[:8]}@example.com"
    with pytest.raises(AuthApiError) as err:
        sb.auth.sign_in_with_otp({"email": stranger, "options": {"should_create_user": False}})
    assert err.value.code == "otp_disabled" and err.value.status == 422


def test_email_change_wire_shapes(localstack) -> None:
    email, password, _ = localstack.new_user("wire")
    session = localstack.sign_in(email, password)
    headers = {"apikey": localstack.anon_key, "Authorization": f"Bearer {session['access_token']}",
               "X-Supabase-Api-Version": "2024-01-01"}
    new_email = f"wire-new-{uuid.uuid4().hex[:8]}@example.com"
    box = Mailbox(localstack)
    with localstack.http(base_url=f"{localstack.url}/auth/v1", headers=headers) as http:
        r = http.put("/user", json={"email": new_email, "code_challenge": "x" * 43,
                                    "code_challenge_method": "s256"})
        assert r.status_code == 200, r.text
        user = r.json()
        assert user["email"] == email and user["new_email"] == new_email
        assert user["email_change_sent_at"]
        again = http.put("/user", json={"email": new_email})
        assert again.status_code == 429
        assert again.json()["code"] == "over_email_send_rate_limit"
        assert again.headers["X-Supabase-Api-Version"] == "2024-01-01"
        (to_new,) = box.wait_for(new_email, "Confirm Email Change")
        first = http.post("/verify", json={"type": "email_change", "email": new_email,
                                           "token": code_in(to_new)})
        assert first.status_code == 200 and first.json()["code"] == "200"
        assert "other email" in first.json()["msg"]
        bad = http.post("/verify", json={"type": "phone_change", "email": email, "token": "1"})
        assert bad.status_code == 400 and bad.json()["code"] == "validation_failed"
        same = http.put("/user", json={"password": password})
        assert same.status_code == 422 and same.json()["code"] == "same_password"

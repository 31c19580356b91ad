"""GoTrue behaviour through the official supabase client and raw HTTP."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from supabase_auth.errors import AuthApiError, AuthWeakPasswordError

from tests.support.localstack import LocalStackInstance

API_HEADERS = {"X-Supabase-Api-Version": "2024-01-01"}


def test_sign_up_returns_a_session_and_auto_confirms(localstack: LocalStackInstance) -> None:
    sb = localstack.anon_client()
    email = f"signup-{uuid.uuid4().hex[:8]}@example.com"
    res = sb.auth.sign_up({"email": email, "password": "correct horse",
                           "options": {"data": {"display_name": "Ada"}}})
    assert res.session is not None and res.user is not None
    assert res.user.email == email
    assert res.user.user_metadata == {"display_name": "Ada"}
    assert res.user.email_confirmed_at is not None
    assert res.user.identities and res.user.identities[0].identity_data["email"] == email
    assert sb.auth.get_user().user.id == res.user.id


def test_duplicate_sign_up_is_user_already_exists(localstack: LocalStackInstance) -> None:
    email, password, _ = localstack.new_user()
    with pytest.raises(AuthApiError) as err:
        localstack.anon_client().auth.sign_up({"email": email, "password": password})
    assert err.value.code == "user_already_exists"
    assert err.value.status == 422


def test_weak_password_is_refused(localstack: LocalStackInstance) -> None:
    with pytest.raises(AuthWeakPasswordError) as err:
        localstack.anon_client().auth.sign_up(
            {"email": f"weak-{uuid.uuid4().hex[:8]}@example.com", "password": "123"})
    assert err.value.reasons == ["length"]


def test_wrong_password_is_invalid_credentials(localstack: LocalStackInstance) -> None:
    email, _, _ = localstack.new_user()
    sb = localstack.anon_client()
    with pytest.raises(AuthApiError) as err:
        sb.auth.sign_in_with_password({"email": email, "password": "not-the-password"})
    assert err.value.code == "invalid_credentials"
    assert err.value.status == 400
    with pytest.raises(AuthApiError) as err:
        sb.auth.sign_in_with_password({"email": "nobody@example.com", "password": "whatever1"})
    assert err.value.code == "invalid_credentials"


def test_sign_in_refresh_and_sign_out(localstack: LocalStackInstance) -> None:
    email, password, user_id = localstack.new_user()
    sb = localstack.anon_client()
    res = sb.auth.sign_in_with_password({"email": email, "password": password})
    assert res.user.id == user_id
    first = res.session
    refreshed = sb.auth.refresh_session()
    assert refreshed.session is not None
    assert refreshed.session.refresh_token != first.refresh_token
    assert refreshed.session.access_token
    with localstack.http() as http:
        claims = http.get(f"{localstack.url}/auth/v1/user", headers={
            "Authorization": f"Bearer {refreshed.session.access_token}"}).json()
    assert claims["id"] == user_id
    sb.auth.sign_out({"scope": "local"})
    assert sb.auth.get_session() is None
    with localstack.http() as http:
        r = http.post(f"{localstack.url}/auth/v1/token?grant_type=refresh_token",
                      headers=API_HEADERS, json={"refresh_token": refreshed.session.refresh_token})
    assert r.status_code == 400
    assert r.json()["code"] == "refresh_token_not_found"


def test_access_token_claims(localstack: LocalStackInstance) -> None:
    import jwt

    email, password, user_id = localstack.new_user(data={"team": "x"})
    session = localstack.sign_in(email, password)
    claims = jwt.decode(session["access_token"], options={"verify_signature": False})
    for key in ("aud", "exp", "iat", "iss", "sub", "email", "role", "app_metadata",
                "user_metadata", "session_id", "aal", "amr", "is_anonymous"):
        assert key in claims, key
    assert claims["sub"] == user_id and claims["aud"] == "authenticated"
    assert claims["role"] == "authenticated" and claims["exp"] - claims["iat"] == 3600
    assert claims["app_metadata"]["provider"] == "email"
    assert claims["user_metadata"] == {"team": "x"}
    assert claims["amr"][0]["method"] == "password"
    assert jwt.get_unverified_header(session["access_token"])["alg"] == "HS256"


def test_refresh_reuse_within_interval_is_tolerated(localstack: LocalStackInstance) -> None:
    email, password, _ = localstack.new_user()
    session = localstack.sign_in(email, password)
    with localstack.http() as http:
        url = f"{localstack.url}/auth/v1/token?grant_type=refresh_token"
        body = {"refresh_token": session["refresh_token"]}
        first = http.post(url, headers=API_HEADERS, json=body)
        again = http.post(url, headers=API_HEADERS, json=body)
    assert first.status_code == 200 and again.status_code == 200
    # As GoTrue: the replay gets the session's current token, not a competing one.
    assert again.json()["refresh_token"] == first.json()["refresh_token"]
    with localstack.http() as http:
        newest = http.post(url, headers=API_HEADERS,
                           json={"refresh_token": first.json()["refresh_token"]}).json()
        replay = http.post(url, headers=API_HEADERS, json=body)
        assert replay.status_code == 200
        assert replay.json()["refresh_token"] == newest["refresh_token"]
        user = http.get(f"{localstack.url}/auth/v1/user", headers={
            "Authorization": f"Bearer {replay.json()['access_token']}"})
        assert user.status_code == 200


def test_refresh_reuse_after_interval_revokes_the_session(localstack_factory) -> None:  # type: ignore[no-untyped-def]
    stack = localstack_factory(refresh_reuse_interval=0)
    email, password, _ = stack.new_user()
    session = stack.sign_in(email, password)
    url = f"{stack.url}/auth/v1/token?grant_type=refresh_token"
    with stack.http() as http:
        rotated = http.post(url, headers=API_HEADERS,
                            json={"refresh_token": session["refresh_token"]}).json()
        time.sleep(0.05)
        reuse = http.post(url, headers=API_HEADERS,
                          json={"refresh_token": session["refresh_token"]})
        assert reuse.status_code == 400
        assert reuse.json() == {"code": "refresh_token_already_used",
                                "message": "Invalid Refresh Token: Already Used"}
        assert reuse.headers["x-supabase-api-version"] == "2024-01-01"
        # The whole token family is revoked: the newest token no longer works either.
        child = http.post(url, headers=API_HEADERS,
                          json={"refresh_token": rotated["refresh_token"]})
        assert child.status_code == 400
        assert child.json()["code"] == "refresh_token_already_used"


def test_global_sign_out_revokes_every_session(localstack: LocalStackInstance) -> None:
    email, password, _ = localstack.new_user()
    one = localstack.sign_in(email, password)
    two = localstack.sign_in(email, password)
    with localstack.http() as http:
        r = http.post(f"{localstack.url}/auth/v1/logout?scope=global",
                      headers={"Authorization": f"Bearer {one['access_token']}"})
        assert r.status_code == 204
        r = http.post(f"{localstack.url}/auth/v1/token?grant_type=refresh_token",
                      headers=API_HEADERS, json={"refresh_token": two["refresh_token"]})
        assert r.json()["code"] == "refresh_token_not_found"
        r = http.get(f"{localstack.url}/auth/v1/user", headers={
            **API_HEADERS, "Authorization": f"Bearer {two['access_token']}"})
        assert r.status_code == 403 and r.json()["code"] == "session_not_found"


def test_sign_out_others_keeps_this_session(localstack: LocalStackInstance) -> None:
    email, password, _ = localstack.new_user()
    one = localstack.sign_in(email, password)
    two = localstack.sign_in(email, password)
    url = f"{localstack.url}/auth/v1/token?grant_type=refresh_token"
    with localstack.http() as http:
        assert http.post(f"{localstack.url}/auth/v1/logout?scope=others", headers={
            "Authorization": f"Bearer {one['access_token']}"}).status_code == 204
        assert http.post(url, json={"refresh_token": one["refresh_token"]}).status_code == 200
        assert http.post(url, json={"refresh_token": two["refresh_token"]}).status_code == 400
        bad = http.post(f"{localstack.url}/auth/v1/logout?scope=everyone", headers={
            **API_HEADERS, "Authorization": f"Bearer {one['access_token']}"})
        assert bad.status_code == 400 and bad.json()["code"] == "validation_failed"


def test_user_endpoint_requires_a_valid_bearer(localstack: LocalStackInstance) -> None:
    with localstack.http() as http:
        r = http.get(f"{localstack.url}/auth/v1/user", headers=API_HEADERS)
        assert r.status_code == 401 and r.json()["code"] == "no_authorization"
        r = http.get(f"{localstack.url}/auth/v1/user",
                     headers={**API_HEADERS, "Authorization": "Bearer not.a.jwt"})
        assert r.status_code == 403 and r.json()["code"] == "bad_jwt"
        # Legacy shape without the version header.
        r = http.get(f"{localstack.url}/auth/v1/user", headers={"Authorization": "Bearer x.y.z"})
        assert r.json()["error_code"] == "bad_jwt" and r.json()["code"] == 403


def test_update_user_metadata_and_password(localstack: LocalStackInstance) -> None:
    email, password, _ = localstack.new_user(data={"a": 1, "b": 2})
    sb = localstack.anon_client()
    sb.auth.sign_in_with_password({"email": email, "password": password})
    res = sb.auth.update_user({"data": {"b": None, "c": 3}, "password": "a-new-password"})
    assert res.user.user_metadata == {"a": 1, "c": 3}
    sb2 = localstack.anon_client()
    with pytest.raises(AuthApiError):
        sb2.auth.sign_in_with_password({"email": email, "password": password})
    assert sb2.auth.sign_in_with_password({"email": email, "password": "a-new-password"}).user


def test_admin_users_need_the_service_role(localstack: LocalStackInstance) -> None:
    admin = localstack.service_client().auth.admin
    email = f"operator-{uuid.uuid4().hex[:8]}@example.com"
    created = admin.create_user({"email": email, "password": "operator-pw",
                                 "email_confirm": True, "app_metadata": {"role": "operator"}})
    uid = created.user.id
    assert created.user.app_metadata["role"] == "operator"
    assert created.user.app_metadata["provider"] == "email"
    assert any(u.id == uid for u in admin.list_users(page=1, per_page=1000))
    assert admin.get_user_by_id(uid).user.email == email
    updated = admin.update_user_by_id(uid, {"user_metadata": {"desk": 4},
                                            "app_metadata": {"role": "operator", "site": "b"}})
    assert updated.user.user_metadata == {"desk": 4}
    assert updated.user.app_metadata["site"] == "b"
    # The operator role reaches the JWT the operator gets.
    session = localstack.sign_in(email, "operator-pw")
    assert session["user"]["app_metadata"]["role"] == "operator"
    with pytest.raises(AuthApiError) as err:
        admin.create_user({"email": email, "password": "operator-pw"})
    assert err.value.code == "email_exists"

    user_email, user_password, _ = localstack.new_user()
    user_token = localstack.sign_in(user_email, user_password)["access_token"]
    with localstack.http() as http:
        for token in (user_token, localstack.anon_key):
            r = http.get(f"{localstack.url}/auth/v1/admin/users",
                         headers={**API_HEADERS, "Authorization": f"Bearer {token}"})
            assert r.status_code == 403 and r.json()["code"] == "not_admin"
    admin.delete_user(uid)
    with pytest.raises(AuthApiError) as err:
        admin.get_user_by_id(uid)
    assert err.value.code == "user_not_found"
    with localstack.http() as http:
        r = http.post(f"{localstack.url}/auth/v1/token?grant_type=refresh_token",
                      headers=API_HEADERS, json={"refresh_token": session["refresh_token"]})
    assert r.json()["code"] == "refresh_token_not_found"


def test_admin_created_user_without_confirmation_cannot_sign_in(
        localstack: LocalStackInstance) -> None:
    admin = localstack.service_client().auth.admin
    email = f"unconfirmed-{uuid.uuid4().hex[:8]}@example.com"
    admin.create_user({"email": email, "password": "secret-pw"})
    with pytest.raises(AuthApiError) as err:
        localstack.anon_client().auth.sign_in_with_password(
            {"email": email, "password": "secret-pw"})
    assert err.value.code == "email_not_confirmed"


def test_recovery_writes_the_mail_and_its_code_signs_in(localstack: LocalStackInstance) -> None:
    email, _, user_id = localstack.new_user()
    mail_dir = localstack.data_dir / "mail"
    before = set(mail_dir.glob("*.eml")) if mail_dir.exists() else set()
    sb = localstack.anon_client()
    sb.auth.reset_password_for_email(email)
    sb.auth.reset_password_for_email("nobody-here@example.com")  # same answer, no mail
    mails = [p for p in mail_dir.glob("*.eml") if p not in before]
    assert len(mails) == 1
    text = mails[0].read_text()
    assert f"To: {email}" in text and "Reset Your Password" in text
    assert "/auth/v1/verify?token=" in text and "type=recovery" in text
    code = re.search(r"enter the code: (\d{6})", text)
    assert code is not None
    res = sb.auth.verify_otp({"email": email, "token": code.group(1), "type": "recovery"})
    assert res.user.id == user_id and res.session is not None
    sb.auth.update_user({"password": "recovered-password"})
    assert localstack.sign_in(email, "recovered-password")["user"]["id"] == user_id
    with pytest.raises(AuthApiError) as err:  # a code works once
        localstack.anon_client().auth.verify_otp(
            {"email": email, "token": code.group(1), "type": "recovery"})
    assert err.value.code == "otp_expired"


def test_settings_and_health(localstack: LocalStackInstance) -> None:
    with localstack.http() as http:
        settings = http.get(f"{localstack.url}/auth/v1/settings").json()
        assert settings["mailer_autoconfirm"] is True and settings["external"]["email"] is True
        assert http.get(f"{localstack.url}/auth/v1/health").status_code == 200


def test_wrong_recovery_codes_void_the_pending_code(localstack: LocalStackInstance) -> None:
    email, _, _ = localstack.new_user()
    mail_dir = localstack.data_dir / "mail"
    before = set(mail_dir.glob("*.eml")) if mail_dir.exists() else set()
    sb = localstack.anon_client()
    sb.auth.reset_password_for_email(email)
    (mail,) = [p for p in mail_dir.glob("*.eml") if p not in before]
    found = re.search(r"enter the code: (\d{6})", mail.read_text())
    assert found is not None
    code = found.group(1)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        with pytest.raises(AuthApiError) as err:
            sb.auth.verify_otp({"email": email, "token": wrong, "type": "recovery"})
        assert err.value.code == "otp_expired"
    with pytest.raises(AuthApiError):  # the right code no longer works either
        sb.auth.verify_otp({"email": email, "token": code, "type": "recovery"})

"""Forged, expired and tampered tokens are refused by all three services."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable

import jwt
import pytest

from tests.localstack.helpers import install_secret, mint, signed_in_client
from tests.support.localstack import LocalStackInstance


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def wrong_secret(stack: LocalStackInstance, sub: str, token: str) -> str:
    now = int(time.time())
    return jwt.encode({"sub": sub, "role": "service_role", "aud": "authenticated",
                       "iat": now, "exp": now + 600}, "not-the-secret-" * 4, algorithm="HS256")


def alg_none(stack: LocalStackInstance, sub: str, token: str) -> str:
    now = int(time.time())
    return (_b64({"alg": "none", "typ": "JWT"}) + "." +
            _b64({"sub": sub, "role": "service_role", "iat": now, "exp": now + 600}) + ".")


def expired(stack: LocalStackInstance, sub: str, token: str) -> str:
    now = int(time.time())
    return mint(stack, sub=sub, iat=now - 7200, exp=now - 3600)


def tampered(stack: LocalStackInstance, sub: str, token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "service_role"
    return f"{header}.{_b64(claims)}.{signature}"


def hs_with_other_alg(stack: LocalStackInstance, sub: str, token: str) -> str:
    now = int(time.time())
    return jwt.encode({"sub": sub, "role": "authenticated", "iat": now, "exp": now + 600},
                      install_secret(stack), algorithm="HS512")


FORGERIES: dict[str, Callable[[LocalStackInstance, str, str], str]] = {
    "wrong secret": wrong_secret, "alg none": alg_none, "expired": expired,
    "tampered claims": tampered, "HS512": hs_with_other_alg,
}


@pytest.mark.parametrize("kind", sorted(FORGERIES))
def test_forged_tokens_are_refused_everywhere(localstack: LocalStackInstance, kind: str) -> None:
    sb, uid, token = signed_in_client(localstack)
    forged = FORGERIES[kind](localstack, uid, token)
    headers = {"Authorization": f"Bearer {forged}", "apikey": localstack.anon_key}
    with localstack.http() as http:
        rest = http.get(f"{localstack.url}/rest/v1/profiles?select=*", headers=headers)
        assert rest.status_code == 401
        assert rest.json()["code"] == ("PGRST303" if kind == "expired" else "PGRST301")
        assert rest.headers["www-authenticate"].startswith("Bearer")
        user = http.get(f"{localstack.url}/auth/v1/user",
                        headers={**headers, "X-Supabase-Api-Version": "2024-01-01"})
        assert user.status_code == 403 and user.json()["code"] == "bad_jwt"
        store = http.get(f"{localstack.url}/storage/v1/object/authenticated/designs/{uid}/x",
                         headers=headers)
        assert store.status_code == 400 and store.json()["statusCode"] == "403"
        # The plain read route takes a forged token for none (as hosted): no bucket for it.
        plain = http.get(f"{localstack.url}/storage/v1/object/designs/{uid}/x", headers=headers)
        assert plain.status_code == 400 and plain.json()["code"] == "NoSuchBucket"
        admin = http.get(f"{localstack.url}/auth/v1/admin/users", headers={
            **headers, "X-Supabase-Api-Version": "2024-01-01"})
        assert admin.status_code == 403
        rpc = http.post(f"{localstack.url}/rest/v1/rpc/grant_tokens", headers=headers,
                        json={"user_id": uid, "amount": 1000, "reason": "grant"})
        assert rpc.status_code == 401
    assert sb.table("profiles").select("token_balance").single().execute() \
        .data["token_balance"] == 0


def test_unknown_api_key_is_refused(localstack: LocalStackInstance) -> None:
    with localstack.http() as http:
        r = http.get(f"{localstack.url}/rest/v1/materials",
                     headers={"apikey": "sb_publishable_not_ours"})
    assert r.status_code == 401
    assert r.json() == {"message": "Invalid authentication credentials"}


def test_anon_key_alone_sees_nothing_private(localstack: LocalStackInstance) -> None:
    signed_in_client(localstack)
    with localstack.http() as http:
        headers = {"apikey": localstack.anon_key,
                   "Authorization": f"Bearer {localstack.anon_key}"}
        profiles = http.get(f"{localstack.url}/rest/v1/profiles?select=id", headers=headers)
    # The API roles' table privileges exclude anon: PostgREST answers 401 for anon.
    assert profiles.status_code == 401 and profiles.json()["code"] == "42501"

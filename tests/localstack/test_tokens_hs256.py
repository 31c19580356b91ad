"""The stack's own HS256 JWT code, checked against PyJWT and against forgeries."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from wyntek_localstack import hs256
from wyntek_localstack.keys import Keys, TokenError

SECRET = "s" * 64  # long enough for HS512 too (no key-length warning)


def _seg(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _swap_payload(token: str, claims: dict[str, object]) -> str:
    header, _, signature = token.split(".")
    return f"{header}.{_seg(claims)}.{signature}"


def test_interoperates_with_pyjwt() -> None:
    claims = {"sub": "u", "role": "authenticated", "exp": int(time.time()) + 60, "n": [1, "ü"]}
    ours = hs256.encode(claims, SECRET)
    assert jwt.decode(ours, SECRET, algorithms=["HS256"]) == claims
    theirs = jwt.encode(claims, SECRET, algorithm="HS256")
    assert hs256.decode(theirs, SECRET) == claims


@pytest.mark.parametrize("make", [
    lambda c: jwt.encode(c, SECRET, algorithm="HS512"),
    lambda c: jwt.encode(c, "other" * 10, algorithm="HS256"),
    lambda c: _seg({"alg": "none"}) + "." + _seg(c) + ".",
    lambda c: _seg({"alg": "HS256"}) + "." + _seg(c),
    lambda c: "a.b.c",
    lambda c: "",
    lambda c: hs256.encode(c, SECRET)[:-2],
    lambda c: _swap_payload(hs256.encode(c, SECRET), {**c, "role": "service_role"}),
])
def test_forgeries_are_refused(make) -> None:  # type: ignore[no-untyped-def]
    claims = {"sub": "u", "role": "authenticated", "exp": int(time.time()) + 60}
    with pytest.raises(hs256.JWTError):
        hs256.decode(make(claims), SECRET)


def test_time_claims() -> None:
    now = int(time.time())
    with pytest.raises(hs256.JWTError) as err:
        hs256.decode(hs256.encode({"exp": now - 100}, SECRET), SECRET)
    assert err.value.expired
    assert hs256.decode(hs256.encode({"exp": now - 10}, SECRET), SECRET, leeway=30)
    for bad in ({"exp": "soon"}, {"exp": True}, {"exp": now + 60, "nbf": now + 600}, {}):
        with pytest.raises(hs256.JWTError):
            hs256.decode(hs256.encode(bad, SECRET), SECRET)


def test_keys_accept_only_api_roles() -> None:
    keys = Keys(SECRET, "anon", "service")
    good = keys.sign({"role": "authenticated", "exp": int(time.time()) + 60})
    assert keys.verify(good)["role"] == "authenticated"
    for role in ("postgres", "supabase_admin", None):
        with pytest.raises(TokenError):
            keys.verify(keys.sign({"role": role, "exp": int(time.time()) + 60}))

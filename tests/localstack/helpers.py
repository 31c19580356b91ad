"""Small helpers shared by the local stack's HTTP tests."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt

from tests.support.localstack import LocalStackInstance


def signed_in_client(stack: LocalStackInstance) -> tuple[Any, str, str]:
    """(official client signed in as a new user, user id, access token)."""
    email, password, user_id = stack.new_user()
    sb = stack.anon_client()
    res = sb.auth.sign_in_with_password({"email": email, "password": password})
    return sb, user_id, res.session.access_token


def install_secret(stack: LocalStackInstance) -> str:
    keys = json.loads((stack.data_dir / "keys.json").read_text())
    return str(keys["jwt_secret"])


def mint(stack: LocalStackInstance, **claims: Any) -> str:
    """A token signed with the install's real secret (for expiry and claim tests)."""
    now = int(time.time())
    base = {"aud": "authenticated", "role": "authenticated", "iat": now, "exp": now + 600}
    return jwt.encode({**base, **claims}, install_secret(stack), algorithm="HS256")


def raw_request(stack: LocalStackInstance, method: str, raw_path: str,
                headers: dict[str, str] | None = None, body: bytes = b"") -> tuple[int, bytes]:
    """Send a request whose path is not normalised by the client (dot segments, %2F)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(stack.url)
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.hostname, parts.port,
                                           context=stack.ssl_context(), timeout=30)
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, raw_path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()

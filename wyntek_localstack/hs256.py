"""HS256 JSON Web Tokens, and nothing else.

Small on purpose: the stack only ever issues and accepts HMAC-SHA256 tokens signed with
its own secret, so a full JOSE library (and its import time) buys nothing. Any other
`alg` (including `none`) is refused before the signature is looked at.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any


class JWTError(Exception):
    """The token is malformed, not HS256, badly signed or outside its lifetime."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.expired = expired


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64decode(text: str) -> bytes:
    if not text or len(text) % 4 == 1 or any(c in text for c in "+/= \n"):
        raise JWTError("invalid JWT: bad base64url segment")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise JWTError("invalid JWT: bad base64url segment") from None


def encode(claims: dict[str, Any], secret: str) -> str:
    header = _b64encode(json.dumps({"alg": "HS256", "typ": "JWT"},
                                   separators=(",", ":")).encode())
    payload = _b64encode(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64encode(signature)}"


def decode(token: str, secret: str, *, leeway: int = 0,
           require: tuple[str, ...] = ("exp",)) -> dict[str, Any]:
    """Verify signature and time claims; return the claims or raise JWTError."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JWTError("invalid JWT: expected three segments")
    header_b64, payload_b64, signature_b64 = parts
    try:
        header = json.loads(_b64decode(header_b64))
    except ValueError:
        raise JWTError("invalid JWT: header is not JSON") from None
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise JWTError("invalid JWT: signing algorithm not allowed")
    expected = hmac.new(secret.encode(), f"{header_b64}.{payload_b64}".encode(),
                        hashlib.sha256).digest()
    if not hmac.compare_digest(expected, _b64decode(signature_b64)):
        raise JWTError("signature verification failed")
    try:
        claims = json.loads(_b64decode(payload_b64))
    except ValueError:
        raise JWTError("invalid JWT: payload is not JSON") from None
    if not isinstance(claims, dict):
        raise JWTError("invalid JWT: payload is not an object")
    for name in require:
        if name not in claims:
            raise JWTError(f'invalid JWT: missing "{name}" claim')
    now = time.time()
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise JWTError(f'invalid JWT: "{name}" must be a number')
    if "exp" in claims and now > claims["exp"] + leeway:
        raise JWTError("JWT expired", expired=True)
    if "nbf" in claims and now < claims["nbf"] - leeway:
        raise JWTError("invalid JWT: not yet valid")
    if "iat" in claims and now < claims["iat"] - leeway:
        raise JWTError("invalid JWT: issued in the future")
    return claims

"""Per-install signing secret, API keys and HS256 access tokens.

The secret and the two API keys are created once per data dir and kept in
`<data_dir>/keys.json` (mode 0600), so tokens issued before a restart stay valid.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import hs256

API_ROLES = ("anon", "authenticated", "service_role")
# Anon/service keys live long: they are configuration, not sessions (as on the platform).
API_KEY_LIFETIME = 10 * 365 * 24 * 3600
# PostgREST allows this much clock skew on exp/iat/nbf.
LEEWAY_SECONDS = 30


class TokenError(Exception):
    """A bearer token was refused; `expired` tells the two wire shapes apart."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.expired = expired


@dataclass(frozen=True)
class Keys:
    secret: str
    anon_key: str
    service_role_key: str

    def sign(self, claims: dict[str, Any]) -> str:
        return hs256.encode(claims, self.secret)

    def verify(self, token: str) -> dict[str, Any]:
        """Return the claims of a token signed by this install, or raise TokenError."""
        try:
            claims = hs256.decode(token, self.secret, leeway=LEEWAY_SECONDS,
                                  require=("exp", "role"))
        except hs256.JWTError as exc:
            raise TokenError(exc.message, expired=exc.expired) from None
        if claims.get("role") not in API_ROLES:
            raise TokenError("invalid JWT: unknown role")
        return claims

    def role_of_api_key(self, key: str) -> str | None:
        if secrets.compare_digest(key, self.anon_key):
            return "anon"
        if secrets.compare_digest(key, self.service_role_key):
            return "service_role"
        return None


def _api_key(secret: str, role: str) -> str:
    now = int(time.time())
    claims = {"iss": "supabase", "ref": "localstack", "role": role, "iat": now,
              "exp": now + API_KEY_LIFETIME}
    return hs256.encode(claims, secret)


def load_or_create(data_dir: Path) -> Keys:
    """Read the install's keys, creating them on first start."""
    path = data_dir / "keys.json"
    if path.exists():
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Keys(raw["jwt_secret"], raw["anon_key"], raw["service_role_key"])
    secret = secrets.token_urlsafe(48)
    keys = Keys(secret, _api_key(secret, "anon"), _api_key(secret, "service_role"))
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"jwt_secret": keys.secret, "anon_key": keys.anon_key,
                   "service_role_key": keys.service_role_key}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return keys

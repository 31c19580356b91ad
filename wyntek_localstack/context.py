"""What every request handler needs: settings, keys, the pool and caller resolution."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from starlette.requests import Request

from .keys import Keys, TokenError
from .pg import Pool

DEFAULT_MAX_FILE_SIZE = 50 * 1024 * 1024
# Storage's TUS_PART_SIZE (MiB by default 50): TUS uploads reach S3 in parts this size.
DEFAULT_TUS_PART_SIZE = 50 * 1024 * 1024


@dataclass
class Settings:
    data_dir: Path
    jwt_expiry: int = 3600
    tus_expiry: int = 86400
    # Filled in once the listening socket is known.
    public_url: str = ""
    # GoTrue's refresh-token reuse interval: a rotated token may be replayed this long.
    refresh_reuse_interval: int = 10
    # Storage's global upload limit; a Free project allows 50 MiB per object.
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    # The part size of a TUS upload's multipart etag ("<md5 of part md5s>-<parts>").
    tus_part_size: int = DEFAULT_TUS_PART_SIZE


@dataclass
class Caller:
    role: str
    claims: dict[str, Any]
    token: str | None = None

    @property
    def sub(self) -> str | None:
        sub = self.claims.get("sub")
        return str(sub) if sub else None


class InvalidApiKey(Exception):
    """The apikey header is not one of this install's keys."""


class ServiceState(Protocol):
    """What a service keeps in memory between requests, made from the settings."""

    def __init__(self, settings: Settings) -> None: ...


StateT = TypeVar("StateT", bound=ServiceState)


@dataclass
class Context:
    settings: Settings
    keys: Keys
    pool: Pool
    # The server's event loop, known once the app has started.
    loop: asyncio.AbstractEventLoop | None = None
    _states: dict[type[Any], Any] = field(default_factory=dict, repr=False)

    def state(self, kind: type[StateT]) -> StateT:
        """The one `kind` object of this server (each service owns its own state class)."""
        found = self._states.get(kind)
        if found is None:
            found = self._states[kind] = kind(self.settings)
        assert isinstance(found, kind)
        return found

    def bearer(self, request: Request) -> str | None:
        value = request.headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()

    def caller(self, request: Request) -> Caller:
        """Who is calling: the bearer JWT if any, else the role of the apikey, else anon.

        Raises TokenError for a bearer that is forged, expired or malformed, and
        InvalidApiKey for an apikey that this install did not issue.
        """
        apikey = request.headers.get("apikey")
        if apikey is not None and self.keys.role_of_api_key(apikey) is None:
            raise InvalidApiKey()
        token = self.bearer(request)
        if token is not None:
            claims = self.keys.verify(token)
            return Caller(claims["role"], claims, token)
        role = self.keys.role_of_api_key(apikey) if apikey else None
        role = role or "anon"
        return Caller(role, {"role": role})


def context_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


__all__ = ["Caller", "Context", "InvalidApiKey", "ServiceState", "Settings", "TokenError",
           "context_of"]

"""Composition root: build settings, HTTP client, session and API once, pass them on.

Both the CLI and the GUI call ``AppContext.build``; nothing in the app is a singleton.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from wyntek_desktop.api.client import Api
from wyntek_desktop.core.appdirs import AppDirs
from wyntek_desktop.core.http import make_http_client
from wyntek_desktop.core.session import Session
from wyntek_desktop.core.settings import Settings, resolve_settings

log = logging.getLogger(__name__)


def unattended_credentials(env: Mapping[str, str]) -> tuple[str, str] | None:
    """``WYNTEK_EMAIL``/``WYNTEK_PASSWORD`` for CI: used in memory only, never stored."""
    email, password = env.get("WYNTEK_EMAIL"), env.get("WYNTEK_PASSWORD")
    return (email, password) if email and password else None


@dataclass
class AppContext:
    dirs: AppDirs
    settings: Settings
    http: httpx.Client
    session: Session
    api: Api
    # Filled in when the outbox and the upload runner are wired (upload package).
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load_settings(cls, dirs: AppDirs | None = None, *, env: Mapping[str, str] | None = None,
                      flags: Mapping[str, str | None] | None = None) -> Settings:
        dirs = dirs or AppDirs.default()
        return resolve_settings(dirs.settings_file, os.environ if env is None else env, flags)

    @classmethod
    def build(cls, settings: Settings, *, dirs: AppDirs | None = None,
              env: Mapping[str, str] | None = None, memory_only: bool = False) -> AppContext:
        """Everything the app needs to talk to the service (no network I/O here)."""
        dirs = dirs or AppDirs.default()
        env = os.environ if env is None else env
        http = make_http_client(settings)
        try:
            session = Session(settings, http, memory_only=memory_only,
                              fallback_credentials=unattended_credentials(env))
        except Exception:
            http.close()
            raise
        api = Api(session, dirs.catalogue_file)
        return cls(dirs=dirs, settings=settings, http=http, session=session, api=api)

    def close(self) -> None:
        for extra in self.extras.values():
            close = getattr(extra, "close", None)
            if callable(close):
                close()
        self.http.close()

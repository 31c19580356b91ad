"""Build the real client objects (settings → HTTP → session → API) for a local stack."""

from __future__ import annotations

from typing import Any

from wyntek_desktop.context import AppContext
from wyntek_desktop.core.appdirs import AppDirs
from wyntek_desktop.core.settings import Settings


def settings_for(stack: Any, *, ca: bool = True) -> Settings:
    return Settings(supabase_url=stack.url, anon_key=stack.anon_key,
                    ca_bundle=str(stack.ca_path) if ca and stack.ca_path else None)


def context_for(stack: Any, *, email: str | None = None, password: str | None = None,
                **kwargs: Any) -> AppContext:
    ctx = AppContext.build(settings_for(stack), dirs=AppDirs.default(), env={}, **kwargs)
    if email and password:
        ctx.session.sign_in(email, password)
    return ctx

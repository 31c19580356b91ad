"""Composition root: build settings, HTTP client, session and API once, pass them on.

Both the CLI and the GUI call ``AppContext.build`` (or ``build_local`` for ``--local``,
the embedded demo service); nothing in the app is a singleton.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from wyntek_desktop.api.client import Api
from wyntek_desktop.api.http import make_http_client
from wyntek_desktop.api.session import Session
from wyntek_desktop.core.appdirs import AppDirs
from wyntek_desktop.core.settings import Settings, resolve_settings
from wyntek_desktop.local_demo import DEMO_EMAIL, LocalBackend, start_local_backend

if TYPE_CHECKING:
    from wyntek_desktop.core.outbox import Outbox
    from wyntek_desktop.upload.events import EventHandler
    from wyntek_desktop.upload.runner import UploadRunner

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
    # Built on first use: the CLI's read-only commands never open the outbox database.
    _outbox: Outbox | None = field(default=None, repr=False)
    _runner: UploadRunner | None = field(default=None, repr=False)
    upload_events: list[EventHandler] = field(default_factory=list)

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

    @property
    def outbox(self) -> Outbox:
        if self._outbox is None:
            self._outbox = open_outbox(self.dirs)
        return self._outbox

    @property
    def runner(self) -> UploadRunner:
        """The upload runner over the outbox; events go to every ``upload_events`` handler."""
        if self._runner is None:
            self._runner = self.make_runner(self.outbox)
        return self._runner

    def make_runner(self, outbox: Outbox) -> UploadRunner:
        """An upload runner for this session over ``outbox``, reporting to ``upload_events``.

        The one recipe for a runner. The GUI asks for one over its own outbox, which it
        opens before any service is configured and keeps across settings changes; it
        stops that runner itself (``close`` stops only the ``runner`` property's)."""
        from wyntek_desktop.upload.runner import UploadRunner

        settings, session, api = self.settings, self.session, self.api
        return UploadRunner(
            outbox, lambda: make_http_client(settings), api.access_token,
            api.submit_job, lambda: session.user_id, api.storage_url,
            session.anon_key, events=self._dispatch, check_affordable=api.check_affordable)

    def _dispatch(self, event: Any) -> None:
        for handler in list(self.upload_events):
            handler(event)

    def close(self) -> None:
        if self._runner is not None:
            self._runner.stop()
        if self._outbox is not None:
            self._outbox.close()
        self.http.close()


def open_outbox(dirs: AppDirs) -> Outbox:
    """This user's outbox database (open it once per process: opening sweeps old copies)."""
    from wyntek_desktop.core.outbox import Outbox

    return Outbox.open(dirs.data / "outbox.sqlite3")


def build_local(dirs: AppDirs, settings_for: Callable[[LocalBackend], Settings], *,
                sign_in: bool = True,
                progress: Callable[[float, str], None] | None = None,
                ) -> tuple[AppContext, LocalBackend]:
    """``--local``: start the embedded demo service, build a context on it that keeps its
    session in memory, and sign in the demo account (unless ``sign_in`` is false).

    ``settings_for`` turns the running service into settings (the CLI and the GUI read
    their own). The caller closes the context, then stops the service; on failure both
    are already cleaned up."""
    if progress is not None:
        progress(0.1, "Starting the local demo service…")
    backend = start_local_backend(dirs.localstack_data)
    try:
        settings = settings_for(backend)
        if progress is not None:
            progress(0.6, "Connecting…")
        ctx = AppContext.build(settings, dirs=dirs, memory_only=True)
        try:
            if sign_in:
                ctx.session.sign_in(DEMO_EMAIL, backend.demo_password)
        except BaseException:
            ctx.close()
            raise
    except BaseException:
        backend.stop()
        raise
    return ctx, backend

"""Come back online by itself: while the window is offline, look for the service now and
then (2 s, doubling to 30 s) and pick up where it left off once it answers.

The service answering again means: its health endpoint replies. Then the session is
checked (signed in again if it still holds), the profile and catalogue are read and the
upload runner resumes. With ``--local`` the demo service may have gone for good (its
owner, another program, quit); then this window joins or starts the demo service again
(``rejoin``) and adopts the new context.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx
from PySide6.QtCore import QObject, QTimer

from wyntek_desktop.core.errors import WyntekError
from wyntek_desktop.ui.services import OFFLINE, Services
from wyntek_desktop.ui.workers import TaskState

log = logging.getLogger(__name__)

FIRST_DELAY_MS = 2_000
MAX_DELAY_MS = 30_000
PROBE_TIMEOUT_S = 10.0

#: Worker function: stop the old demo backend, join or start one, return (ctx, backend).
Rejoin = Callable[[TaskState, Any], tuple[Any, Any]]


def service_answers(ctx: Any) -> bool:
    """Whether the context's service replies to its health check (in a worker)."""
    settings = ctx.settings
    try:
        reply = ctx.http.get(f"{settings.supabase_url.rstrip('/')}/auth/v1/health",
                             headers={"apikey": settings.anon_key or ""},
                             timeout=PROBE_TIMEOUT_S)
    except httpx.HTTPError:
        return False
    return reply.status_code < 500


class Reconnector(QObject):
    def __init__(self, services: Services, rejoin: Rejoin | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent or services)
        self.services = services
        self.rejoin = rejoin
        self.delay_ms = FIRST_DELAY_MS
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.probe)
        self._probing = False
        services.connection_changed.connect(self._connection_changed)

    def _connection_changed(self, state: str, _message: str) -> None:
        if state == OFFLINE:
            if not self.timer.isActive() and not self._probing:
                self.timer.start(self.delay_ms)
        else:
            self.timer.stop()
            self.delay_ms = FIRST_DELAY_MS

    def probe(self) -> None:
        services = self.services
        if services.closing or services.ctx is None or services.connection != OFFLINE:
            return
        self._probing = True
        ctx, backend, rejoin = services.ctx, services.local_backend, self.rejoin

        def look(state: TaskState) -> tuple[str, Any]:
            if service_answers(ctx):
                return "back", None
            if rejoin is not None and backend is not None:
                return "rejoined", rejoin(state, backend)
            return "away", None

        services.pool.submit(look, on_result=self._looked, on_error=self._failed)

    def _looked(self, outcome: tuple[str, Any]) -> None:
        self._probing = False
        services = self.services
        if services.closing:
            if outcome[0] == "rejoined":  # too late to adopt: let go of it again
                ctx, backend = outcome[1]
                services.pool.submit(lambda state: (ctx.close(), backend.stop()))
            return
        kind, value = outcome
        if kind == "back":
            log.info("the service answers again")
            if services.signed_in:
                services.after_sign_in()  # profile (back online), catalogue, uploads
            else:
                services.restore_session()
        elif kind == "rejoined":
            ctx, backend = value
            log.info("joined the local demo service again at %s", backend.url)
            services.local_backend = backend
            services.set_context(ctx)
        else:
            self._again()

    def _failed(self, exc: BaseException) -> None:
        self._probing = False
        message = exc.message if isinstance(exc, WyntekError) else str(exc)
        log.info("the service is still away: %s", message)
        self._again()

    def _again(self) -> None:
        if self.services.closing or self.services.connection != OFFLINE:
            return
        self.delay_ms = min(self.delay_ms * 2, MAX_DELAY_MS)
        self.timer.start(self.delay_ms)

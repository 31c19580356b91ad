"""What every part of ``Services`` shares: its signals, its state, the call helper and the
connection state.

``call`` is the one way the window runs work: ``fn(state, ...)`` on the worker pool
(``ui.workers``), a named design task imported in the worker (``call_named``), or
CPU-heavy work in the helper process (``call_in_process``, ``background.procpool``).
Results and errors come back on the GUI thread; errors as a ``WyntekError``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from wyntek_desktop.background.procpool import ProcessPool
from wyntek_desktop.core.errors import NetworkError, SignInRequired, WyntekError
from wyntek_desktop.ui.workers import Task, WorkerPool

if TYPE_CHECKING:
    from wyntek_desktop.api.client import Api
    from wyntek_desktop.context import AppContext
    from wyntek_desktop.core.models import MaterialCatalogue
    from wyntek_desktop.core.outbox import Outbox
    from wyntek_desktop.local_demo import LocalBackend
    from wyntek_desktop.upload.runner import UploadRunner

log = logging.getLogger(__name__)

# A runner and its context being stopped in a worker (either may be None).
Retiring = tuple["UploadRunner | None", "AppContext | None"]


class ConnectionState(StrEnum):
    """The window's view of the service (the status bar shows it)."""

    OFFLINE = "offline"
    ONLINE = "online"
    NOT_CONFIGURED = "not_configured"
    SIGNED_OUT = "signed_out"
    CONNECTING = "connecting"


def as_user_error(exc: BaseException) -> WyntekError:
    """Any exception as a sentence for a person (unexpected ones are logged in full)."""
    if isinstance(exc, WyntekError):
        return exc
    log.error("unexpected error", exc_info=exc)
    return WyntekError(f"Something went wrong: {exc}.",
                       hint="The details are in the log file (Help ▸ Logs).")


class EventBridge(QObject):
    """Lives in the GUI thread; ``emit_event`` may be called from any thread."""

    happened = Signal(object)

    def emit_event(self, event: object) -> None:
        self.happened.emit(event)


class ServicesBase(QObject):
    signed_in_changed = Signal(object)      # email (str) or None
    connection_changed = Signal(str, str)   # ConnectionState, message
    balance_changed = Signal(object)        # int or None
    profile_changed = Signal(object)        # Profile
    catalogue_changed = Signal(object)      # MaterialCatalogue
    outbox_changed = Signal()
    runner_event = Signal(object)           # upload.events.Event, in the GUI thread
    error = Signal(object)                  # WyntekError for the inline banner
    info = Signal(str)                      # a short confirmation for the banner
    policy_notice = Signal(object)          # a PolicyVersion not shown yet (once each)
    role_changed = Signal(object)           # "operator" or None (services_operations)

    def __init__(self, ctx: AppContext | None = None, *, pool: WorkerPool | None = None,
                 outbox: Outbox | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool or WorkerPool(parent=self)
        self.procs = ProcessPool()
        self.ctx = ctx
        self.outbox = outbox
        self.runner: UploadRunner | None = None
        self.local_backend: LocalBackend | None = None
        self.email: str | None = None
        self.balance: int | None = None
        self.catalogue: MaterialCatalogue | None = None
        self.connection = (ConnectionState.NOT_CONFIGURED if ctx is None
                           else ConnectionState.SIGNED_OUT)
        self.closing = False
        # (runner, context) pairs being stopped in a worker; shutdown finishes them
        self._retiring: list[Retiring] = []
        # upload runner events arrive on the runner's threads; the bridge re-emits them here
        self._bridge = EventBridge(self)
        self._bridge.happened.connect(self._on_runner_event)

    # -- running work ---------------------------------------------------------------------
    def call(self, fn: Callable[..., Any], *args: Any,
             on_result: Callable[[Any], None] | None = None,
             on_error: Callable[[WyntekError], None] | None = None,
             on_progress: Callable[[float, str], None] | None = None,
             on_finished: Callable[[], None] | None = None,
             latest: str | None = None) -> Task:
        """Run ``fn(state, *args)`` in a worker; errors go to ``on_error`` or the banner."""
        def failed(exc: BaseException) -> None:
            err = as_user_error(exc)
            self._note_failure(err)
            (on_error or self.error.emit)(err)
        return self.pool.submit(fn, *args, on_result=on_result, on_error=failed,
                                on_progress=on_progress, on_finished=on_finished,
                                latest=latest)

    def call_named(self, target: str, *args: Any, **callbacks: Any) -> Task:
        """Like ``call`` for a ``module:function`` imported in the worker, not here."""
        from wyntek_desktop.background.targets import run_named
        return self.call(run_named, target, *args, **callbacks)

    def call_in_process(self, target: str, *args: Any, **callbacks: Any) -> Task:
        """Like ``call`` for CPU-heavy ``module:function`` work: runs in a helper process."""
        return self.call(self.procs.run, target, *args, **callbacks)

    # -- connection and sign-in state -----------------------------------------------------
    def _note_failure(self, err: WyntekError) -> None:
        if isinstance(err, SignInRequired):
            self._set_signed_in(None)
        elif isinstance(err, NetworkError):
            self._set_connection(ConnectionState.OFFLINE, err.message)

    def _set_connection(self, state: ConnectionState, message: str = "") -> None:
        if state != self.connection or message:
            self.connection = state
            self.connection_changed.emit(state, message)

    def _set_signed_in(self, email: str | None) -> None:
        self.email = email
        if email is None:
            self.balance = None
            self.balance_changed.emit(None)
            self._set_connection(ConnectionState.SIGNED_OUT if self.ctx is not None
                                 else ConnectionState.NOT_CONFIGURED)
        else:
            self._set_connection(ConnectionState.ONLINE)
        self.signed_in_changed.emit(email)

    @property
    def api(self) -> Api | None:
        return None if self.ctx is None else self.ctx.api

    @property
    def configured(self) -> bool:
        return self.ctx is not None

    @property
    def signed_in(self) -> bool:
        return self.email is not None

    # -- provided by the parts (``Services`` combines them) ---------------------------------
    def after_sign_in(self) -> None:
        raise NotImplementedError  # Services

    def restore_session(self) -> None:
        raise NotImplementedError  # SessionServices

    def refresh_profile(self) -> None:
        raise NotImplementedError  # AccountServices

    def _on_runner_event(self, event: object) -> None:
        raise NotImplementedError  # UploadServices

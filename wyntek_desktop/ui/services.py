"""The window's link to the core: one object that owns the context and runs calls off
the GUI thread.

Pages never touch ``api``/``outbox``/``runner`` directly from the GUI thread: they ask
``Services.call(fn, ...)`` which runs ``fn(state)`` in the worker pool and delivers the
result (or a ``WyntekError`` for the inline banner) back in the GUI thread. Upload
runner events arrive on its own threads and are re-emitted here as queued signals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from wyntek_desktop.core.errors import (
    NetworkError,
    SignInRequired,
    WyntekError,
)
from wyntek_desktop.ui.workers import Task, TaskState, WorkerPool

log = logging.getLogger(__name__)

OFFLINE, ONLINE, NOT_CONFIGURED, SIGNED_OUT, CONNECTING = (
    "offline", "online", "not_configured", "signed_out", "connecting")


def as_user_error(exc: BaseException) -> WyntekError:
    """Any exception as a sentence for a person (unexpected ones are logged in full)."""
    if isinstance(exc, WyntekError):
        return exc
    log.error("unexpected error", exc_info=exc)
    return WyntekError(f"Something went wrong: {exc}.",
                       hint="The details are in the log file (Help ▸ Logs).")


class _EventBridge(QObject):
    """Lives in the GUI thread; ``emit_event`` may be called from any thread."""

    happened = Signal(object)

    def emit_event(self, event: object) -> None:
        self.happened.emit(event)


class Services(QObject):
    signed_in_changed = Signal(object)      # email (str) or None
    connection_changed = Signal(str, str)   # state, message
    balance_changed = Signal(object)        # int or None
    profile_changed = Signal(object)        # Profile
    catalogue_changed = Signal(object)      # MaterialCatalogue
    outbox_changed = Signal()
    runner_event = Signal(object)           # upload.events.Event, in the GUI thread
    error = Signal(object)                  # WyntekError for the inline banner
    info = Signal(str)                      # a short confirmation for the banner

    def __init__(self, ctx: Any = None, *, pool: WorkerPool | None = None,
                 outbox: Any = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool or WorkerPool(parent=self)
        self.ctx = ctx
        self.outbox = outbox
        self.runner: Any = None
        self.email: str | None = None
        self.balance: int | None = None
        self.catalogue: Any = None
        self.connection = NOT_CONFIGURED if ctx is None else SIGNED_OUT
        from wyntek_desktop.background.procpool import ProcessPool
        self.procs = ProcessPool()
        self._bridge = _EventBridge(self)
        self._bridge.happened.connect(self._on_runner_event)
        self.local_backend: Any = None
        self.closing = False
        # (runner, context) pairs being stopped in a worker; shutdown finishes them
        self._retiring: list[tuple[Any, Any]] = []

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

    def _note_failure(self, err: WyntekError) -> None:
        if isinstance(err, SignInRequired):
            self._set_signed_in(None)
        elif isinstance(err, NetworkError):
            self._set_connection(OFFLINE, err.message)

    def _set_connection(self, state: str, message: str = "") -> None:
        if state != self.connection or message:
            self.connection = state
            self.connection_changed.emit(state, message)

    def _set_signed_in(self, email: str | None) -> None:
        self.email = email
        if email is None:
            self.balance = None
            self.balance_changed.emit(None)
            self._set_connection(SIGNED_OUT if self.ctx is not None else NOT_CONFIGURED)
        else:
            self._set_connection(ONLINE)
        self.signed_in_changed.emit(email)

    @property
    def api(self) -> Any:
        return None if self.ctx is None else self.ctx.api

    @property
    def configured(self) -> bool:
        return self.ctx is not None

    @property
    def signed_in(self) -> bool:
        return self.email is not None

    # -- context --------------------------------------------------------------------------
    def set_context(self, ctx: Any) -> None:
        """Adopt a (new) context, e.g. after the settings changed; wires the runner.

        The old runner is stopped and the old context closed in a worker (stopping waits
        for an upload request to end); the new runner is made only after that, so two
        runners never send the same outbox."""
        old, runner = self.ctx, self._detach_runner()
        self.ctx = ctx
        self._set_signed_in(None)
        retiring = (runner, old if old is not ctx else None)
        self._retiring.append(retiring)

        def retire(state: TaskState) -> None:
            _retire(*retiring)
            self._retiring.remove(retiring)

        def adopt() -> None:
            if self.ctx is ctx and ctx is not None and not self.closing:
                self._make_runner()
                self.restore_session()
        if retiring == (None, None):
            self._retiring.remove(retiring)
            adopt()
        else:
            self.call(retire, on_finished=adopt)

    def _make_runner(self) -> None:
        """The context's runner recipe over our outbox; its events reach the GUI thread
        through the bridge, registered as one of the context's ``upload_events``."""
        if self.outbox is None or self.ctx is None:
            return
        if self._bridge.emit_event not in self.ctx.upload_events:
            self.ctx.upload_events.append(self._bridge.emit_event)
        self.runner = self.ctx.make_runner(self.outbox)

    def _detach_runner(self) -> Any:
        """Forget the runner (the caller stops it) and stop listening to its context."""
        runner, self.runner = self.runner, None
        if self.ctx is not None and self._bridge.emit_event in self.ctx.upload_events:
            self.ctx.upload_events.remove(self._bridge.emit_event)
        return runner

    def _stop_runner(self) -> None:
        runner = self._detach_runner()
        if runner is not None:
            runner.stop(timeout=10)

    def restore_session(self) -> None:
        """Signed in from the keyring? Check it in a worker (may refresh over the net)."""
        if self.ctx is None:
            return
        session = self.ctx.session

        def check(state: TaskState) -> str | None:
            if not session.signed_in:
                return None
            session.current()
            return session.email or ""
        self.call(check, on_result=self._after_sign_in_check,
                  on_error=lambda err: self._set_connection(
                      OFFLINE if isinstance(err, NetworkError) else SIGNED_OUT, err.message))

    def _after_sign_in_check(self, email: str | None) -> None:
        self._set_signed_in(email)
        if email is not None:
            self.after_sign_in()

    def sign_in(self, email: str, password: str, remember: bool,
                on_done: Callable[[Any], None], on_error: Callable[[WyntekError], None]) -> None:
        session = self.ctx.session
        # The demo service (--local) keeps its session in memory whatever the box says.
        keyring_allowed = self.local_backend is None

        def work(state: TaskState) -> Any:
            from wyntek_desktop.api.session import STORAGE_KEY  # imports supabase: slow

            storage = session.storage
            if not remember:
                # Keep this session in memory only: the user's choice, so there is nothing
                # to warn of. A session kept by an earlier "stay signed in" is forgotten
                # once this sign-in has worked, not before: a mistyped password keeps it.
                storage.use_memory(None)
                result = session.sign_in(email, password)
                storage.forget_saved(STORAGE_KEY)
                return result
            if keyring_allowed and storage.memory_only:
                storage.use_keyring()  # stays in memory, with the reason, if it fails
            return session.sign_in(email, password)

        def done(result: Any) -> None:
            self._set_signed_in(result.email or email)
            self.after_sign_in()
            on_done(result)
        self.call(work, on_result=done, on_error=on_error)

    def after_sign_in(self) -> None:
        self.refresh_profile()
        self.load_catalogue()
        if self.runner is not None:
            runner = self.runner
            self.call(lambda state: (runner.notify_signed_in(), runner.start()))

    def sign_out(self) -> None:
        if self.ctx is None:
            return
        session = self.ctx.session
        self.call(lambda state: session.sign_out(),
                  on_finished=lambda: self._set_signed_in(None))

    # -- data -----------------------------------------------------------------------------
    def refresh_profile(self) -> None:
        if self.api is None:
            return
        api = self.api
        self.call(lambda state: api.profile(), on_result=self._got_profile, latest="profile")

    def _got_profile(self, profile: Any) -> None:
        self.balance = profile.token_balance
        self._set_connection(ONLINE)
        self.balance_changed.emit(profile.token_balance)
        self.profile_changed.emit(profile)

    def load_catalogue(self) -> None:
        if self.api is None:
            return
        api = self.api
        self.call(lambda state: api.materials(), on_result=self._got_catalogue,
                  latest="catalogue")

    def _got_catalogue(self, catalogue: Any) -> None:
        self.catalogue = catalogue
        self.catalogue_changed.emit(catalogue)

    # -- uploads --------------------------------------------------------------------------
    @Slot(object)
    def _on_runner_event(self, event: object) -> None:
        from wyntek_desktop.upload.events import JobStateChanged, RunnerStateChanged

        if self.closing:
            return
        if isinstance(event, RunnerStateChanged):
            if event.state == "offline":
                self._set_connection(OFFLINE, event.message)
            elif event.state == "sign_in_required":
                self._set_signed_in(None)
        elif isinstance(event, JobStateChanged):
            self.outbox_changed.emit()
            if event.state == "submitted":
                self.refresh_profile()
        self.runner_event.emit(event)

    def kick_uploads(self) -> None:
        runner = self.runner
        if runner is not None and self.signed_in:
            self.call(lambda state: runner.start())

    def shutdown(self) -> None:
        self.closing = True
        self._stop_runner()
        self.pool.cancel_all()
        self.procs.shutdown()
        self.pool.shutdown()
        for retiring in list(self._retiring):  # their worker was cancelled before it ran
            _retire(*retiring)
        self._retiring.clear()
        if self.ctx is not None:
            self.ctx.close()
            self.ctx = None
        if self.outbox is not None:
            self.outbox.close()
            self.outbox = None
        if self.local_backend is not None:
            self.local_backend.stop()
            self.local_backend = None


def _retire(runner: Any, ctx: Any) -> None:
    """Stop a runner, then close its context (both may be None; both may block)."""
    if runner is not None:
        runner.stop(timeout=10)
    if ctx is not None:
        ctx.close()

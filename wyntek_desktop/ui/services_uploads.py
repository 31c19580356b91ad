"""The upload runner's lifecycle in the window, and its events on the GUI thread.

One runner per context, over the window's own outbox (kept across settings changes).
A new context retires the old runner first, in a worker (stopping waits for an upload
request to end), so two runners never send the same outbox.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Slot

from wyntek_desktop.core.outbox import JobState
from wyntek_desktop.ui.services_base import ConnectionState, ServicesBase
from wyntek_desktop.ui.workers import TaskState
from wyntek_desktop.upload.events import JobStateChanged, RunnerState, RunnerStateChanged

if TYPE_CHECKING:
    from wyntek_desktop.context import AppContext
    from wyntek_desktop.ui.services_base import Retiring
    from wyntek_desktop.upload.runner import UploadRunner


class UploadServices(ServicesBase):
    def set_context(self, ctx: AppContext | None) -> None:
        """Adopt a (new) context, e.g. after the settings changed; wires the runner."""
        old, runner = self.ctx, self._detach_runner()
        self.ctx = ctx
        self._set_signed_in(None)
        retiring: Retiring = (runner, old if old is not ctx else None)
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

    def _detach_runner(self) -> UploadRunner | None:
        """Forget the runner (the caller stops it) and stop listening to its context."""
        runner, self.runner = self.runner, None
        if self.ctx is not None and self._bridge.emit_event in self.ctx.upload_events:
            self.ctx.upload_events.remove(self._bridge.emit_event)
        return runner

    def _stop_runner(self) -> None:
        runner = self._detach_runner()
        if runner is not None:
            runner.stop(timeout=10)

    def _finish_retiring(self) -> None:
        """At shutdown: retire what a cancelled worker did not get to."""
        for retiring in list(self._retiring):
            _retire(*retiring)
        self._retiring.clear()

    @Slot(object)
    def _on_runner_event(self, event: object) -> None:
        if self.closing:
            return
        if isinstance(event, RunnerStateChanged):
            if event.state == RunnerState.OFFLINE:
                self._set_connection(ConnectionState.OFFLINE, event.message)
            elif event.state == RunnerState.SIGN_IN_REQUIRED:
                self._set_signed_in(None)
        elif isinstance(event, JobStateChanged):
            self.outbox_changed.emit()
            if event.state == JobState.SUBMITTED:
                self.refresh_profile()
        self.runner_event.emit(event)

    def start_uploads(self) -> None:
        """Tell the runner the user is signed in and let it send (in a worker)."""
        runner = self.runner
        if runner is None:
            return

        def start(state: TaskState) -> None:
            runner.notify_signed_in()
            runner.start()
        self.call(start)

    def kick_uploads(self) -> None:
        runner = self.runner
        if runner is not None and self.signed_in:
            self.call(lambda state: runner.start())


def _retire(runner: UploadRunner | None, ctx: AppContext | None) -> None:
    """Stop a runner, then close its context (both may be None; both may block)."""
    if runner is not None:
        runner.stop(timeout=10)
    if ctx is not None:
        ctx.close()

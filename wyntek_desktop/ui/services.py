"""The window's link to the rest of the app: one object that owns the context and runs
calls off the GUI thread.

Pages never touch ``api``/``outbox``/``runner`` directly from the GUI thread: they ask
``Services.call(fn, ...)`` which runs ``fn(state)`` in the worker pool and delivers the
result (or a ``WyntekError`` for the inline banner) back in the GUI thread.

``Services`` is assembled from one part per concern:

- ``services_base``: signals, state, the call helper, the connection state;
- ``services_session``: signing in and out, checking a kept session;
- ``services_uploads``: the upload runner's lifecycle and its events;
- ``services_account``: the profile (balance), the material catalogue, account
  management (recovery, password and email changes) and the policy notice;
- ``services_operations``: the account's role (operator) and the operators' calls.
"""

from __future__ import annotations

from wyntek_desktop.ui.services_account import AccountServices
from wyntek_desktop.ui.services_base import ConnectionState, as_user_error
from wyntek_desktop.ui.services_operations import OperationsServices
from wyntek_desktop.ui.services_session import SessionServices
from wyntek_desktop.ui.services_uploads import UploadServices

__all__ = ["CONNECTING", "NOT_CONFIGURED", "OFFLINE", "ONLINE", "SIGNED_OUT",
           "ConnectionState", "Services", "as_user_error"]

OFFLINE, ONLINE = ConnectionState.OFFLINE, ConnectionState.ONLINE
NOT_CONFIGURED, SIGNED_OUT = ConnectionState.NOT_CONFIGURED, ConnectionState.SIGNED_OUT
CONNECTING = ConnectionState.CONNECTING


class Services(SessionServices, UploadServices, AccountServices, OperationsServices):
    def after_sign_in(self) -> None:
        self.refresh_profile()
        self.load_catalogue()
        self.start_uploads()
        self.check_policy()

    def shutdown(self) -> None:
        self.closing = True
        self._stop_runner()
        self.pool.cancel_all()
        self.procs.shutdown()
        self.pool.shutdown()
        self._finish_retiring()  # their worker was cancelled before it ran
        if self.ctx is not None:
            self.ctx.close()
            self.ctx = None
        if self.outbox is not None:
            self.outbox.close()
            self.outbox = None
        if self.local_backend is not None:
            self.local_backend.stop()
            self.local_backend = None

"""Signing in and out, and checking a kept session at start-up (all in workers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from wyntek_desktop.core.errors import ConfigError, NetworkError, WyntekError
from wyntek_desktop.ui.services_base import ConnectionState, ServicesBase
from wyntek_desktop.ui.workers import TaskState

if TYPE_CHECKING:
    from wyntek_desktop.core.models import SignInResult


class SessionServices(ServicesBase):
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

        def failed(err: WyntekError) -> None:
            offline = isinstance(err, NetworkError)
            self._set_connection(ConnectionState.OFFLINE if offline
                                 else ConnectionState.SIGNED_OUT, err.message)
        self.call(check, on_result=self._after_sign_in_check, on_error=failed)

    def _after_sign_in_check(self, email: str | None) -> None:
        self._set_signed_in(email)
        if email is not None:
            self.after_sign_in()

    def sign_in(self, email: str, password: str, remember: bool,
                on_done: Callable[[SignInResult], None],
                on_error: Callable[[WyntekError], None]) -> None:
        if self.ctx is None:  # the dialog checks first; this keeps the type honest
            on_error(ConfigError("No WYNTEK service is configured yet.",
                                 hint="Open Settings (Ctrl+,) and enter the backend URL "
                                      "and anon key."))
            return
        session = self.ctx.session
        # The demo service (--local) keeps its session in memory whatever the box says.
        keyring_allowed = self.local_backend is None

        def work(state: TaskState) -> SignInResult:
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

        def done(result: SignInResult) -> None:
            self._set_signed_in(result.email or email)
            self.after_sign_in()
            on_done(result)
        self.call(work, on_result=done, on_error=on_error)

    def sign_out(self) -> None:
        if self.ctx is None:
            return
        session = self.ctx.session
        self.call(lambda state: session.sign_out(),
                  on_finished=lambda: self._set_signed_in(None))

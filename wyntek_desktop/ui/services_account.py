"""The signed-in account: its profile (balance), the material catalogue, and account
management (password recovery and change, email change, the deletion request, email
preferences, the export preview, policy notices), all fetched in workers; the latest
answer is kept for pages that open later.

Calls that change who is signed in (a recovery code signs in, an email change renames
the account) update the window's sign-in state here, on the GUI thread, once the
service has said yes; everything else is a plain ``call`` whose result the page shows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wyntek_desktop.core.errors import ConfigError, WyntekError
from wyntek_desktop.ui.services_base import ConnectionState, ServicesBase

if TYPE_CHECKING:
    from wyntek_desktop.api.account import AccountApi
    from wyntek_desktop.core.account import EmailChangeConfirmation, PolicyVersion
    from wyntek_desktop.core.models import MaterialCatalogue, Profile
    from wyntek_desktop.ui.workers import Task, TaskState

log = logging.getLogger(__name__)
Done = Callable[[Any], None]
Failed = Callable[[WyntekError], None]


def _not_configured() -> ConfigError:
    return ConfigError("No WYNTEK service is configured yet.",
                       hint="Open Settings (Ctrl+,) and enter the backend URL and anon key.")


class AccountServices(ServicesBase):
    def refresh_profile(self) -> None:
        api = self.api
        if api is None:
            return
        self.call(lambda state: api.profile(), on_result=self._got_profile, latest="profile")

    def _got_profile(self, profile: Profile) -> None:
        self.balance = profile.token_balance
        self._set_connection(ConnectionState.ONLINE)
        self.balance_changed.emit(profile.token_balance)
        self.profile_changed.emit(profile)

    def load_catalogue(self) -> None:
        api = self.api
        if api is None:
            return
        self.call(lambda state: api.materials(), on_result=self._got_catalogue,
                  latest="catalogue")

    def _got_catalogue(self, catalogue: MaterialCatalogue) -> None:
        self.catalogue = catalogue
        self.catalogue_changed.emit(catalogue)

    # -- account management -----------------------------------------------------------------
    @property
    def account(self) -> AccountApi | None:
        api = self.api
        return None if api is None else api.account

    def account_call(self, work: Callable[[AccountApi], Any], on_done: Done | None = None,
                     on_error: Failed | None = None, latest: str | None = None) -> Task | None:
        """``work(account_api)`` in a worker; ``on_error`` (else the banner) hears of a
        failure, and a lost session or connection also reaches the status bar."""
        account = self.account
        if account is None:
            (on_error or self.error.emit)(_not_configured())
            return None
        return self.call(lambda state: work(account), on_result=on_done, on_error=on_error,
                         latest=latest)

    # password recovery: the emailed code signs in, then the new password is set
    def send_recovery_code(self, email: str, on_done: Done, on_error: Failed) -> None:
        self.account_call(lambda account: account.request_password_recovery(email),
                          on_done, on_error)

    def sign_in_with_recovery_code(self, email: str, code: str, remember: bool,
                                   on_done: Done, on_error: Failed) -> None:
        """The code signs in, kept as the sign-in dialog's "stay signed in" says (in the
        keyring, or in memory only; the demo service's always in memory). The window
        hears of it only once the new password is set or the dialog closes."""
        if self.ctx is None:
            on_error(_not_configured())
            return
        session = self.ctx.session
        account = self.ctx.api.account
        keyring_allowed = self.local_backend is None

        def work(state: TaskState) -> Any:
            from wyntek_desktop.api.session import STORAGE_KEY  # imports supabase: slow

            storage = session.storage
            if not remember:  # as a password sign-in without "stay signed in" does
                storage.use_memory(None)
                result = account.verify_recovery_code(email, code)
                storage.forget_saved(STORAGE_KEY)
                return result
            if keyring_allowed and storage.memory_only:
                storage.use_keyring()  # stays in memory, with the reason, if it fails
            return account.verify_recovery_code(email, code)
        self.call(work, on_result=on_done, on_error=on_error)

    def set_new_password(self, password: str, on_done: Done, on_error: Failed,
                         current_password: str | None = None) -> None:
        """After a recovery code: just the new one; signed in: the current one first."""
        if current_password is None:
            self.account_call(lambda account: account.set_new_password(password),
                              on_done, on_error)
        else:
            self.account_call(lambda account: account.change_password(current_password,
                                                                      password),
                              on_done, on_error)

    def announce_sign_in(self, email: str | None) -> None:
        """A session started outside the sign-in dialog (a recovery code): the window
        becomes signed in as it does after a password sign-in."""
        if email is None:  # which account is in the keyring: asked in a worker
            self.restore_session()
            return
        was_signed_in = self.email is not None
        self._set_signed_in(email)
        if not was_signed_in:
            self.after_sign_in()

    # email change: a code goes to the new address (and, as the service is set up, one to
    # the current address too); typing them in makes the change
    def send_email_change_code(self, new_email: str, on_done: Done, on_error: Failed) -> None:
        self.account_call(lambda account: account.request_email_change(new_email),
                          on_done, on_error)

    def confirm_email_change(self, address: str, code: str, on_done: Done,
                             on_error: Failed) -> None:
        """The code mailed to ``address``; once the last one is in the account is renamed
        and the window says so."""
        def confirmed(result: EmailChangeConfirmation) -> None:
            if result.done and result.email:
                self._set_signed_in(result.email)
                self.refresh_profile()
            on_done(result)
        self.account_call(lambda account: account.confirm_email_change(address, code),
                          confirmed, on_error)

    # the policy notice: asked after sign-in, shown once per version
    def check_policy(self) -> None:
        account = self.account
        if account is None or self.email is None:
            return

        def quietly(err: WyntekError) -> None:
            # a notice that cannot be fetched now is asked for at the next sign-in (a lost
            # session or connection reaches the status bar through ``call``)
            log.info("policy notice not checked: %s", err.message)
        self.call(lambda state: account.pending_policy(), on_result=self._got_policy,
                  on_error=quietly, latest="policy")

    def _got_policy(self, version: PolicyVersion | None) -> None:
        if version is not None and self.email is not None:
            self.policy_notice.emit(version)

    def acknowledge_policy(self, version: PolicyVersion, on_done: Done | None = None) -> None:
        """Record that ``version`` was shown. A failure is logged, not shown: the notice is
        on screen already and comes back at the next sign-in, which is what should happen
        when the service did not hear of it."""
        def unrecorded(err: WyntekError) -> None:
            log.warning("the policy notice %s was shown but not recorded: %s",
                        version.version, err.message)
        self.account_call(lambda account: account.acknowledge_policy(version.version),
                          on_done, unrecorded)

"""Whether the signed-in account is a WYNTEK operator, and the operators' calls.

The role (``app_metadata.role`` in the access token) decides only what the window offers
(the Operations page): the database's row-level security decides what an account can
read or change, so an account that is not an operator sees nothing assigned to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wyntek_desktop.ui.services_base import ServicesBase
from wyntek_desktop.ui.workers import TaskState

if TYPE_CHECKING:
    from wyntek_desktop.api.operations import Operations

OPERATOR = "operator"


class OperationsServices(ServicesBase):
    # role_changed (the account's role, "operator" or None) is declared on ServicesBase:
    # a signal declared on a mixin breaks the order of Qt's meta-object
    role: str | None = None

    @property
    def is_operator(self) -> bool:
        return self.role == OPERATOR

    @property
    def operations(self) -> Operations | None:
        """The lifecycle calls (operators' jobs, history, reorder); they block: run them
        in workers."""
        api = self.api
        return None if api is None else api.operations

    def _set_signed_in(self, email: str | None) -> None:
        super()._set_signed_in(email)
        if email is None:
            self._set_role(None)
        else:
            self.check_role()

    def check_role(self) -> None:
        """Read the role from a fresh access token (a worker: it may refresh it)."""
        api = self.api
        if api is None:
            return

        def role(state: TaskState) -> str | None:
            # api.operations imports its module: here, off the GUI thread, before a page
            # asks for it
            return OPERATOR if api.operations.is_operator() else None
        self.call(role, on_result=self._set_role,
                  on_error=lambda err: None,  # offline: keep what was known
                  latest="role")

    def _set_role(self, role: str | None) -> None:
        # emitted after every check, changed or not: the window may have restored the
        # Operations page for an account that turns out not to be an operator
        self.role = role
        self.role_changed.emit(role)

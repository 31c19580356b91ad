"""The signed-in account's profile (balance) and the material catalogue, fetched in
workers; the latest answer is kept for pages that open later."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wyntek_desktop.ui.services_base import ConnectionState, ServicesBase

if TYPE_CHECKING:
    from wyntek_desktop.core.models import MaterialCatalogue, Profile


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

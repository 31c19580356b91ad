"""The signed-in session: sign-up/in/out and token freshness, in one place, under a lock.

Decisions (see also the wire reference §1.5, §1.9, T5, T6, T8):
- The supabase client's own refresh timer is off (``auto_refresh_token=False``): a
  ``threading.Timer`` fires late after sleep and refreshes behind our back in a second
  thread, racing other app instances. Instead every piece of work calls ``current()``,
  which refreshes when the access token is near expiry by the wall clock (so sleep and
  resume are covered), and ``run()`` retries once when the server still says "expired".
- The session is read back from the keyring on every ``current()``: another instance
  may have rotated the refresh token. A refresh refused because the token was already
  used is retried with the instance's newer token before the user is asked to sign in.
- Sign-out is ``scope="local"``: other devices stay signed in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import httpx
from supabase_auth.errors import AuthApiError
from supabase_auth.types import Session as AuthSession

from supabase import Client, ClientOptions
from wyntek_desktop.api.failures import (
    is_gateway_key_refusal,
    is_jwt_expired,
    map_auth_error,
    server_error,
)
from wyntek_desktop.api.keyring_storage import (
    KEYRING_LOCKED,
    KeyringStorage,
    keyring_problem,
)
from wyntek_desktop.core import errors
from wyntek_desktop.core.logging_setup import REDACTOR
from wyntek_desktop.core.models import SignInResult
from wyntek_desktop.core.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

STORAGE_KEY = "supabase.auth.token"  # the supabase client's default key
REFRESH_MARGIN_S = 60.0
ROTATION_WAIT_S = (0.2, 0.5, 1.0)
UNREADABLE_RETRY_S = (0.05, 0.2)
NOT_SIGNED_IN = "You are not signed in; please sign in first."


def missing_backend() -> errors.ConfigError:
    return errors.ConfigError(
        "No WYNTEK service is configured.",
        hint="Set the backend URL and anon key in Settings, or WYNTEK_SUPABASE_URL and "
             "WYNTEK_SUPABASE_ANON_KEY, or use --url/--anon-key (or --local).")


class Session:
    def __init__(self, settings: Settings, http: httpx.Client, *, memory_only: bool = False,
                 fallback_credentials: tuple[str, str] | None = None) -> None:
        if not settings.supabase_url or not settings.anon_key:
            raise missing_backend()
        self.url = settings.supabase_url
        self.anon_key = settings.anon_key
        self.http = http  # also for streamed downloads (api.operations)
        REDACTOR.remember(settings.anon_key)
        self.storage = KeyringStorage(scope=settings.supabase_url)
        problem = None if memory_only else keyring_problem()
        if memory_only or problem:
            self.storage.use_memory(problem)
        options = ClientOptions(storage=self.storage, persist_session=True,
                                auto_refresh_token=False, httpx_client=http,
                                postgrest_client_retry=False, flow_type="implicit")
        # Client(), not create_client(): the latter may refresh over the network while
        # constructing, which would block start-up.
        self.client = Client(settings.supabase_url, settings.anon_key, options)
        self._lock = threading.RLock()
        self._applied: str | None = None
        self._fallback = fallback_credentials
        self.client.auth.on_auth_state_change(self._on_event)

    # --- state --------------------------------------------------------------------------

    @property
    def persistence_warning(self) -> str | None:
        """Why the session will not survive a restart (no keyring), for the UI."""
        return self.storage.problem if self.storage.memory_only else None

    def stored(self) -> AuthSession | None:
        # A long session is stored in several keyring entries; a read that overlaps
        # another instance's write can mix old and new parts. Read again before deciding
        # it is damaged, or we would delete the session the other instance just saved.
        for delay in (0.0, *UNREADABLE_RETRY_S):
            time.sleep(delay)
            raw = self.storage.get_item(STORAGE_KEY)
            if not raw:
                return None
            try:
                return AuthSession.model_validate_json(raw)
            except ValueError:
                continue
        log.warning("stored session is unreadable; discarding it")
        self.storage.remove_item(STORAGE_KEY)
        return None

    @property
    def signed_in(self) -> bool:
        return self.stored() is not None

    @property
    def user_id(self) -> str:
        return self.current().user.id

    @property
    def email(self) -> str | None:
        stored = self.stored()
        return stored.user.email if stored else None

    def _on_event(self, event: str, session: AuthSession | None) -> None:
        log.info("auth event %s", event)
        if session is not None:
            REDACTOR.remember(session.access_token, session.refresh_token)
        self._applied = session.access_token if session else None

    def _apply(self, session: AuthSession | None) -> None:
        # The supabase Client only updates its Authorization header on auth events; a
        # session read from the keyring (another instance refreshed it) raises none.
        event = "TOKEN_REFRESHED" if session else "SIGNED_OUT"
        self.client._listen_to_auth_events(event, session)  # type: ignore[arg-type]
        self._on_event(event, session)

    # --- freshness ----------------------------------------------------------------------

    @staticmethod
    def _near_expiry(session: AuthSession) -> bool:
        if not session.expires_at:
            return False
        lifetime = float(session.expires_in or 3600)
        margin = min(REFRESH_MARGIN_S, max(lifetime / 2, 1.0))
        return session.expires_at - time.time() <= margin

    def current(self, *, force_refresh: bool = False) -> AuthSession:
        """The session with a usable access token; refreshes if needed.

        Raises ``SignInRequired`` when there is no session or it was revoked, and
        ``NetworkError`` when the refresh cannot reach the service.
        """
        with self._lock:
            stored = self.stored()
            if stored is None and self._fallback:
                # Unattended (CI) sign-in: nothing of it is written anywhere.
                self.storage.use_memory(None)
                self.sign_in(*self._fallback)
                stored = self.stored()
            if stored is None:
                hint = None
                if self.persistence_warning == KEYRING_LOCKED:
                    hint = ("The system keyring is locked; unlock it, or set WYNTEK_EMAIL "
                            "and WYNTEK_PASSWORD for unattended use.")
                elif self.persistence_warning:  # e.g. a CI machine without a keyring
                    hint = ("No system keyring is available to keep a session; set "
                            "WYNTEK_EMAIL and WYNTEK_PASSWORD for unattended use.")
                raise errors.SignInRequired(NOT_SIGNED_IN, hint=hint)
            if force_refresh or self._near_expiry(stored):
                stored = self._refresh(stored)
            if stored.access_token != self._applied:
                self._apply(stored)
            return stored

    def _refresh(self, stored: AuthSession) -> AuthSession:
        try:
            return self._refresh_with(stored.refresh_token)
        except AuthApiError as exc:
            if exc.status >= 500:
                raise server_error(exc.status) from None
            if exc.status == 429 or is_gateway_key_refusal(exc):
                # Busy service or a wrong anon key: the session itself is fine, keep it.
                raise map_auth_error(exc) from None
            log.info("refresh refused (%s); checking for a newer session", exc.code)
            newer = self._newer_session(stored, wait=exc.code == "refresh_token_already_used")
            if newer is not None:
                if not self._near_expiry(newer):
                    return newer
                try:
                    return self._refresh_with(newer.refresh_token)
                except AuthApiError:
                    pass
            self._forget()
            raise errors.SignInRequired() from None

    def _refresh_with(self, refresh_token: str) -> AuthSession:
        try:
            response = self.client.auth.refresh_session(refresh_token)
        except AuthApiError:
            raise
        except Exception as exc:
            raise map_auth_error(exc) from None
        if response.session is None:
            raise errors.SignInRequired()
        log.info("access token refreshed")
        return response.session

    def _newer_session(self, stored: AuthSession, *, wait: bool) -> AuthSession | None:
        """A session another instance saved after rotating our refresh token."""
        for delay in (0.0, *ROTATION_WAIT_S) if wait else (0.0,):
            time.sleep(delay)
            latest = self.stored()
            if latest is not None and latest.refresh_token != stored.refresh_token:
                log.info("using the session refreshed by another app instance")
                return latest
        return None

    def _forget(self) -> None:
        self.storage.remove_item(STORAGE_KEY)
        self._apply(None)

    def run(self, work: Callable[[], T]) -> T:
        """Run ``work`` with a fresh token; retry once if the server says it expired."""
        self.current()
        try:
            return work()
        except Exception as exc:
            if not is_jwt_expired(exc):
                raise
            log.info("server reported an expired token; refreshing and retrying once")
        self.current(force_refresh=True)
        return work()

    def access_token(self) -> str:
        return self.current().access_token

    # --- sign in / up / out -------------------------------------------------------------

    def _result(self, session: AuthSession) -> SignInResult:
        return SignInResult(user_id=session.user.id, email=session.user.email,
                            persisted=not self.storage.memory_only,
                            persistence_warning=self.persistence_warning)

    def sign_in(self, email: str, password: str) -> SignInResult:
        with self._lock:
            REDACTOR.remember(password)
            try:
                response = self.client.auth.sign_in_with_password(
                    {"email": email, "password": password})
            except Exception as exc:
                raise map_auth_error(exc) from None
            if response.session is None:
                raise errors.AuthError("The service did not start a session; try again.")
            log.info("signed in as %s", response.session.user.id)
            return self._result(response.session)

    def sign_up(self, email: str, password: str) -> SignInResult:
        with self._lock:
            REDACTOR.remember(password)
            try:
                response = self.client.auth.sign_up({"email": email, "password": password})
            except Exception as exc:
                raise map_auth_error(exc) from None
            if response.session is None:
                raise errors.AuthError(
                    "Your account was created; confirm your email address, then sign in.")
            log.info("signed up as %s", response.session.user.id)
            return self._result(response.session)

    def sign_out(self) -> None:
        """Sign out on this device only. Always leaves no local session behind."""
        with self._lock:
            try:
                self.client.auth.sign_out({"scope": "local"})
            except Exception as exc:  # the local session is dropped regardless
                log.info("server sign-out failed (%s); local session removed",
                         type(exc).__name__)
            finally:
                self._forget()

"""Account management: password recovery and change, email change, the deletion request,
privacy preferences (the right to object), the export preview and policy notices.

Passwords and email addresses change through GoTrue (the codes arrive by email and are
typed into the app: OTP verification, no links to open); everything else through the
project's RPCs, which decide under the caller's identity. Calls block: run them off the
GUI thread. Errors are ``core.errors`` classes with a sentence a person can act on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from wyntek_desktop.api.failures import map_auth_error, map_exception
from wyntek_desktop.api.session import Session
from wyntek_desktop.core import errors
from wyntek_desktop.core.account import (
    DeletionRequest,
    EmailChange,
    EmailChangeConfirmation,
    ExportPreview,
    PolicyVersion,
    PrivacyPreferences,
)
from wyntek_desktop.core.logging_setup import REDACTOR
from wyntek_desktop.core.models import SignInResult

log = logging.getLogger(__name__)
T = TypeVar("T")

CODE_DIGITS = 6

# GoTrue's codes for these flows, in words for the person at the keyboard.
_AUTH_SENTENCES: dict[str, tuple[type[errors.WyntekError], str, str | None]] = {
    "otp_expired": (errors.AuthError, "The code is wrong or has expired.",
                    "Ask for a new code and use the newest email."),
    "same_password": (errors.ValidationError,
                      "The new password must be different from the current one.", None),
    "email_exists": (errors.ConflictError,
                     "Another account already uses that email address.", None),
    "over_email_send_rate_limit": (errors.ServiceRefusal,
                                   "An email was sent a moment ago.",
                                   "Wait a minute, then ask again."),
    "over_request_rate_limit": (errors.ServiceRefusal, "Too many attempts.",
                                "Wait a minute, then try again."),
    "email_address_invalid": (errors.ValidationError, "That email address is not valid.", None),
}


def _auth_failure(exc: Exception) -> errors.WyntekError:
    from supabase_auth.errors import AuthApiError

    if isinstance(exc, AuthApiError) and exc.code in _AUTH_SENTENCES:
        cls, message, hint = _AUTH_SENTENCES[exc.code]
        return cls(message, hint=hint)
    return map_auth_error(exc)


def _check_code(code: str) -> str:
    code = "".join(code.split())
    if not code.isdigit() or len(code) != CODE_DIGITS:
        raise errors.ValidationError(f"The code is the {CODE_DIGITS} digits from the email.")
    return code


def _check_email(email: str) -> str:
    email = email.strip()
    if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
        raise errors.ValidationError("Enter a valid email address.")
    return email


def _json_object(data: Any) -> dict[str, Any] | None:
    if isinstance(data, list):
        data = data[0] if data else None
    if data is None or isinstance(data, dict):
        return data
    raise errors.ServerError("The WYNTEK service sent an unexpected answer.")


class AccountApi:
    """One per app, next to ``Api`` (``api.account``); shares its session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- plumbing -----------------------------------------------------------------------

    def _auth(self, work: Callable[[], T]) -> T:
        """A GoTrue call that needs no session."""
        try:
            return work()
        except errors.WyntekError:
            raise
        except Exception as exc:
            raise _auth_failure(exc) from None

    def _signed_in_auth(self, work: Callable[[], T]) -> T:
        self.session.current()
        return self._auth(work)

    def _rpc(self, name: str, params: dict[str, Any] | None = None) -> Any:
        try:
            return self.session.run(
                lambda: self.session.client.rpc(name, params or {}).execute().data)
        except errors.WyntekError:
            raise
        except Exception as exc:
            raise map_exception(exc) from None

    # --- password -----------------------------------------------------------------------

    def request_password_recovery(self, email: str) -> None:
        """Ask GoTrue to email a recovery code. No session needed; an unknown address
        gets the same answer (nobody learns which addresses have accounts)."""
        email = _check_email(email)
        self._auth(lambda: self.session.client.auth.reset_password_for_email(email))
        log.info("password recovery requested")

    def verify_recovery_code(self, email: str, code: str) -> SignInResult:
        """Redeem the emailed code: signs in (GoTrue ``/verify`` type recovery). Follow
        with ``set_new_password``."""
        email, code = _check_email(email), _check_code(code)
        response = self._auth(lambda: self.session.client.auth.verify_otp(
            {"email": email, "token": code, "type": "recovery"}))
        if response.session is None:
            raise errors.AuthError("The service did not start a session; ask for a new code.")
        log.info("recovery code accepted for %s", response.session.user.id)
        return SignInResult(user_id=response.session.user.id, email=response.session.user.email,
                            persisted=not self.session.storage.memory_only,
                            persistence_warning=self.session.persistence_warning)

    def set_new_password(self, new_password: str) -> None:
        """Set the password of the signed-in user (after ``verify_recovery_code``)."""
        REDACTOR.remember(new_password)
        self._signed_in_auth(lambda: self.session.client.auth.update_user(
            {"password": new_password}))
        log.info("password set")

    def reset_password(self, email: str, code: str, new_password: str) -> SignInResult:
        """``verify_recovery_code`` then ``set_new_password``; leaves the user signed in."""
        result = self.verify_recovery_code(email, code)
        self.set_new_password(new_password)
        return result

    def change_password(self, current_password: str, new_password: str) -> None:
        """Change the signed-in user's password; the current one is checked first."""
        REDACTOR.remember(current_password, new_password)
        email = self.session.current().user.email
        if not email:
            raise errors.SignInRequired()
        self._check_password(email, current_password)
        self.set_new_password(new_password)

    def _check_password(self, email: str, password: str) -> None:
        """A password grant on the side (its session is signed out again at once)."""
        http = self.session.client.auth._http_client  # the app's shared httpx client
        base = f"{self.session.url}/auth/v1"
        headers = {"apikey": self.session.anon_key,
                   "Authorization": f"Bearer {self.session.anon_key}",
                   "X-Supabase-Api-Version": "2024-01-01"}
        try:
            response = http.post(f"{base}/token", params={"grant_type": "password"},
                                 json={"email": email, "password": password}, headers=headers)
        except Exception as exc:
            raise map_exception(exc) from None
        if response.status_code == 400:
            raise errors.AuthError("The current password is not correct.")
        if response.status_code == 429:
            raise errors.ServiceRefusal("Too many attempts.", hint="Wait a minute, then try again.")
        if response.status_code >= 300:
            raise errors.ServerError(f"The sign-in service answered HTTP {response.status_code}.")
        token = response.json().get("access_token")
        if token:
            REDACTOR.remember(token)
            try:
                http.post(f"{base}/logout", params={"scope": "local"},
                          headers={**headers, "Authorization": f"Bearer {token}"})
            except Exception as exc:  # the side session then simply expires
                log.info("side session sign-out failed (%s)", type(exc).__name__)

    # --- email address ------------------------------------------------------------------

    def request_email_change(self, new_email: str) -> EmailChange:
        """Start an email change: GoTrue mails a code to the new address (and, with
        secure email change, one to the current address too)."""
        new_email = _check_email(new_email)
        current = self.session.current().user.email
        if current and current.lower() == new_email.lower():
            raise errors.ValidationError("That is already your email address.")
        response = self._signed_in_auth(lambda: self.session.client.auth.update_user(
            {"email": new_email}))
        user = response.user
        both = bool(current) and bool(getattr(user, "email_change_sent_at", None)) \
            and (user.email or "").lower() == (current or "").lower()
        sent_to = (new_email, current) if both and current else (new_email,)
        log.info("email change requested")
        return EmailChange(current_email=current, new_email=new_email, codes_sent_to=sent_to)

    def resend_email_change_codes(self) -> EmailChange:
        """Send new codes for the pending email change (at most once a minute)."""
        user = self.session.current().user
        current = user.email
        pending = self._signed_in_auth(lambda: self.session.client.auth.get_user())
        new_email = pending.user.new_email if pending and pending.user else None
        if not current or not new_email:
            raise errors.NotFoundError("No email change is waiting for its codes.")
        self._auth(lambda: self.session.client.auth.resend(
            {"type": "email_change", "email": current}))
        return EmailChange(current_email=current, new_email=new_email,
                           codes_sent_to=(new_email, current))

    def confirm_email_change(self, email: str, code: str) -> EmailChangeConfirmation:
        """Enter the code sent to ``email`` (the new or the current address). ``done`` is
        False while the other address's code is still needed."""
        email, code = _check_email(email), _check_code(code)
        response = self._signed_in_auth(lambda: self.session.client.auth.verify_otp(
            {"email": email, "token": code, "type": "email_change"}))
        if response.session is None and response.user is None:
            return EmailChangeConfirmation(done=False)
        user = response.user or (response.session.user if response.session else None)
        log.info("email change confirmed")
        return EmailChangeConfirmation(done=True, email=user.email if user else None)

    # --- account deletion ---------------------------------------------------------------

    def deletion_request(self) -> DeletionRequest | None:
        """The account's deletion request (with the date it is carried out), if any."""
        def read() -> Any:
            return self.session.client.table("account_deletion_requests").select("*") \
                .eq("user_id", self.session.user_id).execute().data
        try:
            rows = self.session.run(read)
        except errors.WyntekError:
            raise
        except Exception as exc:
            raise map_exception(exc) from None
        return DeletionRequest.from_row(rows[0]) if rows else None

    def request_deletion(self) -> DeletionRequest:
        """Record the deletion request (idempotent) and return it with its date. Unlike
        ``Api.request_account_deletion`` this stays signed in, so the app can show the
        date and offer to cancel."""
        row = _json_object(self._rpc("request_account_deletion"))
        if row is None:
            raise errors.ServerError("The WYNTEK service sent an unexpected answer.")
        log.info("account deletion requested")
        return DeletionRequest.from_row(row)

    def cancel_deletion(self) -> DeletionRequest:
        """Cancel the pending request during the grace period."""
        row = _json_object(self._rpc("cancel_account_deletion"))
        if row is None:
            raise errors.ServerError("The WYNTEK service sent an unexpected answer.")
        log.info("account deletion cancelled")
        return DeletionRequest.from_row(row)

    # --- preferences --------------------------------------------------------------------

    def privacy_preferences(self) -> PrivacyPreferences:
        def read() -> Any:
            return self.session.client.table("profiles") \
                .select("email_job_updates,processing_objection,objected_at") \
                .eq("id", self.session.user_id).execute().data
        try:
            rows = self.session.run(read)
        except errors.WyntekError:
            raise
        except Exception as exc:
            raise map_exception(exc) from None
        if not rows:
            raise errors.NotFoundError("Your profile was not found; contact support.")
        return PrivacyPreferences.from_row(rows[0])

    def set_privacy_preferences(self, *, email_job_updates: bool | None = None,
                                processing_objection: bool | None = None
                                ) -> PrivacyPreferences:
        """Change what is given (None keeps it). Objecting to processing also stops job
        update emails and removes completed jobs' files at once instead of keeping them
        12 months; receipts and security mail always come."""
        row = _json_object(self._rpc("set_privacy_preferences", {
            "email_job_updates": email_job_updates,
            "processing_objection": processing_objection}))
        if row is None:
            raise errors.ServerError("The WYNTEK service sent an unexpected answer.")
        return PrivacyPreferences.from_row(row)

    # --- export and policy --------------------------------------------------------------

    def export_preview(self) -> ExportPreview:
        """Entries per section of the export, without downloading it."""
        data = _json_object(self._rpc("export_my_data_summary"))
        return ExportPreview.from_summary(data or {})

    def pending_policy(self) -> PolicyVersion | None:
        """The newest policy version this user has not been shown (None: nothing new)."""
        data = _json_object(self._rpc("pending_policy_version"))
        return PolicyVersion.from_row(data) if data else None

    def acknowledge_policy(self, version: str) -> bool:
        """Record that the notice for ``version`` was shown; True the first time."""
        data = _json_object(self._rpc("acknowledge_policy", {"version": version}))
        return bool(data and data.get("first_time"))

"""Translate library and transport exceptions into the error tree (``errors.py``).

The only module that knows the shapes of httpx, supabase_auth, postgrest and storage3
exceptions; everything above it sees ``WyntekError`` subclasses with plain sentences.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator

import httpx

from wyntek_desktop.core import errors as e

TLS_HINT = ("If your organisation uses its own certificate authority, set its bundle in "
            "Settings → CA bundle or WYNTEK_CA_BUNDLE.")
NETWORK_HINT = "Check your connection and proxy settings, then try again."

# GoTrue codes meaning the refresh token (or its session) is no longer usable.
SESSION_GONE_CODES = {
    "refresh_token_not_found", "refresh_token_already_used", "session_not_found",
    "session_expired", "user_not_found", "user_banned", "bad_jwt", "no_authorization",
}
JWT_EXPIRED_CODES = {"PGRST301", "PGRST302", "PGRST303"}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def tls_problem(exc: BaseException) -> str | None:
    """Describe a certificate failure anywhere in the exception chain, else None."""
    for item in _chain(exc):
        if isinstance(item, ssl.SSLCertVerificationError):
            return getattr(item, "verify_message", None) or "certificate verify failed"
        text = str(item)
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            match = re.search(r"certificate verify failed: ([^(]+)", text)
            return match.group(1).strip() if match else "certificate verify failed"
    return None


def _sentence(text: str | None, fallback: str) -> str:
    text = (text or "").strip() or fallback
    return text if text.endswith((".", "!", "?")) else text + "."


def transport_error(exc: BaseException, where: str = "the WYNTEK service") -> e.NetworkError:
    problem = tls_problem(exc)
    if problem:
        return e.TLSError(f"The server's certificate could not be verified ({problem}).",
                          hint=TLS_HINT)
    if any(isinstance(i, httpx.TimeoutException) for i in _chain(exc)):
        return e.NetworkError(f"{where[0].upper()}{where[1:]} did not answer in time.",
                              hint=NETWORK_HINT)
    if any(isinstance(i, httpx.ProxyError) for i in _chain(exc)):
        return e.NetworkError("The proxy refused the connection.",
                              hint="Check the proxy setting (Settings → Proxy or HTTPS_PROXY).")
    return e.NetworkError(f"Cannot reach {where}.", hint=NETWORK_HINT)


def server_error(status: int | str | None) -> e.ServerError:
    return e.ServerError(f"The WYNTEK service had a problem (HTTP {status}).",
                         hint="Nothing was lost; try again in a few minutes.")


def map_auth_error(exc: Exception) -> e.WyntekError:
    from supabase_auth.errors import (
        AuthApiError,
        AuthRetryableError,
        AuthSessionMissingError,
        AuthUnknownError,
        AuthWeakPasswordError,
    )

    if isinstance(exc, AuthWeakPasswordError):
        return e.ValidationError(_sentence(exc.message, "The password is too weak"),
                                 hint="Use a longer password with mixed characters.")
    if isinstance(exc, AuthRetryableError):
        if exc.status and exc.status >= 500:
            return server_error(exc.status)
        return transport_error(exc)
    if isinstance(exc, AuthApiError):
        code, status = exc.code, exc.status
        if code in ("invalid_credentials", "invalid_grant"):
            return e.AuthError("The email or password is not correct.")
        if code in ("user_already_exists", "email_exists"):
            return e.AuthError("An account with this email already exists; sign in instead.")
        if code == "email_not_confirmed":
            return e.AuthError("Confirm your email address first (see the message we sent), "
                               "then sign in.")
        if code in SESSION_GONE_CODES:
            return e.SignInRequired()
        if is_gateway_key_refusal(exc):
            return anon_key_refused()
        if status == 429:
            return e.ServiceRefusal("Too many attempts; wait a minute and try again.")
        if status >= 500:
            return server_error(status)
        if code in ("validation_failed", "email_address_invalid"):
            return e.ValidationError(_sentence(exc.message, "The request is invalid"))
        return e.AuthError(_sentence(exc.message, "The service refused to sign you in"))
    if isinstance(exc, AuthSessionMissingError):
        return e.SignInRequired()
    if isinstance(exc, AuthUnknownError):  # a non-JSON answer, e.g. a proxy's error page
        for item in _chain(exc):
            if isinstance(item, httpx.HTTPStatusError):
                return map_exception(item)
        return server_error("unknown")
    if not type(exc).__module__.startswith("supabase_auth"):
        return map_exception(exc)
    return e.AuthError("The service refused to sign you in; try again.")


def is_jwt_expired(exc: BaseException) -> bool:
    """True for the answers REST and Storage give to an expired or stale access token."""
    from postgrest.exceptions import APIError
    from storage3.exceptions import StorageApiError

    if isinstance(exc, APIError):
        return exc.code in JWT_EXPIRED_CODES or "JWT expired" in str(exc.message)
    if isinstance(exc, StorageApiError):
        message = str(exc.message).lower()
        if str(exc.status) == "404" and exc.code == "Bucket not found":
            # Storage's read routes take a stale or forged token for no token, and meet
            # our private bucket as "Bucket not found": a token problem, not a missing file.
            return True
        return str(exc.status) in ("401", "403") and ("exp" in message or "jwt" in message)
    return False


# SQLSTATEs the migrations raise on purpose: their message is a sentence for a person.
# The class comes from the code alone; a file or material name in the message must not
# change it (a file called "balance-arm.stl" is not a balance problem).
_REFUSAL_BY_CODE: dict[str, type[e.WyntekError]] = {
    "PT402": e.BalanceError,
    "22023": e.ValidationError,
    "PT404": e.NotFoundError, "P0002": e.NotFoundError, "PGRST116": e.NotFoundError,
    "42883": e.NotFoundError, "PGRST202": e.NotFoundError,
    "PT409": e.ConflictError, "23505": e.ConflictError, "40001": e.ConflictError,
    "55000": e.ConflictError,
    "42501": e.AuthError, "28000": e.AuthError,
}
# Postgres' own wording for these is for developers, not for the person at the keyboard.
_RAW_POSTGRES = re.compile(
    r"^(new row .*violates|permission denied|null value in column|"
    r"invalid input (syntax|value)|value too long|numeric field overflow|"
    r"integer out of range|duplicate key value|insert or update on table)", re.IGNORECASE)
_RAW_SENTENCES: dict[type[e.WyntekError], str] = {
    e.AuthError: "You are not allowed to do that with this account.",
    e.ConflictError: "That conflicts with an earlier request; refresh and try again.",
    e.ValidationError: "The service refused a value that is missing, malformed or out of range.",
}
# What API gateways answer for a missing, wrong or expired anon key (wire reference 0.4).
_GATEWAY_KEY_MESSAGES = ("invalid authentication credentials", "no api key found",
                         "invalid api key")


def anon_key_refused() -> e.AuthError:
    return e.AuthError("The service refused this app's anon key.",
                       hint="Check the anon key (Settings → Anon key, "
                            "WYNTEK_SUPABASE_ANON_KEY or --anon-key).")


def _is_gateway_key_refusal(message: str) -> bool:
    text = message.lower()
    return any(m in text for m in _GATEWAY_KEY_MESSAGES)


def is_gateway_key_refusal(exc: BaseException) -> bool:
    """An auth answer from the API gateway about the anon key, not about the session."""
    from supabase_auth.errors import AuthApiError

    return (isinstance(exc, AuthApiError) and not exc.code and exc.status == 401
            and _is_gateway_key_refusal(str(exc.message)))


def _refusal_for_sqlstate(code: str, message: str) -> e.WyntekError:
    cls = _REFUSAL_BY_CODE.get(code)
    if cls is None and code[:2] in ("22", "23"):  # data exceptions, constraint violations
        cls = e.ConflictError if code == "23505" else e.ValidationError
    if cls is not None:
        if _RAW_POSTGRES.match(message.strip()) and cls in _RAW_SENTENCES:
            return cls(_RAW_SENTENCES[cls])
        if cls is e.BalanceError:
            return cls(_sentence(message, "Not enough tokens"),
                       hint="Buy tokens (the Tokens page, or wyntek buy), then try again.")
        return cls(_sentence(message, "The request is invalid"))
    if not code and _is_gateway_key_refusal(message):
        return anon_key_refused()
    # An unknown code: go by the words, as the server's sentence is all there is.
    text = message.lower()
    if "insufficient balance" in text or "not enough tokens" in text:
        return e.BalanceError(_sentence(message, "Not enough tokens"),
                              hint="Buy tokens (the Tokens page, or wyntek buy), then try again.")
    if "not found" in text:
        return e.NotFoundError(_sentence(message, "Not found"))
    if _RAW_POSTGRES.match(message.strip()):
        return e.ValidationError(_RAW_SENTENCES[e.ValidationError])
    return e.ValidationError(_sentence(message, "The request is invalid"))


def map_rest_error(exc: Exception) -> e.WyntekError:
    from postgrest.exceptions import APIError

    if not isinstance(exc, APIError):
        return map_exception(exc)
    code = str(exc.code or "")
    if code in JWT_EXPIRED_CODES:
        return e.SignInRequired()
    if code.isdigit() and len(code) == 3:  # non-JSON answer: the code is the HTTP status
        status = int(code)
        if status >= 500:
            return server_error(status)
        if status in (401, 403):
            return e.AuthError("The service refused the request; sign in again if it persists.")
        return e.ServiceRefusal(f"The service refused the request (HTTP {status}).")
    if code[:2] in ("08", "53", "57", "XX") or (
            code.startswith("P00") and code not in ("P0001", "P0002")):
        return server_error(code)
    return _refusal_for_sqlstate(code, str(exc.message or ""))


def map_storage_error(exc: Exception) -> e.WyntekError:
    from storage3.exceptions import StorageApiError

    if not isinstance(exc, StorageApiError):
        return map_exception(exc)
    status = str(exc.status)
    if status == "404":
        return e.NotFoundError("The file was not found in storage.")
    if status in ("401", "403"):
        if _is_gateway_key_refusal(str(exc.message)):
            return anon_key_refused()
        return e.AuthError("Storage refused access to that file.")
    if status == "409":
        return e.ConflictError("A file with that name is already stored for this job.")
    if status == "413":
        return e.FileError("The file is larger than the service accepts.")
    if (status.isdigit() and int(status) >= 500) or exc.code == "InternalError":
        return server_error(status)  # includes answers storage3 could not parse
    message = str(exc.message)
    if any(c in message for c in "{}<>"):  # raw JSON or markup is not for people
        return e.ServiceRefusal(f"Storage refused the request (HTTP {status}).")
    return e.ServiceRefusal(_sentence(message, "Storage refused the request"))


def map_exception(exc: BaseException) -> e.WyntekError:
    """Catch-all used at API boundaries."""
    if isinstance(exc, e.WyntekError):
        return exc
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        return server_error(status) if status >= 500 else e.ServiceRefusal(
            f"The service refused the request (HTTP {status}).")
    if isinstance(exc, httpx.TransportError | ssl.SSLError | ConnectionError | TimeoutError):
        return transport_error(exc)
    if tls_problem(exc):
        return transport_error(exc)
    module = type(exc).__module__.split(".")[0]
    if module == "supabase_auth":
        return map_auth_error(exc)  # type: ignore[arg-type]
    if module == "postgrest":
        return map_rest_error(exc)  # type: ignore[arg-type]
    if module == "storage3":
        return map_storage_error(exc)  # type: ignore[arg-type]
    if module == "pydantic" or isinstance(exc, ValueError | KeyError | TypeError):
        return e.ServerError("The WYNTEK service sent an answer this app does not understand.",
                             hint="Check the backend URL setting, or update the app.")
    return e.WyntekError(f"Unexpected problem: {type(exc).__name__}.")

"""Narrow unit tests of the error mapping (real client libraries, MockTransport answers)."""

from __future__ import annotations

import ssl

import httpx
import pytest
from postgrest.exceptions import APIError
from storage3.exceptions import StorageApiError
from supabase_auth.errors import AuthApiError, AuthRetryableError

from wyntek_desktop.api.failures import (
    is_jwt_expired,
    map_auth_error,
    map_exception,
    map_rest_error,
    map_storage_error,
)
from wyntek_desktop.core import errors


@pytest.mark.parametrize("code, message, expected", [
    ("PT402", "Insufficient balance: this job costs 9 tokens and your balance is 0.",
     errors.BalanceError),
    ("PT404", "There is no such job in your account.", errors.NotFoundError),
    ("PT409", "Only a submitted job can be cancelled; this one is shipped.",
     errors.ConflictError),
    ("22023", "Quantity must be a whole number from 1 to 10000 (got 0).",
     errors.ValidationError),
    ("42501", "Sign in to submit a job.", errors.AuthError),
    ("PGRST303", "JWT expired", errors.SignInRequired),
    ("500", "Internal Server Error", errors.ServerError),
    ("XX000", "internal error", errors.ServerError),
    ("53300", "too many connections", errors.ServerError),
])
def test_rest_errors(code: str, message: str, expected: type) -> None:
    mapped = map_rest_error(APIError({"code": code, "message": message}))
    assert type(mapped) is expected
    if expected in (errors.BalanceError, errors.NotFoundError, errors.ConflictError,
                    errors.ValidationError):
        assert mapped.message == message  # the server's sentence reaches the user


@pytest.mark.parametrize("status, expected", [
    ("404", errors.NotFoundError), ("403", errors.AuthError), ("409", errors.ConflictError),
    ("413", errors.FileError), ("500", errors.ServerError),
])
def test_storage_errors(status: str, expected: type) -> None:
    assert type(map_storage_error(StorageApiError("m", "e", status))) is expected


@pytest.mark.parametrize("code, status, expected, text", [
    ("invalid_credentials", 400, errors.AuthError, "email or password is not correct"),
    ("refresh_token_already_used", 400, errors.SignInRequired, "please sign in again"),
    ("user_already_exists", 422, errors.AuthError, "already exists"),
    ("over_request_rate_limit", 429, errors.ServiceRefusal, "Too many attempts"),
    ("unexpected_failure", 500, errors.ServerError, "HTTP 500"),
])
def test_auth_errors(code: str, status: int, expected: type, text: str) -> None:
    mapped = map_auth_error(AuthApiError("server text", status, code))
    assert type(mapped) is expected and text in str(mapped)


def test_expired_jwt_is_recognised() -> None:
    assert is_jwt_expired(APIError({"code": "PGRST303", "message": "JWT expired"}))
    assert is_jwt_expired(StorageApiError('"exp" claim timestamp check failed',
                                          "Unauthorized", "403"))
    assert not is_jwt_expired(StorageApiError("Object not found", "not_found", "404"))
    # Hosted Storage's answer to a stale token on GET /object/... and /object/info/...
    assert is_jwt_expired(StorageApiError("Bucket not found", "Bucket not found", "404"))


def _raise_through_httpx(exc: Exception) -> Exception:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        try:
            client.get("https://svc.example/")
        except Exception as caught:
            return caught
    raise AssertionError("no error")


def test_certificate_failure_names_the_setting() -> None:
    cause = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate "
                                            "verify failed: self-signed certificate (_ssl.c)")
    error = httpx.ConnectError("tls failed")
    error.__cause__ = cause
    mapped = map_exception(_raise_through_httpx(error))
    assert isinstance(mapped, errors.TLSError) and mapped.exit_code == 3
    assert "certificate could not be verified" in str(mapped)
    assert "Settings → CA bundle or WYNTEK_CA_BUNDLE" in str(mapped)


def test_network_failures() -> None:
    mapped = map_exception(_raise_through_httpx(httpx.ConnectError("refused")))
    assert type(mapped) is errors.NetworkError and "Cannot reach" in str(mapped)
    timed_out = map_exception(_raise_through_httpx(httpx.ReadTimeout("slow")))
    assert "did not answer in time" in str(timed_out)
    retry = AuthRetryableError("down", 0)
    retry.__cause__ = httpx.ConnectError("refused")
    assert type(map_auth_error(retry)) is errors.NetworkError
    assert type(map_auth_error(AuthRetryableError("bad gateway", 502))) is errors.ServerError


@pytest.mark.parametrize("code, message, expected", [
    # The class follows the code, whatever names the message quotes.
    ("22023", "File u/c/balance-arm.stl is listed twice.", errors.ValidationError),
    ("22023", "File u/c/not found.stl in storage has 3 bytes, not the declared 4; upload it "
              "again.", errors.ValidationError),
    ("42501", "The token balance changes only through the token ledger.", errors.AuthError),
    ("PT404", "File u/c/x.stl is not in storage; upload it before submitting.",
     errors.NotFoundError),
])
def test_refusal_class_comes_from_the_code(code: str, message: str, expected: type) -> None:
    mapped = map_rest_error(APIError({"code": code, "message": message}))
    assert type(mapped) is expected
    assert mapped.message == message and mapped.hint is None


@pytest.mark.parametrize("code, message, expected", [
    ("42501", 'new row violates row-level security policy for table "support_messages"',
     errors.AuthError),
    ("42501", "permission denied for table token_ledger", errors.AuthError),
    ("23514", 'new row for relation "jobs" violates check constraint "jobs_notes_check"',
     errors.ValidationError),
    ("22P02", 'invalid input syntax for type uuid: "abc"', errors.ValidationError),
    ("22003", "integer out of range", errors.ValidationError),
])
def test_raw_postgres_wording_is_not_shown(code: str, message: str, expected: type) -> None:
    mapped = map_rest_error(APIError({"code": code, "message": message}))
    assert type(mapped) is expected
    assert message not in str(mapped)
    assert "violates" not in str(mapped) and "syntax" not in str(mapped)


def test_refused_anon_key_names_the_setting() -> None:
    rest = map_rest_error(APIError({"message": "Invalid authentication credentials"}))
    storage = map_storage_error(StorageApiError(
        'Unable to parse error message: {"message":"Invalid authentication credentials"}',
        "InternalError", "401"))
    auth = map_auth_error(AuthApiError("No API key found in request", 401, None))
    for mapped in (rest, storage, auth):
        assert isinstance(mapped, errors.AuthError)
        assert "anon key" in str(mapped) and "WYNTEK_SUPABASE_ANON_KEY" in str(mapped)


@pytest.mark.parametrize("message, code, status, expected", [
    ("Unable to parse error message: <html><body>Bad Request</body></html>",
     "InternalError", "400", "The WYNTEK service had a problem (HTTP 400)"),
    ('Invalid input: {"name": ["too long"]}', "InvalidRequest", "422",
     "Storage refused the request (HTTP 422)."),
])
def test_unparsable_storage_answers_are_not_shown_raw(message: str, code: str, status: str,
                                                      expected: str) -> None:
    mapped = map_storage_error(StorageApiError(message, code, status))
    assert str(mapped).startswith(expected)
    assert "{" not in str(mapped) and "<" not in str(mapped)

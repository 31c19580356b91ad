"""Sessions against the real local stack: expiry, revocation, rotation, sign-out."""

from __future__ import annotations

import json
import logging
import tempfile
import threading
import time
from pathlib import Path

import jwt
import pytest

from tests.api.support import context_for
from wyntek_desktop.api.keyring_storage import KeyringStorage
from wyntek_desktop.api.session import STORAGE_KEY
from wyntek_desktop.core.errors import AuthError, SignInRequired
from wyntek_localstack.keys import load_or_create


@pytest.fixture(scope="module")
def short_stack(localstack_root, localstack_ca):
    """A stack whose access tokens live 4 s and refresh tokens cannot be reused."""
    from tests.support.localstack import serve_argv, start_instance

    # Not under pytest's basetemp: the database's system user cannot read it, and a
    # concurrent pytest run prunes it (see tests/support/localstack.py).
    folder = Path(tempfile.mkdtemp(prefix="short-jwt-", dir=localstack_root))
    instance = start_instance(serve_argv(folder / "data", localstack_ca, jwt_expiry=4,
                                         refresh_reuse_interval=0),
                              folder / "server.log", localstack_ca)
    yield instance
    instance.stop()


def _refreshes(caplog: pytest.LogCaptureFixture) -> int:
    return sum("access token refreshed" in r.getMessage() for r in caplog.records)


def test_sign_in_persists_in_the_keyring_only(localstack, app_dirs) -> None:
    email, password, user_id = localstack.new_user()
    ctx = context_for(localstack)
    result = ctx.session.sign_in(email, password)
    assert result.user_id == user_id and result.persisted and not result.persistence_warning
    # A second instance (a restart) is signed in from the keyring.
    again = context_for(localstack)
    assert again.session.user_id == user_id and again.api.profile().email == email
    ctx.close()
    again.close()


def test_wrong_password_is_one_clear_error(localstack) -> None:
    email, _, _ = localstack.new_user()
    ctx = context_for(localstack)
    with pytest.raises(AuthError, match="email or password is not correct") as info:
        ctx.session.sign_in(email, "wrong password")
    assert info.value.exit_code == 2
    ctx.close()


def test_expired_access_token_is_invisible(short_stack, caplog) -> None:
    caplog.set_level(logging.INFO)
    email, password, _ = short_stack.new_user()
    ctx = context_for(short_stack, email=email, password=password)
    first = ctx.session.stored()
    assert ctx.api.balance() == 0
    time.sleep(4.5)  # the access token is now expired, as after a laptop sleep
    assert ctx.api.balance() == 0
    assert ctx.session.stored().access_token != first.access_token
    assert _refreshes(caplog) >= 1
    ctx.close()


def test_server_side_expiry_is_retried_once(short_stack, caplog) -> None:
    """The stored expiry looks fine (clock skew), the server says expired: one retry."""
    caplog.set_level(logging.INFO)
    email, password, _ = short_stack.new_user()
    ctx = context_for(short_stack, email=email, password=password)
    storage = KeyringStorage(short_stack.url)
    session = json.loads(storage.get_item(STORAGE_KEY))
    # An access token the server sees as expired (beyond its clock leeway) while the
    # stored expiry says it is fine.
    keys = load_or_create(short_stack.data_dir)
    claims = jwt.decode(session["access_token"], options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 600
    session["access_token"] = keys.sign(claims)
    session["expires_at"] = int(time.time()) + 3600
    storage.set_item(STORAGE_KEY, json.dumps(session))
    assert ctx.api.profile().email == email
    assert any("expired token; refreshing" in r.getMessage() for r in caplog.records)
    ctx.close()


def test_storage_bucket_not_found_for_a_stale_token_is_retried_once(short_stack,
                                                                    caplog) -> None:
    """Hosted Storage answers a stale token on GET /object/... with "404 Bucket not
    found"; the client refreshes once and reads the file."""
    caplog.set_level(logging.INFO)
    email, password, user_id = short_stack.new_user()
    ctx = context_for(short_stack, email=email, password=password)
    path = f"{user_id}/stale/part.stl"
    files = lambda: ctx.session.client.storage.from_("designs")  # noqa: E731
    ctx.session.run(lambda: files().upload(path, b"solid", {"content-type": "model/stl"}))
    storage = KeyringStorage(short_stack.url)
    session = json.loads(storage.get_item(STORAGE_KEY))
    keys = load_or_create(short_stack.data_dir)
    claims = jwt.decode(session["access_token"], options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 600
    session["access_token"] = keys.sign(claims)
    session["expires_at"] = int(time.time()) + 3600
    storage.set_item(STORAGE_KEY, json.dumps(session))
    assert ctx.session.run(lambda: files().download(path)) == b"solid"
    assert any("expired token; refreshing" in r.getMessage() for r in caplog.records)
    ctx.close()


def test_concurrent_work_refreshes_once(short_stack, caplog) -> None:
    caplog.set_level(logging.INFO)
    email, password, _ = short_stack.new_user()
    ctx = context_for(short_stack, email=email, password=password)
    time.sleep(4.5)
    results: list[object] = []

    def work() -> None:
        try:
            results.append(ctx.api.balance())
        except Exception as exc:  # collected and asserted below
            results.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [0] * 6
    assert _refreshes(caplog) == 1
    ctx.close()


class StaleOnce(KeyringStorage):
    """Reads an old session once: the moment before another instance saved its refresh."""

    def __init__(self, scope: str, stale: str) -> None:
        super().__init__(scope)
        self._stale: str | None = stale

    def get_item(self, key: str) -> str | None:
        if key == STORAGE_KEY and self._stale is not None:
            stale, self._stale = self._stale, None
            return stale
        return super().get_item(key)


def test_two_instances_do_not_log_each_other_out(short_stack) -> None:
    email, password, _ = short_stack.new_user()
    first = context_for(short_stack, email=email, password=password)
    second = context_for(short_stack)
    stale = KeyringStorage(short_stack.url).get_item(STORAGE_KEY)
    first.session.current(force_refresh=True)  # rotates the refresh token
    second.session.storage = StaleOnce(short_stack.url, stale)
    second.session.client.auth._storage = second.session.storage
    # The second instance tries the used refresh token, is refused, finds the new one.
    assert second.session.current(force_refresh=True).user.email == email
    assert first.api.balance() == 0 and second.api.balance() == 0
    first.close()
    second.close()


def test_revoked_refresh_token_asks_to_sign_in_once(short_stack) -> None:
    email, password, _ = short_stack.new_user()
    ctx = context_for(short_stack, email=email, password=password)
    token = ctx.session.access_token()
    with short_stack.http() as http:  # sign out everywhere else
        response = http.post(f"{short_stack.url}/auth/v1/logout?scope=global",
                             headers={"apikey": short_stack.anon_key,
                                      "Authorization": f"Bearer {token}"})
    assert response.status_code == 204
    time.sleep(4.5)
    with pytest.raises(SignInRequired) as info:
        ctx.api.balance()
    assert str(info.value) == "Your session has ended; please sign in again."
    assert KeyringStorage(short_stack.url).get_item(STORAGE_KEY) is None
    with pytest.raises(SignInRequired, match="not signed in"):
        ctx.api.balance()
    ctx.session.sign_in(email, password)  # and signing in again works
    assert ctx.api.balance() == 0
    ctx.close()


def test_sign_out_is_local_to_this_device(localstack) -> None:
    email, password, _ = localstack.new_user()
    other_device = localstack.sign_in(email, password)
    ctx = context_for(localstack, email=email, password=password)
    ctx.session.sign_out()
    assert not ctx.session.signed_in
    with pytest.raises(SignInRequired):
        ctx.api.balance()
    with localstack.http() as http:  # the other device still refreshes
        response = http.post(f"{localstack.url}/auth/v1/token?grant_type=refresh_token",
                             headers={"apikey": localstack.anon_key},
                             json={"refresh_token": other_device["refresh_token"]})
    assert response.status_code == 200
    ctx.close()


def test_unattended_credentials_sign_in_without_writing(localstack, app_dirs) -> None:
    email, password, _ = localstack.new_user()
    from tests.api.support import settings_for
    from wyntek_desktop.context import AppContext
    from wyntek_desktop.core.appdirs import AppDirs

    ctx = AppContext.build(settings_for(localstack), dirs=AppDirs.default(),
                           env={"WYNTEK_EMAIL": email, "WYNTEK_PASSWORD": password})
    assert ctx.api.profile().email == email
    assert list(app_dirs["keyring"].iterdir()) == []
    ctx.close()

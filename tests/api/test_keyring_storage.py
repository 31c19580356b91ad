import httpx
import keyring
import pytest
from keyring.backends import fail

from wyntek_desktop.api.keyring_storage import (
    KEYRING_LOCKED,
    NO_KEYRING,
    KeyringStorage,
    keyring_problem,
)
from wyntek_desktop.api.session import Session
from wyntek_desktop.core import errors
from wyntek_desktop.core.settings import Settings

SETTINGS = Settings(supabase_url="https://127.0.0.1:1", anon_key="anon-key-for-tests")


def test_long_values_round_trip_in_chunks(app_dirs) -> None:
    storage = KeyringStorage("https://a.example")
    value = "x" * 4321
    storage.set_item("supabase.auth.token", value)
    assert storage.get_item("supabase.auth.token") == value
    assert len(list(app_dirs["keyring"].iterdir())) == 6  # head + 5 chunks
    storage.remove_item("supabase.auth.token")
    assert storage.get_item("supabase.auth.token") is None
    assert list(app_dirs["keyring"].iterdir()) == []


def test_scopes_do_not_mix() -> None:
    KeyringStorage("https://a.example").set_item("k", "a")
    assert KeyringStorage("https://b.example").get_item("k") is None


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_missing_backend_falls_back_to_memory_with_a_message(no_keyring) -> None:
    assert keyring_problem() == NO_KEYRING
    with httpx.Client() as http:
        session = Session(SETTINGS, http)
        assert session.persistence_warning == NO_KEYRING
        session.storage.set_item("k", "v")
        assert session.storage.get_item("k") == "v"


class BrokenKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service, username):
        return None

    def set_password(self, service, username, password):
        raise keyring.errors.PasswordSetError("locked")

    def delete_password(self, service, username):
        raise keyring.errors.PasswordDeleteError("locked")


def test_failing_writes_switch_to_memory() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(BrokenKeyring())
    try:
        storage = KeyringStorage("https://a.example")
        storage.set_item("k", "secret")
        assert storage.memory_only and storage.problem == NO_KEYRING
        assert storage.get_item("k") == "secret"
    finally:
        keyring.set_keyring(previous)


def test_working_keyring_has_no_warning() -> None:
    with httpx.Client() as http:
        assert Session(SETTINGS, http).persistence_warning is None


def test_without_keyring_the_cli_says_how_to_work_unattended(tmp_path) -> None:
    from tests.e2e.cli_support import wyntek

    r = wyntek("balance", env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
                               "WYNTEK_SUPABASE_URL": "https://127.0.0.1:9",
                               "WYNTEK_SUPABASE_ANON_KEY": "k"})
    assert r.code == 2
    assert "WYNTEK_EMAIL and WYNTEK_PASSWORD" in r.one_line_error()


class LockingKeyring(keyring.backend.KeyringBackend):
    """Works until ``locked`` is set, then refuses like a locked Secret Service."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}
        self.locked = False

    def _check(self) -> None:
        if self.locked:
            raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def get_password(self, service, username):
        self._check()
        return self.values.get((service, username))

    def set_password(self, service, username, password):
        self._check()
        self.values[(service, username)] = password

    def delete_password(self, service, username):
        self._check()
        self.values.pop((service, username), None)


@pytest.fixture
def locking_keyring():
    previous = keyring.get_keyring()
    backend = LockingKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_a_keyring_locked_while_running_keeps_the_working_session(locking_keyring) -> None:
    KeyringStorage("https://a.example").set_item("k", "x" * 2500)  # written by a sign-in
    storage = KeyringStorage("https://a.example")  # a later start reads it back
    assert storage.get_item("k") == "x" * 2500
    locking_keyring.locked = True
    assert storage.get_item("k") == "x" * 2500  # not "please sign in" out of the blue
    assert storage.memory_only and storage.problem == KEYRING_LOCKED
    assert "unlock" in storage.problem


def test_a_locked_keyring_at_start_says_unlock_it(locking_keyring) -> None:
    locking_keyring.locked = True
    assert keyring_problem() == KEYRING_LOCKED
    with httpx.Client() as http:
        session = Session(SETTINGS, http)
        assert session.persistence_warning == KEYRING_LOCKED
        with pytest.raises(errors.SignInRequired) as refused:
            session.current()
    assert "keyring is locked; unlock it" in str(refused.value)


def test_a_session_read_mid_write_is_not_discarded(locking_keyring, monkeypatch) -> None:
    """Another instance rewriting the chunks while we read must not log both out."""
    with httpx.Client() as http:
        session = Session(SETTINGS, http)
        good = '{"access_token": "a", "refresh_token": "r", "expires_in": 3600, ' \
               '"token_type": "bearer", "user": {"id": "u", "app_metadata": {}, ' \
               '"user_metadata": {}, "aud": "authenticated", ' \
               '"created_at": "2026-01-01T00:00:00Z"}}'
        answers = iter(['{"access_token": "a", "refr', good])  # torn read, then whole
        monkeypatch.setattr(session.storage, "get_item", lambda key: next(answers))
        removed: list[str] = []
        monkeypatch.setattr(session.storage, "remove_item", removed.append)
        stored = session.stored()
    assert stored is not None and stored.refresh_token == "r" and removed == []


@pytest.mark.parametrize("status, body, expected", [
    (429, {"code": "over_request_rate_limit", "msg": "Too many requests"},
     errors.ServiceRefusal),
    (401, {"message": "Invalid API key"}, errors.AuthError),
    (503, {"message": "upstream unavailable"}, errors.ServerError),
])
def test_a_refused_refresh_that_is_not_about_the_session_keeps_it(status, body,
                                                                 expected) -> None:
    """A busy service or a wrong anon key must not sign the user out."""
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        session = Session(SETTINGS, http)
        expired = '{"access_token": "a", "refresh_token": "r", "expires_in": 3600, ' \
                  '"expires_at": 1, "token_type": "bearer", "user": {"id": "u", ' \
                  '"app_metadata": {}, "user_metadata": {}, "aud": "authenticated", ' \
                  '"created_at": "2026-01-01T00:00:00Z"}}'
        session.storage.set_item("supabase.auth.token", expired)
        with pytest.raises(expected) as refused:
            session.current()
        assert not isinstance(refused.value, errors.SignInRequired)
        assert session.storage.get_item("supabase.auth.token") == expired


def test_a_backend_that_cannot_be_loaded_means_no_keyring(monkeypatch) -> None:
    from wyntek_desktop.api import keyring_storage

    def broken() -> None:
        raise ModuleNotFoundError("No module named 'nonexistent'")

    monkeypatch.setattr(keyring_storage.keyring, "get_keyring", broken)
    assert keyring_storage.keyring_problem() == keyring_storage.NO_KEYRING

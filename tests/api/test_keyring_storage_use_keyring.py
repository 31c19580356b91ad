"""``KeyringStorage.use_keyring``: back to the keyring after a memory-only stretch."""

import keyring
from keyring.backends import fail

from wyntek_desktop.api.keyring_storage import NO_KEYRING, KeyringStorage


def test_use_keyring_stores_in_the_keyring_again(app_dirs) -> None:
    storage = KeyringStorage("https://a.example")
    storage.use_memory(None)
    storage.set_item("k", "in memory")
    assert list(app_dirs["keyring"].iterdir()) == []
    assert storage.use_keyring() is True
    assert (storage.memory_only, storage.problem) == (False, None)
    storage.set_item("k", "kept")
    assert KeyringStorage("https://a.example").get_item("k") == "kept"


def test_use_keyring_stays_in_memory_when_the_keyring_does_not_work(app_dirs) -> None:
    storage = KeyringStorage("https://a.example")
    storage.use_memory(None)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        assert storage.use_keyring() is False
        assert (storage.memory_only, storage.problem) == (True, NO_KEYRING)
        storage.set_item("k", "v")
        assert storage.get_item("k") == "v"
    finally:
        keyring.set_keyring(previous)
    assert list(app_dirs["keyring"].iterdir()) == []

"""Fixtures that keep every test away from the real user's folders and keyring."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def app_dirs(tmp_path_factory: pytest.TempPathFactory,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    """Redirect config/data/cache/state(log) folders and the keyring to temporary folders.

    Subprocesses inherit the environment, so the CLI and the GUI see the same folders.
    """
    home = tmp_path_factory.mktemp("home")
    dirs = {
        "config": home / "config",
        "data": home / "data",
        "cache": home / "cache",
        "state": home / "state",
        "keyring": tmp_path_factory.mktemp("os-keyring"),
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(dirs["config"]))
    monkeypatch.setenv("XDG_DATA_HOME", str(dirs["data"]))
    monkeypatch.setenv("XDG_CACHE_HOME", str(dirs["cache"]))
    monkeypatch.setenv("XDG_STATE_HOME", str(dirs["state"]))
    monkeypatch.setenv("WYNTEK_TEST_KEYRING_DIR", str(dirs["keyring"]))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.keyring_backend.DirectoryKeyring")
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", f"{REPO_ROOT}{os.pathsep}{path}" if path else str(REPO_ROOT))
    for name in ("WYNTEK_SUPABASE_URL", "WYNTEK_SUPABASE_ANON_KEY", "WYNTEK_EMAIL",
                 "WYNTEK_PASSWORD", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy",
                 "ALL_PROXY", "all_proxy", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    import keyring

    from tests.support.keyring_backend import DirectoryKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(DirectoryKeyring())
    yield dirs
    keyring.set_keyring(previous)

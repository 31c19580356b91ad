"""A keyring backend for tests that stands in for the OS keyring.

Secrets are kept in a folder named by ``WYNTEK_TEST_KEYRING_DIR``, which the fixtures
place outside every folder the app writes to, so a search of the app's own folders for
tokens stays meaningful. It persists across processes like a real keyring does, which
the CLI tests need.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class DirectoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def _path(self, service: str, username: str) -> Path:
        folder = Path(os.environ["WYNTEK_TEST_KEYRING_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(f"{service}\0{username}".encode()).hexdigest()
        return folder / name

    def get_password(self, service: str, username: str) -> str | None:
        path = self._path(service, username)
        return path.read_text("utf-8") if path.exists() else None

    def set_password(self, service: str, username: str, password: str) -> None:
        self._path(service, username).write_text(password, "utf-8")

    def delete_password(self, service: str, username: str) -> None:
        path = self._path(service, username)
        if not path.exists():
            raise PasswordDeleteError("no such secret")
        path.unlink()

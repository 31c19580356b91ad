"""Session storage for the supabase client backed by the OS keyring.

The refresh token lives only here (or in memory): never in a file. Long values are
split over several entries because some keyrings (Windows Credential Manager) cap a
secret at ~2.5 KB. If the keyring fails, the adapter switches to memory and records
why, so the app can tell the user their session will not survive a restart.
"""

from __future__ import annotations

import logging
import threading

import keyring
import keyring.errors
from supabase_auth import SyncSupportedStorage

log = logging.getLogger(__name__)

SERVICE = "wyntek-desktop"
CHUNK = 1000
_CHUNKED = "wyntek-chunks:"
NO_KEYRING = ("No system keyring is available, so your session is kept in memory only; "
              "you will need to sign in again next time.")
KEYRING_LOCKED = ("The system keyring is locked, so your session is kept in memory only; "
                  "unlock the keyring to stay signed in next time.")


def _problem(exc: BaseException) -> str:
    """What to tell the user when the keyring fails: a locked one only needs unlocking."""
    return KEYRING_LOCKED if isinstance(exc, keyring.errors.KeyringLocked) else NO_KEYRING


def keyring_problem() -> str | None:
    """None if a usable keyring backend is present, else the reason."""
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # e.g. PYTHON_KEYRING_BACKEND names a missing backend
        log.warning("keyring backend cannot be loaded: %s", type(exc).__name__)
        return NO_KEYRING
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if name.startswith(("keyring.backends.fail", "keyring.backends.null")):
        return NO_KEYRING
    try:
        keyring.get_password(SERVICE, "probe")
    except Exception as exc:  # any backend failure means: do not rely on it
        log.warning("keyring unusable: %s", type(exc).__name__)
        return _problem(exc)
    return None


class KeyringStorage(SyncSupportedStorage):
    """``get_item/set_item/remove_item`` over keyring entries named ``{scope}:{key}``."""

    def __init__(self, scope: str, *, memory_only: bool = False) -> None:
        self._scope = scope
        self._memory: dict[str, str] = {}
        self._lock = threading.RLock()
        self.memory_only = memory_only
        self.problem: str | None = None

    def use_memory(self, reason: str | None) -> None:
        with self._lock:
            self.memory_only = True
            self.problem = reason

    def use_keyring(self) -> bool:
        """Store in the keyring again after ``use_memory``, if it works now; False if not."""
        problem = keyring_problem()  # probes the keyring: may block, call off the GUI thread
        with self._lock:
            self.memory_only = problem is not None
            self.problem = problem
        return problem is None

    def _name(self, key: str, part: int | None = None) -> str:
        return f"{self._scope}:{key}" if part is None else f"{self._scope}:{key}#{part}"

    def get_item(self, key: str) -> str | None:
        with self._lock:
            if self.memory_only:
                return self._memory.get(key)
            try:
                return self._read(key)
            except Exception as exc:
                self._fail(exc)
                return self._memory.get(key)

    def _read(self, key: str) -> str | None:
        head = keyring.get_password(SERVICE, self._name(key))
        if head is None or not head.startswith(_CHUNKED):
            value = head
        else:
            count = int(head[len(_CHUNKED):])
            parts = [keyring.get_password(SERVICE, self._name(key, i)) for i in range(count)]
            if any(p is None for p in parts):
                return None  # a concurrent writer is mid-update; treat as absent
            value = "".join(p for p in parts if p is not None)
        # Remember the last value read, so a keyring that fails later (locked while the
        # app runs) does not end a session that was working a moment ago.
        if value is None:
            self._memory.pop(key, None)
        else:
            self._memory[key] = value
        return value

    def set_item(self, key: str, value: str) -> None:
        with self._lock:
            self._memory[key] = value
            if self.memory_only:
                return
            try:
                if len(value) <= CHUNK:
                    keyring.set_password(SERVICE, self._name(key), value)
                    return
                parts = [value[i:i + CHUNK] for i in range(0, len(value), CHUNK)]
                for i, part in enumerate(parts):
                    keyring.set_password(SERVICE, self._name(key, i), part)
                keyring.set_password(SERVICE, self._name(key), f"{_CHUNKED}{len(parts)}")
            except Exception as exc:
                self._fail(exc)

    def remove_item(self, key: str) -> None:
        with self._lock:
            self._memory.pop(key, None)
            if not self.memory_only:
                self._delete_saved(key)

    def forget_saved(self, key: str) -> None:
        """Delete the keyring's copy of ``key`` even while storing in memory only (the
        session of an earlier "stay signed in"); the value in memory stays."""
        with self._lock:
            self._delete_saved(key)

    def _delete_saved(self, key: str) -> None:
        try:
            head = keyring.get_password(SERVICE, self._name(key))
            count = int(head[len(_CHUNKED):]) if head and head.startswith(_CHUNKED) else 0
            for name in [self._name(key), *(self._name(key, i) for i in range(count))]:
                try:
                    keyring.delete_password(SERVICE, name)
                except keyring.errors.PasswordDeleteError:
                    pass
        except Exception as exc:
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        log.warning("keyring failed (%s); keeping the session in memory", type(exc).__name__)
        self.use_memory(_problem(exc))

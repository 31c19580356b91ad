"""One process at a time per job: the GUI and a CLI run may share one outbox.

An OS file lock per job (released by the OS when the process dies, so a killed app
never leaves a stale lock). A job locked elsewhere is skipped, not waited for.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


class JobLocks:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._held: dict[str, int] = {}

    def acquire(self, client_job_id: str) -> bool:
        """True if this process now holds the job (or already did)."""
        if client_job_id in self._held:
            return True
        fd = os.open(self.folder / f"{client_job_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        if not _try_lock(fd):
            os.close(fd)
            return False
        self._held[client_job_id] = fd
        return True

    def release(self, client_job_id: str) -> None:
        fd = self._held.pop(client_job_id, None)
        if fd is not None:
            os.close(fd)  # closing drops the lock; the file stays (unlinking would race)

    def forget(self, client_job_ids: set[str]) -> None:
        """Remove lock files of jobs that will never be sent again (submitted, removed)."""
        for path in self.folder.glob("*.lock"):
            if path.stem in client_job_ids and path.stem not in self._held:
                path.unlink(missing_ok=True)

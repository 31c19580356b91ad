"""Resumable uploads on disk: `<data_dir>/tus/<version>/` holds `info.json` and `data`.

The offset is always the size of `data`, never a separately stored counter, so a
restarted server resumes an upload where it stopped.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from . import blobs
from .errors import TusError

LOCK_WAIT_SECONDS = 10.0


class UploadLock:
    """One request at a time per upload. A newcomer asks the holder to stop (as tus-node's
    lockers do), so a client resuming after a crash is not blocked by its own dead PATCH
    that the server is still draining."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.release_requested = asyncio.Event()
        # The holder's task while (and only while) it waits for body bytes: cancelling it
        # there loses nothing that was written, so a stalled client cannot block others.
        self.reader: asyncio.Task[Any] | None = None

    async def acquire(self) -> None:
        if self.lock.locked():
            self.release_requested.set()
            if self.reader is not None:
                self.reader.cancel()
        try:
            async with asyncio.timeout(LOCK_WAIT_SECONDS):
                await self.lock.acquire()
        except TimeoutError:
            raise TusError(409, "Upload is locked by another request") from None
        self.release_requested.clear()

    def release(self) -> None:
        self.lock.release()


class Uploads:
    """The on-disk upload registry plus in-process locks and running hashes."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / "tus"
        self.root.mkdir(parents=True, exist_ok=True)
        self._locks: dict[str, UploadLock] = {}
        # version -> (offset covered, running SHA-256); lost on restart, then rehashed.
        self._hashes: dict[str, tuple[int, Any]] = {}

    def folder(self, version: str) -> Path:
        return self.root / version

    def lock(self, version: str) -> UploadLock:
        return self._locks.setdefault(version, UploadLock())

    def read(self, version: str) -> dict[str, Any] | None:
        path = self.folder(version) / "info.json"
        try:
            info: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return info

    def write(self, version: str, info: dict[str, Any]) -> None:
        folder = self.folder(version)
        tmp = folder / "info.json.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(info, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / "info.json")
        blobs.fsync_dir(folder)

    def offset(self, version: str, info: dict[str, Any]) -> int:
        if info.get("completed"):
            return int(info["length"])
        try:
            return (self.folder(version) / "data").stat().st_size
        except FileNotFoundError:
            return 0

    def remove(self, version: str) -> None:
        shutil.rmtree(self.folder(version), ignore_errors=True)
        self._hashes.pop(version, None)
        self._locks.pop(version, None)

    def hasher_at(self, version: str, offset: int) -> Any | None:
        entry = self._hashes.get(version)
        if entry is not None and entry[0] == offset:
            return entry[1]
        return None

    def remember(self, version: str, offset: int, hasher: Any) -> None:
        self._hashes[version] = (offset, hasher)

    def sweep_expired(self) -> None:
        now = time.time()
        for folder in self.root.iterdir():
            info = self.read(folder.name)
            if info is None and not _abandoned(folder, now):
                continue  # being created right now by a parallel request
            if info is None or info.get("expires_at", 0) < now:
                if not self.lock(folder.name).lock.locked():
                    self.remove(folder.name)


# A folder without info.json older than this was left by a crash during creation.
ABANDONED_AFTER_SECONDS = 600


def _abandoned(folder: Path, now: float) -> bool:
    try:
        return now - folder.stat().st_mtime > ABANDONED_AFTER_SECONDS
    except FileNotFoundError:
        return False

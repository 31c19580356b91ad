"""Object bytes on disk: streamed writes hashed with MD5 (the etag), atomic placement.

An object's bytes live at `<data_dir>/storage/<bucket>/<h[:2]>/<h>/<version>` where `h` is
the SHA-256 of the object name, so no client-chosen text ever becomes a path. The row in
`storage.objects` names the current version; older versions are removed after a commit,
or once the downloads that were reading them end.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import uuid
from collections import Counter
from pathlib import Path
from typing import IO, Any

import anyio

FLUSH_BYTES = 1024 * 1024


def storage_root(data_dir: Path) -> Path:
    return data_dir / "storage"


def object_dir(data_dir: Path, bucket: str, name: str) -> Path:
    digest = hashlib.sha256(f"{bucket}\0{name}".encode()).hexdigest()
    bucket_key = hashlib.sha256(bucket.encode()).hexdigest()[:16]
    return storage_root(data_dir) / bucket_key / digest[:2] / digest


def object_path(data_dir: Path, bucket: str, name: str, version: str) -> Path:
    uuid.UUID(hex=version)  # versions are ours: refuse anything else
    return object_dir(data_dir, bucket, name) / version


def temp_dir(data_dir: Path) -> Path:
    path = storage_root(data_dir) / ".incoming"
    path.mkdir(parents=True, exist_ok=True)
    return path


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable (POSIX); Windows cannot open directories for this."""
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BlobSink:
    """Append bytes to a file off the event loop, hashing them with MD5 as they pass (etag).

    Small network chunks are gathered into ~1 MiB blocks so the thread hop is cheap.
    """

    def __init__(self, path: Path, *, append: bool = False,
                 hasher: Any | None = None) -> None:
        self.path = path
        self._fh: IO[bytes] = open(path, "ab" if append else "wb")
        self.hasher = hasher if hasher is not None else hashlib.md5(usedforsecurity=False)
        self._buffer = bytearray()
        self.written = 0  # bytes accepted by this sink (buffered or on disk)

    async def write(self, data: bytes) -> None:
        self._buffer += data
        self.written += len(data)
        if len(self._buffer) >= FLUSH_BYTES:
            await self.flush()

    async def flush(self) -> None:
        if not self._buffer:
            return
        block, self._buffer = bytes(self._buffer), bytearray()
        await anyio.to_thread.run_sync(self._write_block, block)

    def _write_block(self, block: bytes) -> None:
        self._fh.write(block)
        self.hasher.update(block)

    async def close(self, *, sync: bool = True) -> None:
        """Flush, optionally fsync, and close. Safe to call twice."""
        if self._fh.closed:
            return
        await self.flush()

        def finish() -> None:
            self._fh.flush()
            if sync:
                os.fsync(self._fh.fileno())
            self._fh.close()
        await anyio.to_thread.run_sync(finish)

    def discard(self) -> None:
        if not self._fh.closed:
            self._fh.close()
        self.path.unlink(missing_ok=True)


def place(src: Path, dest: Path) -> None:
    """Move a finished, fsynced file to its final path atomically (same filesystem)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dest)
    fsync_dir(dest.parent)


class Readers:
    """Object files being sent. An object store finishes a download that began before
    its object was deleted or replaced, so a file being sent is removed only once its
    last reader is done."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # removals run in worker threads
        self._reading: Counter[Path] = Counter()
        self._doomed: set[Path] = set()

    def hold(self, path: Path) -> bool:
        """Keep `path` while it is sent; False (and nothing held) when it is gone."""
        with self._lock:
            if not path.is_file():
                return False
            self._reading[path] += 1
            return True

    def release(self, path: Path) -> None:
        with self._lock:
            self._reading[path] -= 1
            if self._reading[path] > 0:
                return
            del self._reading[path]
            if path in self._doomed:
                self._doomed.discard(path)
                path.unlink(missing_ok=True)

    def remove(self, path: Path) -> None:
        with self._lock:
            if self._reading.get(path, 0) > 0:
                self._doomed.add(path)
            else:
                path.unlink(missing_ok=True)

    def reading(self) -> int:
        with self._lock:
            return sum(self._reading.values())


def remove_versions(data_dir: Path, bucket: str, name: str, keep: str | None,
                    readers: Readers) -> None:
    folder = object_dir(data_dir, bucket, name)
    if not folder.is_dir():
        return
    for child in folder.iterdir():
        if child.name != keep:
            readers.remove(child)
    if keep is None:
        try:
            folder.rmdir()
        except OSError:
            pass


def md5_of_file(path: Path) -> str:
    hasher = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        while block := fh.read(4 * 1024 * 1024):
            hasher.update(block)
    return hasher.hexdigest()


class MultipartEtag:
    """The etag S3 gives an object assembled by a multipart upload, as Storage's TUS
    uploads are on hosted projects: the MD5 of the parts' binary MD5s, a dash and the
    number of parts (`"<hex>-<n>"`). Parts are `part_size` bytes, the last one the rest;
    an empty upload is one empty part. Fed like a hashlib object, in any chunking.
    """

    def __init__(self, part_size: int) -> None:
        if part_size <= 0:
            raise ValueError("part_size must be positive")
        self.part_size = part_size
        self._done: list[bytes] = []
        self._part = hashlib.md5(usedforsecurity=False)
        self._in_part = 0

    def update(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            take = min(len(view), self.part_size - self._in_part)
            self._part.update(view[:take])
            self._in_part += take
            view = view[take:]
            if self._in_part == self.part_size:
                self._done.append(self._part.digest())
                self._part = hashlib.md5(usedforsecurity=False)
                self._in_part = 0

    def hexdigest(self) -> str:
        parts = list(self._done)
        if self._in_part or not parts:
            parts.append(self._part.digest())
        joined = hashlib.md5(b"".join(parts), usedforsecurity=False).hexdigest()
        return f"{joined}-{len(parts)}"


def multipart_etag_of_file(path: Path, part_size: int) -> str:
    etag = MultipartEtag(part_size)
    with open(path, "rb") as fh:
        while block := fh.read(4 * 1024 * 1024):
            etag.update(block)
    return etag.hexdigest()


class NameLocks:
    """One asyncio lock per object name: placement, commit and cleanup never interleave."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    def get(self, bucket: str, name: str) -> asyncio.Lock:
        key = (bucket, name)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

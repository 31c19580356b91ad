"""File handling for the outbox: copy-and-hash in one pass, hashing, verification.

The outbox promises that the bytes uploaded are the bytes that were checked, so every
file gets a SHA-256 while it enters the outbox: either while it is copied into the
outbox folder (one read pass does both), or, for files kept in place, by hashing them
and recording size + mtime, to be hashed again right before upload.

Writes go to ``*.part`` files that are fsynced and renamed only when complete, so a
crash or a full disk never leaves a half-written file under its final name.
"""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wyntek_desktop.core.errors import DiskFullError, FileError

# 1 MiB reads: large enough that OpenSSL's SHA-256 dominates, small enough to stay cheap.
READ_SIZE = 1024 * 1024
_NO_SPACE = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


@dataclass(frozen=True)
class FileDigest:
    size: int
    mtime_ns: int
    sha256: str


def sha256_file(path: Path, *, cancelled: Callable[[], bool] | None = None) -> FileDigest:
    """Hash ``path`` with a reused buffer (no per-read allocation)."""
    digest = hashlib.sha256()
    buf = bytearray(READ_SIZE)
    view = memoryview(buf)
    try:
        with open(path, "rb") as src:
            st = os.fstat(src.fileno())
            while n := src.readinto(buf):
                digest.update(view[:n])
                if cancelled is not None and cancelled():
                    raise FileError(f"Checking {path.name} was cancelled.")
    except OSError as exc:
        raise FileError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    return FileDigest(st.st_size, st.st_mtime_ns, digest.hexdigest())


def copy_and_hash(src_path: Path, dest: Path,
                  writer: Callable[[int, memoryview], None] | None = None) -> FileDigest:
    """Copy ``src_path`` to ``dest`` (via ``dest.part``) and hash it in the same pass.

    Raises :class:`DiskFullError` when the disk fills up; the partial copy is removed.
    ``writer`` replaces the raw ``os.write`` (tests use it to inject I/O errors).
    """
    part = dest.with_name(dest.name + ".part")
    digest = hashlib.sha256()
    buf = bytearray(READ_SIZE)
    view = memoryview(buf)
    write = writer or _write_all
    size = 0
    try:
        with open(src_path, "rb") as src:
            st = os.fstat(src.fileno())
            size = st.st_size
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                while n := src.readinto(buf):
                    digest.update(view[:n])
                    write(fd, view[:n])
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(part, dest)
    except OSError as exc:
        _unlink_quietly(part)
        if exc.errno in _NO_SPACE:
            raise DiskFullError(
                f"Not enough disk space to copy {src_path.name} into the outbox.",
                hint=f"Free at least {_human(size)} on the drive of {dest.parent} "
                     "and try again.",
            ) from exc
        raise FileError(f"Cannot copy {src_path} into the outbox: {exc.strerror or exc}.") \
            from exc
    return FileDigest(st.st_size, st.st_mtime_ns, digest.hexdigest())


def fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in ``path`` durable (no-op where unsupported)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _human(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} bytes"

"""File-name and file-writing helpers shared by the API, the outbox and the CLI."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from wyntek_desktop.core.errors import DiskFullError, FileError

# Supabase Storage accepts keys made of ASCII letters, digits and this punctuation only
# (wire reference §3.7); '/' separates folders, so it is not allowed inside a name.
_UNSAFE = re.compile(r"[^A-Za-z0-9_!.*'()&$=@;:+,\- ]")
MAX_NAME = 200


def _clean(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"\.{2,}", ".", _UNSAFE.sub("_", ascii_text)).strip(" .")


def storage_file_name(original: str) -> str:
    """Map a user's file name to a safe Storage object name (ASCII, no '/', no '..').

    The original name is kept separately in ``job_files.file_name``.
    """
    base = original.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem, ext = _clean(stem) or "file", _clean(ext)[:16]
    stem = stem[: MAX_NAME - len(ext) - 1].rstrip(" .") or "file"
    return f"{stem}.{ext}" if ext else stem


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write ``data`` so that ``path`` holds either the old or the new content, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if exc.errno == errno.ENOSPC:
            raise DiskFullError(f"There is no space left to write {path}.",
                                hint="Free some disk space and try again.") from exc
        raise FileError(f"Could not write {path}: {exc.strerror or exc}.") from exc


def atomic_write_text(path: Path, text: str, *, mode: int = 0o600) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)

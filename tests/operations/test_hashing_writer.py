"""The download's hashing writer: the SHA-256 of what it wrote, and a write error (a
full disk) raised to the downloading code instead of vanishing."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest

from wyntek_desktop.api.operations import _HashingWriter


def test_hash_and_bytes_match(tmp_path: Path) -> None:
    chunks = [os.urandom(n) for n in (1, 65536, 70000, 3, 0, 65536)] * 40
    writer = _HashingWriter(tmp_path / "x.part")
    for chunk in chunks:
        writer.write(chunk)
    data = b"".join(chunks)
    assert writer.finish() == hashlib.sha256(data).hexdigest()
    assert (tmp_path / "x.part").read_bytes() == data


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_is_reported() -> None:
    writer = _HashingWriter(Path("/dev/full"))
    with pytest.raises(OSError) as failed:
        for _ in range(200):
            writer.write(b"x" * 65536)
        writer.finish()
    assert failed.value.errno == errno.ENOSPC
    writer.close()  # idempotent after a failure

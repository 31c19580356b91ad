"""Assertions shared by the hostile-input tests and the fuzzers."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wyntek_desktop.core.errors import FileError

SECONDS = 2.0


@pytest.fixture(scope="session")
def warm_imports() -> None:
    """Import the parsers' libraries once: the time limit is about the file, not about
    first-time imports (which tracemalloc slows down a lot)."""
    import pypdf  # noqa: F401
    import trimesh  # noqa: F401
    from lxml import etree  # noqa: F401
PEAK_BYTES = 64 * 1024**2


def expect_file_error(path: Path, action: Callable[[Path], Any], *, match: str = "",
                      peak_bytes: int = PEAK_BYTES) -> FileError:
    """``action(path)`` raises FileError with one sentence, fast and in bounded memory."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(FileError) as caught:
            action(path)
    finally:
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < SECONDS, f"took {elapsed:.2f} s"
    assert peak < peak_bytes, f"peak memory {peak / 1024**2:.1f} MB"
    message = str(caught.value)
    assert path.name in message and message.strip().endswith((".", "?"))
    assert "\n" not in message and "Traceback" not in message
    if match:
        assert match.lower() in message.lower(), message
    return caught.value


def survives(path: Path, action: Callable[[Path], Any]) -> None:
    """``action(path)`` either succeeds or raises FileError: nothing else."""
    try:
        action(path)
    except FileError as exc:
        assert str(exc) and "\n" not in str(exc)

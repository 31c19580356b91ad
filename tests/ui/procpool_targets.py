"""Functions the helper-process tests run in the helper (named, imported there)."""

from __future__ import annotations

import os
from typing import Any


def helper_pid(state: Any) -> int:
    return os.getpid()


def busy(state: Any, seconds: float) -> int:
    """Work that never looks at its cancellation (as a parser deep in a big file)."""
    import time

    time.sleep(seconds)
    return os.getpid()

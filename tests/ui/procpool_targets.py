"""Functions the helper-process tests run in the helper (named, imported there)."""

from __future__ import annotations

import os
from typing import Any


def helper_pid(state: Any) -> int:
    return os.getpid()

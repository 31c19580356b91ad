"""Functions the procpool tests run in the helper process (``module:function`` names)."""

from __future__ import annotations

import os
import time
from typing import Any


def double(state: Any, value: int) -> int:
    state.report_progress(1.0, "doubled")
    time.sleep(0.5)  # still running when the report is read (later ones are dropped)
    return 2 * value


def wait_for_cancel(state: Any, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if state.is_cancelled():
            return "noticed"
        time.sleep(0.01)
    return "not cancelled"


def crash(state: Any) -> None:
    os._exit(9)  # the helper dies as it would when the OS kills it (out of memory)


def pid(state: Any) -> int:
    return os.getpid()


def crash_once_noted(state: Any, path: str) -> None:
    with open(path, "a", encoding="utf-8") as fh:  # every run of this call leaves a line
        fh.write("ran\n")
    os._exit(9)

"""PySide6 6.12.0 on Python 3.11 aborts the interpreter (none_dealloc) after a few
thousand calls of Qt methods returning None; the pinned PySide6 must not."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
from PySide6.QtCore import QObject
obj = QObject()
for i in range(20_000):
    obj.setObjectName(f"object-{i}")
print(obj.objectName())
"""


def test_none_returning_qt_calls_do_not_crash_the_interpreter() -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    assert proc.stdout.strip() == "object-19999"

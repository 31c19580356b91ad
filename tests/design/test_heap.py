"""One-shot processes keep freed memory for the next array (``design.heap``)."""

from __future__ import annotations

import subprocess
import sys

import pytest

_PROBE = """
import resource
import numpy as np
from wyntek_desktop.design.heap import keep_freed_memory
kept = keep_freed_memory() if KEEP else False
for _ in range(3):  # warm: the first round meets fresh pages either way
    blocks = [np.ones(1 << 17) for _ in range(40)]  # 1 MiB each, 40 MiB in all
    del blocks
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    blocks = [np.ones(1 << 17) for _ in range(40)]
    del blocks
print(kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(keep: bool) -> tuple[bool, int]:
    out = subprocess.run([sys.executable, "-c", _PROBE.replace("KEEP", str(keep))],
                         capture_output=True, text=True, check=True).stdout.split()
    return out[0] == "True", int(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux only")
def test_freed_arrays_are_reused_without_page_faults() -> None:
    kept, faults = _faults(True)
    assert kept
    # 800 MiB allocated and freed again: 204,800 pages if each one were fresh
    assert faults < 2_000, faults


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux only")
def test_without_it_big_freed_arrays_go_back_to_the_kernel() -> None:
    # the reason for the call: the default hands freed big arrays back, page by page
    kept, faults = _faults(False)
    assert not kept and faults > 20_000, faults

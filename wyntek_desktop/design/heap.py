"""Keep freed memory in the process for the next array (glibc), in one-shot processes.

By default glibc gives every array above a moving threshold its own mapping and returns
it to the kernel when freed, so each of the analysis's many block-sized temporaries
meets fresh pages: on the 1.3 M-triangle part a third of the first report's time went to
page faults (32,000 of them, 0.27 s of kernel time against 0.44 s of work). A process
that checks a file and exits (the ``wyntek`` command, the service's measuring child)
does better to reuse the pages it already has. The desktop's long-lived helper does not
call this: it would keep its peak for the rest of the session.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_HEAP_ONLY = 1 << 30  # arrays up to 1 GiB come from the heap


def keep_freed_memory() -> bool:
    """Serve arrays from the heap and never hand freed pages back; True when set."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to tune
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _HEAP_ONLY)) and bool(
        mallopt(_M_TRIM_THRESHOLD, 2**31 - 1))

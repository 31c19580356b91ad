"""Keep the garbage collector's full passes from stalling the GUI thread.

A full collection walks every object the collector tracks. With the app's modules, Qt
wrappers and a few thousand job records that takes 20 to 100 ms on the GUI thread, and
Python runs it whenever enough new objects have survived, for instance while the user
scrolls a table just loaded. Objects that are going to live long (everything alive once
start-up is done, a big set of records just loaded) are therefore moved out of the
collector's reach with ``gc.freeze()``. Reference counting still frees them when they
are dropped; only reference cycles among them would outlive their use, and the records
and widgets involved do not form cycles that matter.
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)

BIG_LOAD = 1000  # records; smaller loads cost a full collection less than a frame


def freeze_survivors(*, full: bool) -> None:
    """Collect (all generations if ``full``, else only the young ones, which hold what
    was just loaded), then freeze whatever survived."""
    t0 = time.perf_counter()
    gc.collect(2 if full else 1)
    gc.freeze()
    log.info("garbage collector: %d objects frozen, %.0f ms", gc.get_freeze_count(),
             (time.perf_counter() - t0) * 1000)

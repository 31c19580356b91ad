"""CPU-heavy design work in a helper process, so it cannot hold the GUI's GIL.

numpy and trimesh keep the GIL for hundreds of milliseconds in some calls (sorting
millions of vertices, rasterising a thumbnail), which would freeze the window even
from a worker thread. The analysis, thumbnails and mesh decimation therefore run in a
``spawn``-ed process; a pool thread waits for the answer (``run_in_process``), so the
call looks like any other worker function to the window.

Progress and cancellation cross the process boundary through a queue and a small shared
array: the child's ``state`` object speaks the same ``report_progress``/``is_cancelled``
language as a thread worker.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import multiprocessing as mp
import os
import queue
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from wyntek_desktop.background.cancel import Cancelled
from wyntek_desktop.background.state import WorkState
from wyntek_desktop.background.targets import run_named
from wyntek_desktop.core.errors import WyntekError

SLOTS = 256
_child: dict[str, Any] = {}


# --- child side ------------------------------------------------------------------------

def _init_child(progress: Any, cancelled: Any) -> None:
    _child["progress"], _child["cancelled"] = progress, cancelled
    if sys.platform == "linux":  # end with the app even if it is killed
        with contextlib.suppress(OSError, AttributeError):
            import ctypes
            ctypes.CDLL("libc.so.6").prctl(1, 15)  # PR_SET_PDEATHSIG, SIGTERM
    if hasattr(os, "nice"):
        # background work: the window's process comes first when cores are busy
        with contextlib.suppress(OSError):
            os.nice(5)


class _ChildState:
    def __init__(self, seq: int) -> None:
        self.seq = seq
        self._last = 0.0

    def report_progress(self, fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if fraction < 1.0 and now - self._last < 0.1:
            return
        self._last = now
        _child["progress"].put((self.seq, float(fraction), message))

    def is_cancelled(self) -> bool:
        return bool(_child["cancelled"][self.seq % SLOTS] == self.seq)


def _call(seq: int, target: str, args: tuple[Any, ...]) -> Any:
    return run_named(_ChildState(seq), target, *args)


# --- parent side -----------------------------------------------------------------------

class ProcessPool:
    """A lazily started pool of helper processes (one per app, owned by the window's
    services)."""

    def __init__(self, workers: int = 1) -> None:
        self._workers = workers
        self._ctx = mp.get_context("spawn")
        self._executor: ProcessPoolExecutor | None = None
        self._progress: Any = None
        self._cancelled: Any = None
        self._states: dict[int, WorkState | None] = {}
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None
        self._stop_reader = threading.Event()
        self._closed = False

    def _ensure(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise WyntekError("The app is closing.")
            if self._executor is None:
                # each generation of helpers has its own queue, read by its own reader
                self._progress = self._ctx.Queue()
                self._cancelled = self._ctx.Array("q", SLOTS, lock=False)
                self._executor = ProcessPoolExecutor(
                    self._workers, mp_context=self._ctx, initializer=_init_child,
                    initargs=(self._progress, self._cancelled))
                self._stop_reader = threading.Event()
                self._reader = threading.Thread(
                    target=self._read_progress, args=(self._progress, self._stop_reader),
                    name="wyntek-process-progress", daemon=True)
                self._reader.start()
            return self._executor

    def _read_progress(self, progress: Any, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                item = progress.get(timeout=0.5)
            except queue.Empty:
                continue
            except (EOFError, OSError, ValueError):
                return
            if item is None:
                return
            seq, fraction, message = item
            state = self._states.get(seq)
            if state is not None:
                state.report_progress(fraction, message)

    def warm_up(self, module: str) -> None:
        """Start the helper process early and import ``module`` there (numpy is slow)."""
        self._ensure().submit(importlib.import_module, module)

    def run(self, state: WorkState | None, target: str, *args: Any) -> Any:
        """Run ``module:function(state, *args)`` in the helper process; blocks this thread."""
        executor = self._ensure()
        seq = next(self._seq)
        self._states[seq] = state
        try:
            future: Future[Any] = executor.submit(_call, seq, target, args)
            while True:
                try:
                    return future.result(timeout=0.05)
                except TimeoutError:
                    if state is not None and state.is_cancelled():
                        self._cancelled[seq % SLOTS] = seq
                        future.cancel()
                        raise Cancelled() from None
        except BrokenProcessPool:
            self._discard(executor)
            raise WyntekError("The checking process stopped unexpectedly (out of memory?).",
                              hint="Try again; very large files need a lot of memory.") from None
        finally:
            self._states.pop(seq, None)

    def _discard(self, broken: ProcessPoolExecutor) -> None:
        """After a helper crashed: end that generation's reader and queue, so the next
        call starts one fresh generation (not a second reader beside the old one)."""
        with self._lock:
            if self._executor is not broken:
                return  # another call already discarded it
            self._executor = None
            reader, stop, progress = self._reader, self._stop_reader, self._progress
            self._reader = self._progress = None
        stop.set()
        if reader is not None:
            reader.join(5)
        if progress is not None:
            progress.cancel_join_thread()  # the dead helper may have left it half-written
            progress.close()

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is None:
            return
        if self._cancelled is not None:
            for seq in list(self._states):
                self._cancelled[seq % SLOTS] = seq
        executor.shutdown(wait=True, cancel_futures=True)
        self._stop_reader.set()
        if self._progress is not None:
            self._progress.put(None)
        if self._reader is not None:
            self._reader.join(5)
        if self._progress is not None:
            self._progress.close()
            self._progress.join_thread()

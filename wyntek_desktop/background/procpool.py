"""CPU-heavy design work in a helper process, so it cannot hold the GUI's GIL.

numpy and trimesh keep the GIL for hundreds of milliseconds in some calls (sorting
millions of vertices, rasterising a thumbnail), which would freeze the window even
from a worker thread. The analysis, thumbnails and mesh decimation therefore run in a
``spawn``-ed process; a pool thread waits for the answer (``run_in_process``), so the
call looks like any other worker function to the window.

Progress and cancellation cross the process boundary through a queue and a small shared
array: the child's ``state`` object speaks the same ``report_progress``/``is_cancelled``
language as a thread worker.

The helper ends with the app by watching its parent *process* (the pipe every ``spawn``-ed
child holds to its parent closes when the parent dies, even by SIGKILL). It must not use
``PR_SET_PDEATHSIG``: that fires when the *thread* that started the child exits, and the
helper is started from a Qt pool thread, which Qt retires after 30 s idle — the helper
was killed under the next check ("stopped unexpectedly").

A helper that dies while idle is noticed by the executor's own thread, which may be
later than the next call: that call then fails with ``BrokenProcessPool`` though no
helper ever began it. Each call therefore marks its start in shared memory first thing
in the helper; a call that broke before its mark is handed to a fresh helper once, and
one that had started is reported, never run twice.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import multiprocessing as mp
import os
import queue
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
SHUTDOWN_GRACE_S = 0.5  # for a busy helper to see its cancellation before it is ended
_child: dict[str, Any] = {}


# --- child side ------------------------------------------------------------------------

def _init_child(progress: Any, cancelled: Any, started: Any) -> None:
    _child["progress"], _child["cancelled"] = progress, cancelled
    _child["started"] = started
    parent = mp.parent_process()
    if parent is not None:  # end with the app even if it is killed
        threading.Thread(target=_exit_with_parent, args=(parent.sentinel,),
                         name="wyntek-parent-watch", daemon=True).start()
    if hasattr(os, "nice"):
        # background work: the window's process comes first when cores are busy
        with contextlib.suppress(OSError):
            os.nice(5)


def _exit_with_parent(sentinel: int) -> None:
    """Block until the parent process is gone (its end of the pipe closes), then leave."""
    from multiprocessing.connection import wait

    wait([sentinel])
    os._exit(0)


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
    _child["started"][seq % SLOTS] = seq  # from here on, a crash is this call's
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
        self._started: Any = None
        self._states: dict[int, WorkState | None] = {}
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None
        self._stop_reader = threading.Event()
        self._closed = False

    def _ensure(self) -> ProcessPoolExecutor:
        return self._generation()[0]

    def _generation(self) -> tuple[ProcessPoolExecutor, Any]:
        """The live executor and its array of started calls (started lazily)."""
        with self._lock:
            if self._closed:
                raise WyntekError("The app is closing.")
            if self._executor is None:
                # each generation of helpers has its own queue, read by its own reader
                self._progress = self._ctx.Queue()
                self._cancelled = self._ctx.Array("q", SLOTS, lock=False)
                self._started = self._ctx.Array("q", SLOTS, lock=False)
                self._executor = ProcessPoolExecutor(
                    self._workers, mp_context=self._ctx, initializer=_init_child,
                    initargs=(self._progress, self._cancelled, self._started))
                self._stop_reader = threading.Event()
                self._reader = threading.Thread(
                    target=self._read_progress, args=(self._progress, self._stop_reader),
                    name="wyntek-process-progress", daemon=True)
                self._reader.start()
            return self._executor, self._started

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

    def _submit(self, seq: int, target: str,
                args: tuple[Any, ...]) -> tuple[ProcessPoolExecutor, Any, Future[Any]]:
        """Hand the call to the helper; a helper that died while idle is replaced once
        (this call never reached it, so trying again cannot run it twice)."""
        executor, started = self._generation()
        try:
            return executor, started, executor.submit(_call, seq, target, args)
        except BrokenProcessPool:
            self._discard(executor)
            executor, started = self._generation()
            return executor, started, executor.submit(_call, seq, target, args)

    def helper_pids(self) -> list[int]:
        """The helper processes running now (diagnostics and tests)."""
        processes = getattr(self._executor, "_processes", None) or {}
        return [p.pid for p in list(processes.values()) if p.is_alive()]

    def run(self, state: WorkState | None, target: str, *args: Any) -> Any:
        """Run ``module:function(state, *args)`` in the helper process; blocks this thread."""
        seq = next(self._seq)
        self._states[seq] = state
        try:
            for attempt in (1, 2):
                executor, started, future = self._submit(seq, target, args)
                try:
                    return self._wait(future, seq, state)
                except BrokenProcessPool:
                    self._discard(executor)
                    if attempt == 1 and started[seq % SLOTS] != seq:
                        continue  # no helper began it: it broke while idle
                    raise
        except BrokenProcessPool:
            if self._closed:  # ended by the app's own shutdown, not by a crash
                raise Cancelled() from None
            raise WyntekError("The checking process stopped unexpectedly while working on "
                              "this file (out of memory?).",
                              hint="Press Retry; very large files need a lot of memory.") from None
        finally:
            self._states.pop(seq, None)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, future: Future[Any], seq: int, state: WorkState | None) -> Any:
        while True:
            try:
                return future.result(timeout=0.05)
            except TimeoutError:
                if state is not None and state.is_cancelled():
                    self._cancelled[seq % SLOTS] = seq
                    future.cancel()
                    raise Cancelled() from None

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

    def shutdown(self, grace_s: float = SHUTDOWN_GRACE_S) -> None:
        """End the helpers: idle ones at once, a busy one after ``grace_s`` to notice
        its cancellation. Their work is a check or a preview the app can redo; the app
        must not wait for it (reading a 1 GB part held the quit for seconds)."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is None:
            return
        if self._cancelled is not None:
            for seq in list(self._states):
                self._cancelled[seq % SLOTS] = seq
        helpers = list((getattr(executor, "_processes", None) or {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + grace_s
        for helper in helpers:
            helper.join(max(0.0, deadline - time.monotonic()))
        for helper in helpers:
            if helper.is_alive():
                helper.terminate()
                helper.join(2.0)
            if helper.is_alive():
                helper.kill()
                helper.join(2.0)
        # with its helpers gone, the executor's own thread ends (and fails what waited)
        manager = getattr(executor, "_executor_manager_thread", None)
        if manager is not None:
            manager.join(5.0)
        self._stop_reader.set()
        if self._progress is not None:
            self._progress.put(None)
        if self._reader is not None:
            self._reader.join(5)
        if self._progress is not None:
            self._progress.close()
            self._progress.join_thread()

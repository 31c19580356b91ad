"""Background work for the window: plain functions run on a thread pool.

A job is a plain function ``fn(state, *args)``. ``state`` lets it report progress
(``state.report_progress(fraction, message)``) and ask whether the user gave up
(``state.is_cancelled()``). The function knows nothing about Qt; the pool runs it on a
``QThreadPool`` and hands the result, the error or the progress back to the GUI thread
by queued signals. The GUI thread therefore never does file I/O, parsing or HTTP.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    QRunnable,
    QThread,
    QThreadPool,
    Signal,
    Slot,
)

from wyntek_desktop.background.cancel import Cancelled

# Progress from a tight loop would flood the GUI event queue; 25 updates a second is plenty.
_PROGRESS_INTERVAL_S = 0.04


class TaskState:
    """What a worker function sees (a ``background.state.WorkState``): progress out,
    cancellation in. Thread-safe."""

    def __init__(self) -> None:
        self._outcome: _Outcome | None = None
        self._cancel = threading.Event()
        self._last_emit = 0.0

    def report_progress(self, fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if fraction < 1.0 and now - self._last_emit < _PROGRESS_INTERVAL_S:
            return
        self._last_emit = now
        if self._outcome is not None:
            self._outcome.progress.emit(max(0.0, min(1.0, float(fraction))), message)

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def check_cancelled(self) -> None:
        """Raise :class:`Cancelled` when the user gave up; handy in loops."""
        if self._cancel.is_set():
            raise Cancelled()

    def cancel(self) -> None:
        self._cancel.set()


class Task(QObject):
    """The GUI-thread handle of one background job (lives in the GUI thread)."""

    progress = Signal(float, str)
    succeeded = Signal(object)
    failed = Signal(object)       # the exception instance
    cancelled = Signal()
    finished = Signal()           # always last, whatever happened

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.state = TaskState()
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None

    def cancel(self) -> None:
        self.state.cancel()

    def is_cancelled(self) -> bool:
        return self.state.is_cancelled()


class _Outcome(QObject):
    """Carries the outcome from the pool thread to the GUI thread (queued signal)."""

    ready = Signal(object, object, bool)  # result, error, cancelled
    progress = Signal(float, str)


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[..., Any], task: Task, outcome: _Outcome,
                 args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn, self._task, self._outcome = fn, task, outcome
        self._args, self._kwargs = args, kwargs

    def run(self) -> None:
        state = self._task.state
        result: Any = None
        error: BaseException | None = None
        try:
            if not state.is_cancelled():
                result = self._fn(state, *self._args, **self._kwargs)
        except Cancelled:
            pass
        except BaseException as exc:  # a worker must never take the app down
            error = exc
        self._outcome.ready.emit(result, error, state.is_cancelled())


class WorkerPool(QObject):
    """Runs worker functions; one per window (no global state), so tests can drain it."""

    _instances: weakref.WeakSet[WorkerPool] = weakref.WeakSet()

    def __init__(self, max_threads: int = 4, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._tasks: set[Task] = set()
        self._outcomes: dict[_Outcome, Task] = {}
        self._latest: dict[str, Task] = {}
        WorkerPool._instances.add(self)

    def submit(self, fn: Callable[..., Any], *args: Any,
               on_result: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None,
               on_progress: Callable[[float, str], None] | None = None,
               on_finished: Callable[[], None] | None = None,
               latest: str | None = None, name: str | None = None,
               **kwargs: Any) -> Task:
        """Run ``fn(state, *args, **kwargs)`` in the pool; callbacks run in the GUI thread.

        ``latest``: a key; a new job with the same key cancels the previous one and the
        previous one's result is dropped (e.g. a quote refreshed on every keystroke).
        """
        task = Task(name or str(getattr(fn, "__name__", "task")), self)
        if latest is not None:
            previous = self._latest.get(latest)
            if previous is not None and not previous.done:
                previous.cancel()
            self._latest[latest] = task
        if on_result:
            task.succeeded.connect(on_result)
        if on_error:
            task.failed.connect(on_error)
        if on_progress:
            task.progress.connect(on_progress)
        if on_finished:
            task.finished.connect(on_finished)
        # GUI thread affinity (its slot runs here) and owned by the pool, not by Python:
        # the pool thread's runnable may drop the last Python reference after the GUI
        # thread asked for deleteLater, and a Python-owned object would then be deleted
        # in that thread while its deferred delete is pending here (a crash).
        outcome = _Outcome(self)
        outcome.ready.connect(self._deliver)
        outcome.progress.connect(self._relay_progress)
        task.state._outcome = outcome
        self._tasks.add(task)
        self._outcomes[outcome] = task
        self._pool.start(_Runnable(fn, task, outcome, args, kwargs))
        return task

    @Slot(float, str)
    def _relay_progress(self, fraction: float, message: str) -> None:
        task = self._outcomes.get(self.sender())  # type: ignore[call-overload]
        if task is not None and not task.is_cancelled():
            task.progress.emit(fraction, message)

    @Slot(object, object, bool)
    def _deliver(self, result: Any, error: BaseException | None, cancelled: bool) -> None:
        outcome = self.sender()
        task = self._outcomes.pop(outcome, None)  # type: ignore[call-overload]
        if task is None:
            return
        outcome.deleteLater()
        self._tasks.discard(task)
        task.done = True
        task.result, task.error = result, error
        if cancelled:
            task.cancelled.emit()
        elif error is not None:
            task.failed.emit(error)
        else:
            task.succeeded.emit(result)
        task.finished.emit()
        task.deleteLater()

    def active(self) -> int:
        """Jobs submitted whose outcome has not yet reached the GUI thread."""
        return len(self._tasks)

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until the pool threads are idle (shutdown and tests only)."""
        return bool(self._pool.waitForDone(timeout_ms))

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        self.cancel_all()
        idle = self.wait(timeout_ms)
        if QThread.currentThread() == self.thread():
            # Run the deferred deletes of delivered tasks now, here: the pool's owner may
            # be garbage-collected later in another thread, and deleting a task there
            # while this thread runs its deferred delete crashes.
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        return idle

    @classmethod
    def busy_pools(cls) -> list[WorkerPool]:
        """Pools that still have running threads (tests assert this is empty)."""
        return [p for p in list(cls._instances) if p._pool.activeThreadCount() > 0]

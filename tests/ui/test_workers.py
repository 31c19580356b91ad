from __future__ import annotations

import threading
import time

import pytest

from wyntek_desktop.ui.workers import Cancelled, TaskState, WorkerPool


@pytest.fixture
def pool(qtbot):
    p = WorkerPool(max_threads=2)
    yield p
    p.shutdown()
    p.deleteLater()


def test_result_arrives_in_gui_thread(qtbot, pool) -> None:
    gui = threading.get_ident()
    seen: dict[str, object] = {}

    def work(state: TaskState, x: int) -> int:
        seen["worker"] = threading.get_ident()
        state.report_progress(1.0, "done")
        return x * 2

    def on_result(value: int) -> None:
        seen["result"] = value
        seen["callback"] = threading.get_ident()

    progress: list[tuple[float, str, int]] = []
    task = pool.submit(work, 21, on_result=on_result,
                       on_progress=lambda f, m: progress.append((f, m, threading.get_ident())))
    with qtbot.waitSignal(task.finished, timeout=5000):
        pass
    assert seen["result"] == 42
    assert seen["worker"] != gui and seen["callback"] == gui
    assert progress == [(1.0, "done", gui)]
    assert pool.active() == 0


def test_error_is_delivered_not_raised(qtbot, pool) -> None:
    errors: list[BaseException] = []

    def work(state: TaskState) -> None:
        raise ValueError("broken file")

    task = pool.submit(work, on_error=errors.append)
    with qtbot.waitSignal(task.finished, timeout=5000):
        pass
    assert len(errors) == 1 and str(errors[0]) == "broken file"


def test_cancel_stops_a_long_job(qtbot, pool) -> None:
    started = threading.Event()
    results: list[object] = []

    def work(state: TaskState) -> str:
        started.set()
        for _ in range(500):
            state.check_cancelled()
            time.sleep(0.01)
        return "finished"

    task = pool.submit(work, on_result=results.append)
    assert started.wait(5)
    t0 = time.monotonic()
    task.cancel()
    with qtbot.waitSignal(task.cancelled, timeout=5000):
        pass
    assert time.monotonic() - t0 < 1.0
    assert results == []


def test_latest_drops_superseded_results(qtbot, pool) -> None:
    results: list[int] = []

    def work(state: TaskState, n: int, delay: float) -> int:
        time.sleep(delay)
        if state.is_cancelled():
            raise Cancelled()
        return n

    pool.submit(work, 1, 0.3, latest="quote", on_result=results.append)
    last = pool.submit(work, 2, 0.0, latest="quote", on_result=results.append)
    with qtbot.waitSignal(last.finished, timeout=5000):
        pass
    qtbot.waitUntil(lambda: pool.active() == 0, timeout=5000)
    assert results == [2]


def test_progress_is_throttled(qtbot, pool) -> None:
    updates: list[float] = []

    def work(state: TaskState) -> None:
        for i in range(100_000):
            state.report_progress(i / 100_000)
        state.report_progress(1.0)

    task = pool.submit(work, on_progress=lambda f, m: updates.append(f))
    with qtbot.waitSignal(task.finished, timeout=10000):
        pass
    assert updates[-1] == 1.0
    assert len(updates) < 200

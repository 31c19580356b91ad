"""The helper-process pool: results, progress and cancellation cross the process
boundary; a crashed helper is reported in a sentence and replaced by one new helper."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wyntek_desktop.background.cancel import Cancelled
from wyntek_desktop.background.procpool import ProcessPool
from wyntek_desktop.core.errors import WyntekError

TARGETS = "tests.background.targets:"
READER = "wyntek-process-progress"


class State:
    """A thread worker's state, as the window's pool gives it."""

    def __init__(self) -> None:
        self.progress: list[tuple[float, str]] = []
        self.cancelled = threading.Event()

    def report_progress(self, fraction: float, message: str = "") -> None:
        self.progress.append((fraction, message))

    def is_cancelled(self) -> bool:
        return self.cancelled.is_set()


@pytest.fixture
def pool() -> Iterator[ProcessPool]:
    pool = ProcessPool()
    yield pool
    pool.shutdown()


def readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == READER and t.is_alive()]


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_result_and_progress_come_back(pool: ProcessPool) -> None:
    state = State()
    assert pool.run(state, TARGETS + "double", 21) == 42
    assert wait_until(lambda: state.progress == [(1.0, "doubled")])


def test_cancelling_reaches_the_helper_and_raises_cancelled(pool: ProcessPool) -> None:
    state = State()
    threading.Timer(0.3, state.cancelled.set).start()
    with pytest.raises(Cancelled):
        pool.run(state, TARGETS + "wait_for_cancel", 60.0)
    # the helper saw the flag too: the next call runs at once, not after 60 s
    assert pool.run(State(), TARGETS + "double", 1) == 2


def test_a_crashed_helper_is_replaced_with_one_progress_reader(pool: ProcessPool) -> None:
    assert pool.run(State(), TARGETS + "double", 1) == 2
    assert len(readers()) == 1
    with pytest.raises(WyntekError, match="stopped unexpectedly"):
        pool.run(State(), TARGETS + "crash")
    state = State()
    assert pool.run(state, TARGETS + "double", 5) == 10  # a new helper took over
    assert wait_until(lambda: state.progress == [(1.0, "doubled")])
    # the first reader has ended: it must not compete for the new helper's reports
    assert wait_until(lambda: len(readers()) == 1), [t.name for t in readers()]
    pool.shutdown()
    assert wait_until(lambda: not readers())


def test_a_helper_killed_while_idle_does_not_fail_the_next_call(pool: ProcessPool) -> None:
    import os
    import signal

    for _ in range(3):  # the call goes out at once, before the pool noticed the death
        helper = pool.run(None, TARGETS + "pid")
        os.kill(helper, signal.SIGKILL)
        assert pool.run(None, TARGETS + "pid") != helper


def test_a_call_that_crashed_its_helper_is_not_run_again(pool: ProcessPool,
                                                         tmp_path: Path) -> None:
    notes = tmp_path / "runs.txt"
    with pytest.raises(WyntekError, match="stopped unexpectedly"):
        pool.run(None, TARGETS + "crash_once_noted", str(notes))
    assert notes.read_text().splitlines() == ["ran"]

"""Fixtures for the window's tests: every test must leave no thread or timer running."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QThreadPool, QTimer

from wyntek_desktop.ui.workers import WorkerPool


@pytest.fixture(autouse=True)
def own_qsettings(app_dirs: object) -> None:
    """Qt reads the config folder for QSettings once per process: point it at this
    test's folder, so a window layout saved by one test is not restored in the next."""
    import os

    from PySide6.QtCore import QSettings

    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope,
                      os.environ["XDG_CONFIG_HOME"])


@pytest.fixture(autouse=True)
def no_dangling_timers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail a test that leaves a started QTimer active (napari-style check)."""
    started: weakref.WeakSet[QTimer] = weakref.WeakSet()
    original = QTimer.start

    def tracking_start(self: QTimer, *args: object) -> None:
        started.add(self)
        original(self, *args)

    monkeypatch.setattr(QTimer, "start", tracking_start)
    yield
    active = []
    for timer in list(started):
        try:
            if timer.isActive():
                active.append(timer.objectName() or repr(timer))
        except RuntimeError:  # the C++ object is gone: fine
            continue
    assert not active, f"timers left running: {active}"


@pytest.fixture(autouse=True)
def no_dangling_threads() -> Iterator[None]:
    """Fail a test that leaves worker threads or new Python threads running."""
    before = set(threading.enumerate())
    yield
    for pool in WorkerPool.busy_pools():
        pool.wait(5_000)
    assert not WorkerPool.busy_pools(), "worker pools still busy after the test"
    QThreadPool.globalInstance().waitForDone(5_000)
    assert QThreadPool.globalInstance().activeThreadCount() == 0
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()
                and not t.daemon]
    for t in leftover:
        t.join(timeout=5)
    leftover = [t.name for t in leftover if t.is_alive()]
    assert not leftover, f"threads left running: {leftover}"

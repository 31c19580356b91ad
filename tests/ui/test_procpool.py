"""The checking helper process outlives the Qt pool thread that started it.

Qt's thread pool retires a thread after it has been idle for its expiry time (30 s by
default). The helper used to be bound to that thread by ``PR_SET_PDEATHSIG``, so it was
killed then, and the next file check failed with "stopped unexpectedly". These tests use
real processes and a real ``QThreadPool`` and wait past its expiry.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from wyntek_desktop.ui.services import Services

TARGET = "tests.ui.procpool_targets:helper_pid"
REPO = Path(__file__).resolve().parents[2]


def _running(pid: int) -> bool:
    """Alive and not a zombie (a zombie's parent has not reaped it yet)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _check_in_helper(qtbot: Any, services: Services) -> Any:
    outcome: dict[str, Any] = {}
    services.call_in_process(TARGET, on_result=lambda pid: outcome.setdefault("pid", pid),
                             on_error=lambda err: outcome.setdefault("error", err))
    qtbot.waitUntil(lambda: bool(outcome), timeout=60_000)
    assert "error" not in outcome, outcome["error"]
    return outcome["pid"]


def _survives_expiry(qtbot: Any, expiry_ms: int) -> None:
    services = Services()
    services.pool._pool.setExpiryTimeout(expiry_ms)
    try:
        first = _check_in_helper(qtbot, services)
        assert _running(first)
        # the pool thread that started the helper is idle now; Qt retires it after expiry
        qtbot.wait(expiry_ms + 2_000)
        assert _running(first), "the helper died when its starting thread retired"
        assert _check_in_helper(qtbot, services) == first  # same helper, no failure
    finally:
        services.shutdown()


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to see the helper")
def test_helper_survives_the_pool_thread_retiring_after_its_idle_expiry(qtbot) -> None:
    _survives_expiry(qtbot, 500)  # a real QThreadPool with a short expiry: quick


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to see the helper")
def test_helper_survives_qts_default_thread_expiry(qtbot) -> None:
    from PySide6.QtCore import QThreadPool

    _survives_expiry(qtbot, QThreadPool().expiryTimeout())  # 30 s, as in the app


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to see the helper")
def test_a_helper_that_died_while_idle_is_replaced_without_failing_the_next_check(
        qtbot) -> None:
    services = Services()
    try:
        first = _check_in_helper(qtbot, services)
        os.kill(first, signal.SIGKILL)
        qtbot.waitUntil(lambda: not _running(first), timeout=10_000)
        second = _check_in_helper(qtbot, services)
        assert second != first and _running(second)
    finally:
        services.shutdown()


APP = textwrap.dedent(f"""
    import os, signal, sys
    sys.path.insert(0, {str(REPO)!r})
    from wyntek_desktop.background.procpool import ProcessPool

    if __name__ == "__main__":
        pid = ProcessPool().run(None, {TARGET!r})
        print(pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # the app is killed: no clean shutdown
""")


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to see the helper")
def test_helper_ends_when_the_app_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text(APP)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, cwd=REPO)
    assert done.returncode == -signal.SIGKILL, done.stderr
    helper = int(done.stdout.split()[0])
    deadline = time.monotonic() + 30
    while _running(helper) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(helper), "the helper outlived the app"


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to see the helper")
def test_quitting_does_not_wait_for_a_busy_helper() -> None:
    """Quitting while the helper reads a big part waited for the whole read (seconds for
    a 1 GB STL, 13 s seen): the helper's work is redone next time, the quit is not."""
    import threading

    from wyntek_desktop.background.cancel import Cancelled
    from wyntek_desktop.background.procpool import ProcessPool

    pool = ProcessPool()
    outcome: dict[str, Any] = {}

    def call() -> None:
        try:
            outcome["result"] = pool.run(None, "tests.ui.procpool_targets:busy", 20.0)
        except BaseException as exc:  # what the caller would see
            outcome["error"] = exc

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + 60
    while not pool.helper_pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    (helper,) = pool.helper_pids()
    time.sleep(1.0)  # the call is in the helper now
    started = time.monotonic()
    pool.shutdown()
    took = time.monotonic() - started
    caller.join(10)
    assert took < 3.0, took  # half a second of grace, then the helper is ended
    assert not _running(helper), "the busy helper outlived the app's quit"
    assert not caller.is_alive() and "result" not in outcome, outcome
    assert isinstance(outcome["error"], Cancelled), outcome

"""A GUI-thread heartbeat: a 10 ms QTimer whose late ticks are the stalls users feel.

Each late tick is also measured without the time the GUI thread was ready to run but
waited for a CPU that other processes held (Linux schedstat's run-queue wait): what is
left is the app's own doing (work on the GUI thread, the GIL held by a worker, I/O).
On a busy machine the first number grows with the load; the second does not.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, Qt, QTimer

INTERVAL_MS = 10


class Heartbeat(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.timer = QTimer(self)
        self.timer.setObjectName("heartbeat")
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self.own_gaps: list[float] = []  # gaps less the wait for a CPU held by others
        self._last = 0.0
        self._last_wait = 0.0
        self._schedstat = ""
        self.excluded_ms = 0.0   # time spent in GL draws, reported separately

    def start(self) -> None:
        self.gaps.clear()
        self.own_gaps.clear()
        self.late: list[tuple[float, float]] = []
        self._schedstat = f"/proc/self/task/{threading.get_native_id()}/schedstat"
        self._last_wait = self._runqueue_wait_ms()
        self._t0 = self._last = time.perf_counter()
        self.timer.start()

    def _runqueue_wait_ms(self) -> float:
        """Time this thread spent runnable but not running, so far (0 where unknown)."""
        try:
            with open(self._schedstat) as f:
                return int(f.read().split()[1]) / 1e6
        except (OSError, ValueError, IndexError):
            return 0.0

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        wait = self._runqueue_wait_ms()
        gap = (now - self._last) * 1000 - INTERVAL_MS
        self.gaps.append(gap)
        self.own_gaps.append(gap - (wait - self._last_wait))
        self._last_wait = wait
        if gap > 30:
            self.late.append((now - self._t0, gap))
        self._last = now

    @property
    def worst_ms(self) -> float:
        return max(self.gaps, default=0.0)

    @property
    def worst_own_ms(self) -> float:
        """The worst stall the app caused itself (the machine's load taken out)."""
        return max(self.own_gaps, default=0.0)

    def percentile(self, q: float) -> float:
        if not self.gaps:
            return 0.0
        ordered = sorted(self.gaps)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

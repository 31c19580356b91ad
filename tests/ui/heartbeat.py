"""A GUI-thread heartbeat: a 10 ms QTimer whose late ticks are the stalls users feel."""

from __future__ import annotations

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
        self._last = 0.0
        self.excluded_ms = 0.0   # time spent in GL draws, reported separately

    def start(self) -> None:
        self.gaps.clear()
        self.late: list[tuple[float, float]] = []
        self._t0 = self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = (now - self._last) * 1000 - INTERVAL_MS
        self.gaps.append(gap)
        if gap > 30:
            self.late.append((now - self._t0, gap))
        self._last = now

    @property
    def worst_ms(self) -> float:
        return max(self.gaps, default=0.0)

    def percentile(self, q: float) -> float:
        if not self.gaps:
            return 0.0
        ordered = sorted(self.gaps)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

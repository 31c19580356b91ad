"""Speed (moving average) and ETA for one job's upload."""

from __future__ import annotations

import threading
import time


class ProgressMeter:
    """Bytes per file of one job; speed is an exponential moving average of sent bytes.

    Thread-safe: the files of a job upload in parallel and all feed one meter.
    ``set`` moves a file's count to the server's offset (after a HEAD), so bytes lost
    in a dropped request are counted again when they are re-sent.
    """

    def __init__(self, sizes: dict[int, int], done: dict[int, int] | None = None, *,
                 half_life: float = 3.0) -> None:
        self.sizes = dict(sizes)
        self._files = {i: 0 for i in sizes} | (done or {})
        self.speed = 0.0
        self._half_life = half_life
        self._last = time.monotonic()
        self._pending = 0
        self._lock = threading.Lock()

    @property
    def total(self) -> int:
        return sum(self.sizes.values())

    @property
    def sent(self) -> int:
        with self._lock:
            return sum(self._files.values())

    def file_sent(self, index: int) -> int:
        with self._lock:
            return self._files[index]

    def set(self, index: int, value: int) -> None:
        with self._lock:
            self._files[index] = value

    def add(self, index: int, nbytes: int) -> None:
        with self._lock:
            self._files[index] += nbytes
            self._pending += nbytes
            now = time.monotonic()
            dt = now - self._last
            if dt >= 0.2:  # sample at most 5 times a second so bursts of small pieces don't skew it
                rate = self._pending / dt
                keep = 0.5 ** (dt / self._half_life)
                self.speed = rate if self.speed == 0 else keep * self.speed + (1 - keep) * rate
                self._pending, self._last = 0, now

    @property
    def eta(self) -> float | None:
        if self.speed <= 0:
            return None
        return max(0, self.total - self.sent) / self.speed

"""Retry policy: exponential backoff with full jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    """``delay(n)`` for the n-th consecutive failure (n from 1), at most ``max_attempts``.

    Full jitter (a random delay between 0 and the exponential cap) keeps many clients
    that lost the same network from coming back in lock-step.
    """

    base: float = 0.5
    factor: float = 2.0
    max_delay: float = 30.0
    max_attempts: int = 8
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempt: int) -> float:
        cap = min(self.max_delay, self.base * self.factor ** max(0, attempt - 1))
        return cap / 2 + self.rng.uniform(0, cap / 2)

    def exhausted(self, attempt: int) -> bool:
        return attempt >= self.max_attempts

"""What background work sees of its caller: progress out, cancellation in."""

from __future__ import annotations

from typing import Protocol


class WorkState(Protocol):
    """The ``state`` every background function takes first.

    The thread pool's ``ui.workers.TaskState`` and the helper process's state both are
    one; work that checks ``is_cancelled()`` ends by raising ``background.Cancelled``."""

    def report_progress(self, fraction: float, message: str = "") -> None: ...

    def is_cancelled(self) -> bool: ...

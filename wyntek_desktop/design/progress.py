"""The worker ``state`` protocol: progress reports and cooperative cancellation."""

from __future__ import annotations

from collections.abc import Callable

from wyntek_desktop.background.cancel import Cancelled
from wyntek_desktop.background.state import WorkState as State

Step = Callable[[float, str], None]


def stepper(state: State | None, start: float = 0.0, end: float = 1.0) -> Step:
    """A ``step(fraction, message)`` callable that maps into [start, end] and raises
    ``Cancelled`` (a ``concurrent.futures.CancelledError``) when the user cancelled."""

    def step(fraction: float, message: str) -> None:
        if state is None:
            return
        if state.is_cancelled():
            raise Cancelled("analysis cancelled")
        state.report_progress(start + (end - start) * min(max(fraction, 0.0), 1.0), message)

    return step

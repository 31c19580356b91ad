"""The one "the user gave up" exception of background work."""

from __future__ import annotations

from concurrent.futures import CancelledError


class Cancelled(CancelledError):
    """Raised by background work that noticed ``state.is_cancelled()``.

    A ``concurrent.futures.CancelledError``, so code that waits on futures treats it the
    same way as a cancelled future."""

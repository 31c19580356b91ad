"""Job status polling on ``updated_at`` (no realtime in the sync client).

Rows can commit out of ``updated_at`` order, so each poll re-reads an overlap window
before the cursor and drops rows already seen by ``(id, updated_at)``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from wyntek_desktop.core.models import Job

OVERLAP = timedelta(seconds=10)

FetchSince = Callable[[datetime | None], list[Job]]


class JobPoller:
    def __init__(self, fetch_since: FetchSince, overlap: timedelta = OVERLAP) -> None:
        self._fetch = fetch_since
        self._overlap = overlap
        self._latest: datetime | None = None
        self._seen: set[tuple[str, datetime | None]] = set()
        self._lock = threading.Lock()

    @property
    def cursor(self) -> datetime | None:
        return None if self._latest is None else self._latest - self._overlap

    def poll(self) -> list[Job]:
        """Jobs created or changed since the previous poll (all jobs on the first)."""
        with self._lock:
            rows = self._fetch(self.cursor)
            changed = [job for job in rows if (job.id, job.updated_at) not in self._seen]
            for job in rows:
                self._seen.add((job.id, job.updated_at))
                if job.updated_at and (self._latest is None or job.updated_at > self._latest):
                    self._latest = job.updated_at
            self._prune()
            return changed

    def _prune(self) -> None:
        cursor = self.cursor
        if cursor is not None:
            self._seen = {key for key in self._seen if key[1] is None or key[1] >= cursor}

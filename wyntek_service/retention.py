"""The 12-month file retention (SPEC 5.4): the owner is told 14 days before, once; then
the files of the job are removed through the Storage API and their rows marked deleted.

Safe to rerun after a crash half-way: the database decides what is due
(``retention_due``), a removed object is simply absent the next time, and a row is marked
only once Storage no longer holds its object (``record_objects_removed``).
"""

from __future__ import annotations

import logging

from wyntek_service.tasks import ServiceContext, periodic

log = logging.getLogger(__name__)

WARN_DAYS_AHEAD = 14
BATCH = 500
REMOVE_BATCH = 100


@periodic("retention", "41 3 * * *")
async def run_retention(service: ServiceContext) -> str:
    api = service.api
    warned = int(await api.rpc("queue_retention_warnings", {"days_ahead": WARN_DAYS_AHEAD}))
    removed = 0
    while True:
        due = await api.rpc("retention_due", {"max_count": BATCH})
        paths = sorted({str(row["storage_path"]) for row in due or []})
        if not paths:
            break
        for start in range(0, len(paths), REMOVE_BATCH):
            await api.remove(paths[start:start + REMOVE_BATCH])
        marked = int(await api.rpc("record_objects_removed", {"paths": paths}))
        removed += marked
        if marked < len(paths):
            # Storage kept some objects (refused or failed): the next run tries again
            # rather than this one looping over them.
            log.warning("retention: %d of %d files could not be removed yet",
                        len(paths) - marked, len(paths))
            break
    return f"{removed} files removed after 12 months, {warned} owners warned 14 days ahead"

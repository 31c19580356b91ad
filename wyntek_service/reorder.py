"""Reorders (SPEC 5.2): put the original job's stored files into the new job's folder.

``reorder_job`` creates the job with ``job_files`` rows whose ``copied_from`` names the
original object. Before such a job is verified, the worker copies each object on the
server through the Storage API (nothing travels through the customer's machine); then
the usual verification checks the copies' sizes and SHA-256 against the rows.
"""

from __future__ import annotations

import logging
from pathlib import PurePosixPath
from typing import Any

from wyntek_service.supabase import ObjectExists, ObjectMissing, ServiceAPI

log = logging.getLogger(__name__)


async def copy_reorder_files(api: ServiceAPI, files: list[dict[str, Any]]) -> str | None:
    """Copy every file that has a ``copied_from``; a sentence for the customer when an
    original is gone (None when all are in place)."""
    for entry in files:
        source = entry.get("copied_from")
        if not source:
            continue
        try:
            await api.copy(source, entry["storage_path"])
        except ObjectExists:
            continue  # copied before; verification checks its size and SHA-256 anyway
        except ObjectMissing:
            if await api.exists(entry["storage_path"]):
                continue  # copied by an earlier attempt before the original was removed
            shown = entry.get("file_name") or PurePosixPath(entry["storage_path"]).name
            return (f"The original of {shown} was removed before it could be copied, so "
                    "this reorder cannot be made; submit the design files again as a new job.")
        log.info("copied %s to %s", source, entry["storage_path"])
    return None

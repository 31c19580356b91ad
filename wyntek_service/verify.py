"""Verify one job: download each stored file, check size and SHA-256 against job_files,
measure the design files, and record the outcome with ``record_verification``."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

from wyntek_service.declared import declared_reading
from wyntek_service.measure import DEFAULT_MEMORY_BYTES, DEFAULT_TIMEOUT_S, measure_file
from wyntek_service.reorder import copy_reorder_files
from wyntek_service.supabase import ObjectMissing, ServiceAPI

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_bytes: int = DEFAULT_MEMORY_BYTES


async def verify_job(api: ServiceAPI, job_id: str, limits: Limits = Limits()) -> dict[str, Any]:
    """Verify ``job_id`` once; returns the job row after the outcome (or as it was)."""
    job = await api.job_with_files(job_id)
    if job is None:
        log.info("job %s no longer exists", job_id)
        return {}
    if job["verification"] != "pending" or job["status"] != "submitted":
        return job  # decided already (a retry after the outcome was recorded) or cancelled
    files = sorted(job.get("job_files") or [], key=lambda f: f["storage_path"])
    timing = _Timing()
    # A reorder's files are copied from the original job first (server side).
    failure = await copy_reorder_files(api, files)
    volume, area, layers = Decimal(0), None, None
    if failure is None:
        failure, volume, area, layers = await _measure_files(api, files, limits, timing)
    outcome = await api.rpc("record_verification", {
        "job_id": job_id, "volume_cm3": None if failure else str(volume),
        "board_area_cm2": area, "copper_layers": layers, "failure": failure})
    log.info("job %s: %s in %.2f s (download and hash %.2f s, analysis %.2f s): %s", job_id,
             outcome.get("verification"), time.perf_counter() - timing.started,
             timing.download, timing.analysis, outcome.get("verification_note"))
    result: dict[str, Any] = outcome
    return result


@dataclass
class _Timing:
    started: float = field(default_factory=time.perf_counter)
    download: float = 0.0
    analysis: float = 0.0


async def _measure_files(api: ServiceAPI, files: list[dict[str, Any]], limits: Limits,
                         timing: _Timing
                         ) -> tuple[str | None, Decimal, float | None, int | None]:
    from wyntek_desktop.design.estimate import job_volume_cm3

    volumes: list[float] = []
    area: float | None = None
    layers: int | None = None
    if not files:
        return "The job has no files to verify.", Decimal(0), None, None
    with tempfile.TemporaryDirectory(prefix="wyntek-verify-") as folder:
        for index, entry in enumerate(files):
            shown = entry.get("file_name") or PurePosixPath(entry["storage_path"]).name
            # The stored key is already a plain ASCII name; keep its suffix for the loaders.
            target = Path(folder) / f"{index:03d}" / PurePosixPath(entry["storage_path"]).name
            target.parent.mkdir()
            declared = int(entry["size_bytes"])
            started = time.perf_counter()
            try:
                got = await api.download(entry["storage_path"], target, declared)
            except ObjectMissing:
                return f"{shown} is missing from storage.", Decimal(0), None, None
            timing.download += time.perf_counter() - started
            if got.size != declared:
                stored = f"more than {declared}" if got.truncated else str(got.size)
                return (f"{shown} has {stored} bytes in storage, not the declared {declared}; "
                        "it changed after it was priced.", Decimal(0), None, None)
            if got.sha256 != entry["sha256"]:
                return (f"{shown} changed after it was priced: its SHA-256 differs from the "
                        "declared one.", Decimal(0), None, None)
            started = time.perf_counter()
            measured = await asyncio.to_thread(measure_file, target,
                                               declared_reading(entry.get("analysis")),
                                               timeout_s=limits.timeout_s,
                                               memory_bytes=limits.memory_bytes)
            timing.analysis += time.perf_counter() - started
            target.unlink(missing_ok=True)
            if measured.problem:
                problem = measured.problem.replace(target.name, shown) \
                    if target.name != shown else measured.problem
                return problem, Decimal(0), None, None
            volumes.append(measured.volume_cm3)
            if measured.board_area_cm2 is not None:
                area = round((area or 0.0) + measured.board_area_cm2, 4)
            if measured.copper_layers is not None:
                layers = max(layers or 0, measured.copper_layers)
    volume = Decimal(str(job_volume_cm3(_Volume(v) for v in volumes)))
    return None, volume, area, layers


@dataclass(frozen=True)
class _Volume:
    volume_cm3: float

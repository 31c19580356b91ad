"""Models of the job lifecycle seen by operators and customers (SPEC 5.2).

Plain dataclasses like ``core.models``: an operator's assigned job, one entry of a job's
history, a downloaded file, the changes of a reorder. No HTTP, no Qt.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Self

from wyntek_desktop.core.models import JobFile, Model

#: The lifecycle an operator drives, in order (rejection is separate: ``reject``).
LIFECYCLE = ("submitted", "reviewing", "in_production", "shipped", "completed")
NEXT_STATUS = dict(itertools.pairwise(LIFECYCLE))
REJECTABLE = ("submitted", "reviewing")
#: Jobs whose customer may report a problem (a warranty message linked to the job).
REPORTABLE = ("shipped", "completed")
SUPPORT_TOPICS = ("question", "warranty", "billing", "privacy", "other")
ACTORS = ("customer", "operator", "service")


def next_status(status: str) -> str | None:
    """The step ``advance`` may take from ``status`` (None: the job does not move)."""
    return NEXT_STATUS.get(status)


@dataclass(frozen=True)
class OperatorJob(Model):
    """An assigned job as the operator sees it: the spec, the customer's notes and
    delivery instructions, the files; no email, balance or costs."""

    _decimals = (*Model._decimals, "verified_board_area_cm2")
    _times = (*Model._times, "assigned_at")

    id: str
    status: str = "submitted"
    process: str | None = None
    material_id: str | None = None
    material_name: str | None = None
    quantity: int = 1
    tolerance_mm: Decimal | None = None
    finish: str | None = None
    delivery_instructions: str | None = None
    notes: str | None = None
    verification: str | None = None
    verified_volume_cm3: Decimal | None = None
    verified_board_area_cm2: Decimal | None = None
    verified_copper_layers: int | None = None
    verification_note: str | None = None
    reorder_of: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    completed_at: datetime | None = None
    assigned_at: datetime | None = None
    files: tuple[JobFile, ...] = field(default=())

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        files = tuple(JobFile.from_row(f) for f in row.get("files") or ())
        job = super().from_row({k: v for k, v in row.items() if k != "files"})
        return dataclasses.replace(job, files=files)

    @property
    def next_status(self) -> str | None:
        return next_status(self.status)

    @property
    def rejectable(self) -> bool:
        return self.status in REJECTABLE

    @property
    def ready_to_advance(self) -> bool:
        """A submitted job waits for a successful verification (the database insists)."""
        if self.next_status is None:
            return False
        return self.status != "submitted" or self.verification in ("passed", "adjusted")


@dataclass(frozen=True)
class JobEvent(Model):
    """One entry of a job's history, written by the database."""

    id: int
    job_id: str
    status: str
    actor: str = "service"
    note: str | None = None
    verification: str | None = None
    created_at: datetime | None = None

    @property
    def is_status_change(self) -> bool:
        return self.verification is None


@dataclass(frozen=True)
class DownloadedFile(Model):
    """A job file written to disk whose size and SHA-256 matched ``job_files``."""

    path: Path
    file_id: str
    file_name: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class ReorderChanges(Model):
    """What a reorder may change; None keeps the original's value. An empty string for
    finish, delivery instructions or notes clears it."""

    quantity: int | None = None
    tolerance_mm: Decimal | float | None = None
    finish: str | None = None
    delivery_instructions: str | None = None
    notes: str | None = None

    def to_changes(self) -> dict[str, Any]:
        """The JSON object ``reorder_job`` takes (only what is set)."""
        changes: dict[str, Any] = {}
        if self.quantity is not None:
            changes["quantity"] = int(self.quantity)
        if self.tolerance_mm is not None:
            changes["tolerance_mm"] = float(self.tolerance_mm)
        for name in ("finish", "delivery_instructions", "notes"):
            value = getattr(self, name)
            if value is not None:
                changes[name] = value
        return changes

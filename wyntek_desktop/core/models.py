"""Typed models the API returns. Plain dataclasses: no HTTP, no Qt.

``from_row`` accepts the JSON rows PostgREST returns (extra keys are ignored, so the
schema may grow); ``to_dict`` gives JSON-ready dicts for ``--json`` output and export.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Self, TypeVar

T = TypeVar("T", bound="Model")

JOB_STATUSES = ("submitted", "reviewing", "in_production", "shipped", "completed",
                "cancelled", "rejected")
CANCELLABLE = ("submitted",)
FINAL_STATUSES = ("completed", "cancelled", "rejected")


def parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    text = str(value).replace("Z", "+00:00")
    return datetime.fromisoformat(text)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


class Model:
    """Shared conversions. Field converters are chosen by field name suffixes below."""

    _times: tuple[str, ...] = ("created_at", "updated_at", "completed_at", "uploaded_at",
                               "deleted_at", "retain_until", "requested_at", "fetched_at",
                               "verified_at")
    _decimals: tuple[str, ...] = ("tokens_per_cm3", "tolerance_mm", "volume_cm3",
                                  "verified_volume_cm3")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name not in row:
                continue
            value = row[f.name]
            if f.name in cls._times:
                value = parse_time(value)
            elif f.name in cls._decimals:
                value = _decimal(value)
            values[f.name] = value
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = _jsonable(self)
        return result


@dataclass(frozen=True)
class Material(Model):
    id: str
    process: str = ""
    name: str = ""
    tokens_per_cm3: Decimal = Decimal(0)
    setup_tokens: int = 0
    build_volume_mm: list[float] | None = None
    active: bool = True
    copper_layers: int | None = None  # PCB materials: the most copper layers they make
    min_wall_mm: float | None = None  # thinnest wall the process makes (catalogue column)


@dataclass(frozen=True)
class MaterialCatalogue(Model):
    materials: tuple[Material, ...]
    fetched_at: datetime | None = None
    from_cache: bool = False

    def get(self, material_id: str) -> Material | None:
        return next((m for m in self.materials if m.id == material_id), None)


@dataclass(frozen=True)
class Quote(Model):
    material_id: str
    volume_cm3: Decimal
    quantity: int
    tolerance_mm: Decimal
    tokens: int


@dataclass(frozen=True)
class JobFile(Model):
    id: str
    job_id: str | None = None
    storage_path: str = ""
    file_name: str = ""
    kind: str = "other"
    size_bytes: int = 0
    sha256: str | None = None
    analysis: dict[str, Any] | None = None
    uploaded_at: datetime | None = None
    deleted_at: datetime | None = None
    retain_until: datetime | None = None


@dataclass(frozen=True)
class Job(Model):
    id: str
    client_job_id: str | None = None
    status: str = "submitted"
    process: str | None = None
    material_id: str | None = None
    quantity: int = 1
    tolerance_mm: Decimal | None = None
    finish: str | None = None
    delivery_instructions: str | None = None
    notes: str | None = None
    token_cost: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    completed_at: datetime | None = None
    files: tuple[JobFile, ...] = field(default=())
    # What the service found in the stored files (SPEC 5.1).
    verification: str | None = None
    quoted_cost: int | None = None
    verified_volume_cm3: Decimal | None = None
    verified_at: datetime | None = None
    verification_note: str | None = None

    @property
    def cancellable(self) -> bool:
        return self.status in CANCELLABLE

    @property
    def tokens_to_confirm(self) -> int:
        """Tokens a needs_tokens job still has to debit when its price is confirmed."""
        if self.verification != "needs_tokens":
            return 0
        return max(0, self.token_cost - (self.quoted_cost or 0))

    @property
    def verification_text(self) -> str:
        """One line for a person: where verification stands and what it found."""
        note = self.verification_note or ""
        match self.verification:
            case "pending":
                return "Verifying files…"
            case "passed":
                return f"Verified: {self.token_cost:,} tokens."
            case "adjusted":
                return (f"Verified at {self.token_cost:,} tokens (quoted "
                        f"{self.quoted_cost or 0:,}). {note}").strip()
            case "needs_tokens":
                return (f"Needs {self.tokens_to_confirm:,} more tokens at the measured price of "
                        f"{self.token_cost:,} (quoted {self.quoted_cost or 0:,}). {note}").strip()
            case "failed":
                return f"Verification failed: {note}".strip()
        return ""

    def with_files(self, files: list[JobFile]) -> Job:
        return dataclasses.replace(self, files=tuple(files))


@dataclass(frozen=True)
class LedgerEntry(Model):
    id: Any
    delta: int
    reason: str
    job_id: str | None = None
    created_at: datetime | None = None
    purchase_id: str | None = None


@dataclass(frozen=True)
class Profile(Model):
    id: str
    email: str | None = None
    display_name: str | None = None
    token_balance: int = 0
    created_at: datetime | None = None
    email_job_updates: bool = True


@dataclass(frozen=True)
class SupportMessage(Model):
    id: Any
    subject: str
    body: str
    job_id: str | None = None
    status: str | None = None
    created_at: datetime | None = None
    topic: str | None = None  # question, warranty, billing, privacy, other


@dataclass(frozen=True)
class DeleteFilesReport(Model):
    files_removed: int
    bytes_removed: int
    rows_marked: int
    failed: tuple[str, ...] = ()
    #: Files of live jobs: the service keeps them until the job is finished.
    kept: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class ExportResult(Model):
    path: Path
    jobs: int
    files: int
    ledger_entries: int
    bytes_written: int


@dataclass(frozen=True)
class SignInResult(Model):
    user_id: str
    email: str | None
    persisted: bool
    persistence_warning: str | None = None

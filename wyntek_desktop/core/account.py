"""What account management returns: deletion requests, preferences, policy notices, the
export preview and email changes. Plain dataclasses built from the service's JSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wyntek_desktop.core.models import Model

DELETION_STATUSES = ("pending", "processing", "completed", "cancelled")


@dataclass(frozen=True)
class DeletionRequest(Model):
    """The account-deletion request: ``scheduled_for`` is when it is carried out."""

    _times = ("requested_at", "scheduled_for", "cancelled_at", "processed_at")

    status: str
    requested_at: datetime | None = None
    scheduled_for: datetime | None = None
    cancelled_at: datetime | None = None
    processed_at: datetime | None = None
    note: str | None = None   # why a due deletion waits (a job still in production)

    @property
    def pending(self) -> bool:
        return self.status == "pending"

    @property
    def can_cancel(self) -> bool:
        """True during the grace period (the service has not started yet)."""
        return self.status == "pending"


@dataclass(frozen=True)
class PrivacyPreferences(Model):
    _times = ("objected_at",)

    email_job_updates: bool = True
    processing_objection: bool = False
    objected_at: datetime | None = None


@dataclass(frozen=True)
class PolicyVersion(Model):
    _times = ("published_at",)

    version: str
    summary: str = ""
    published_at: datetime | None = None
    url: str | None = None


@dataclass(frozen=True)
class ExportPreview(Model):
    """How many entries each section of ``export_my_data`` holds right now."""

    sections: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.sections.values())

    @classmethod
    def from_summary(cls, data: dict[str, Any]) -> ExportPreview:
        return cls(sections={str(k): int(v) for k, v in sorted(data.items())})


@dataclass(frozen=True)
class EmailChange(Model):
    """An email change waiting for its confirmation code(s)."""

    current_email: str | None
    new_email: str
    # GoTrue's secure email change: a code goes to both addresses and both are needed.
    codes_sent_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class EmailChangeConfirmation(Model):
    """``done``: the address changed; else the other address's code is still needed."""

    done: bool
    email: str | None = None

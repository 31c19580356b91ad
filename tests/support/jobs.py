"""Service jobs for UI tests (plain models, no Qt)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from wyntek_desktop.core.models import Job, JobFile

STATUSES = ("submitted", "reviewing", "in_production", "shipped", "completed", "cancelled")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make_jobs(n: int) -> list[Job]:
    """``n`` jobs, their statuses, materials, quantities and costs varied by index."""
    return [Job(id=f"{i:08d}-0000-4000-8000-000000000000", status=STATUSES[i % 6],
                material_id="pla" if i % 2 else "pa12", quantity=(i * 7) % 100 + 1,
                tolerance_mm=Decimal("0.1"), token_cost=(i * 37) % 997,
                created_at=T0 + timedelta(minutes=i), updated_at=T0 + timedelta(minutes=i),
                files=(JobFile(id=str(i), file_name="a.stl"),))
            for i in range(n)]

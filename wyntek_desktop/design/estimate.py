"""Offline token estimate: the backend's pricing rule (``core.pricing``), not a copy."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wyntek_desktop.design.report import DesignReport


def estimate_tokens(report: DesignReport | float, material: Any, quantity: int = 1,
                    tolerance_mm: float | Decimal | str = "0.2") -> int:
    """Tokens ``quote_job`` would charge for this file's volume; raises ValidationError."""
    from wyntek_desktop.core.pricing import quote

    volume = report.volume_cm3 if isinstance(report, DesignReport) else report
    return quote(material, volume, quantity, tolerance_mm)

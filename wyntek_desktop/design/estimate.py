"""Offline token estimate: the backend's pricing rule (``core.pricing``), not a copy.

The job's measurements come from the file reports the same way on the desktop and in the
service worker: volume is the sum of the model files' volumes, a board's area the
bounding box of its Gerber outline (cm2, 4 decimals) and its copper layers the count
found in the archive.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wyntek_desktop.core.pricing import board_measurements, job_volume_cm3
from wyntek_desktop.design.report import DesignReport

__all__ = ["board_measurements", "estimate_tokens", "job_volume_cm3"]


def estimate_tokens(report: DesignReport | float, material: Any, quantity: int = 1,
                    tolerance_mm: float | Decimal | str = "0.2") -> int:
    """Tokens ``quote_job`` would charge for this file's volume (or board); raises
    ValidationError."""
    from wyntek_desktop.core.pricing import quote

    if isinstance(report, DesignReport):
        area, layers = board_measurements([report])
        return quote(material, report.volume_cm3, quantity, tolerance_mm, area, layers)
    return quote(material, report, quantity, tolerance_mm)

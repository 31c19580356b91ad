"""Offline token estimate: the backend's pricing rule (``core.pricing``), not a copy.

The job's measurements come from the file reports the same way on the desktop and in the
service worker: volume is the sum of the model files' volumes, a board's area the
bounding box of its Gerber outline (cm2, 4 decimals) and its copper layers the count
found in the archive.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from wyntek_desktop.design.report import DesignReport


def job_volume_cm3(reports: Iterable[Any]) -> float:
    """The job's volume as the spec declares it (6 decimals)."""
    return round(float(sum(getattr(r, "volume_cm3", 0.0) or 0.0 for r in reports
                           if r is not None)), 6)


def board_measurements(reports: Iterable[Any]) -> tuple[float | None, int | None]:
    """(board area in cm2, copper layers) of the Gerber archives among ``reports``."""
    area: float | None = None
    layers: int | None = None
    for report in reports:
        gerber = getattr(report, "gerber", None)
        if gerber is None:
            continue
        if gerber.outline_mm:
            width, height = gerber.outline_mm
            area = round((area or 0.0) + width * height / 100.0, 4)
        if gerber.copper_layers:
            layers = max(layers or 0, int(gerber.copper_layers))
    return area, layers


def estimate_tokens(report: DesignReport | float, material: Any, quantity: int = 1,
                    tolerance_mm: float | Decimal | str = "0.2") -> int:
    """Tokens ``quote_job`` would charge for this file's volume (or board); raises
    ValidationError."""
    from wyntek_desktop.core.pricing import quote

    if isinstance(report, DesignReport):
        area, layers = board_measurements([report])
        return quote(material, report.volume_cm3, quantity, tolerance_mm, area, layers)
    return quote(material, report, quantity, tolerance_mm)

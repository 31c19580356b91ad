"""Unit names to millimetre factors, and the guess for unitless files."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_TO_MM = {
    "mm": 1.0, "millimeter": 1.0, "millimeters": 1.0, "millimetre": 1.0, "millimetres": 1.0,
    "micron": 0.001, "microns": 0.001, "micrometer": 0.001, "um": 0.001,
    "cm": 10.0, "centimeter": 10.0, "centimeters": 10.0,
    "m": 1000.0, "meter": 1000.0, "meters": 1000.0, "metre": 1000.0, "metres": 1000.0,
    "in": 25.4, "inch": 25.4, "inches": 25.4, "ft": 304.8, "foot": 304.8, "feet": 304.8,
}


def to_mm(unit: str | None) -> float | None:
    """Factor from a declared unit name to millimetres (None if unknown or absent)."""
    return _TO_MM.get(unit.strip().lower()) if unit else None


@dataclass(frozen=True)
class UnitGuess:
    scale: float   # suggested factor to millimetres
    unit: str      # 'in' or 'm'
    reason: str


def _round_fraction(values: np.ndarray, step: float, tol: float) -> float:
    """Share of values that are close to a multiple of ``step``."""
    r = np.abs(values / step - np.rint(values / step)) * step
    return float(np.mean(r <= tol))


def guess_units(dims: np.ndarray) -> UnitGuess | None:
    """Suggest inches or metres for a unitless part that is implausibly small in mm.

    A part smaller than 12 mm whose sizes are mostly round inch values (multiples of
    1/16 in) was most likely drawn in inches; one below 1.2 mm whose sizes are mostly
    round millimetres or inches once multiplied by 1000 was most likely exported in metres.
    """
    dims = np.asarray(dims, dtype=float)
    dims = dims[dims > 0]
    if len(dims) == 0 or dims.max() >= 12.0:
        return None
    mostly = 0.66
    if dims.max() < 1.2:
        metres = dims * 1000.0
        if (_round_fraction(metres, 0.5, 0.01) >= mostly
                or _round_fraction(metres / 25.4, 1 / 16, 0.001) >= mostly):
            return UnitGuess(1000.0, "m", "its sizes are round numbers in metres")
    whole_mm = _round_fraction(dims, 1.0, 0.001) == 1.0  # 10 x 10 x 10: a mm test cube
    if _round_fraction(dims, 1 / 16, 0.001) >= mostly and dims.max() >= 0.25 and not whole_mm:
        return UnitGuess(25.4, "in", "its sizes are round numbers of inches")
    return None


def volume_phrase(volume_mm3: float) -> str:
    """'is only 0.42 mm³' for a small part: never 'is only 0 mm³' for one that has a
    volume, and 'has no volume' for one that has none."""
    v = abs(float(volume_mm3))
    if v == 0:
        return "has no volume"
    if v < 0.01:
        return "is less than 0.01 mm³"
    if v < 10:
        return f"is only {v:.2f} mm³"
    return f"is only {v:,.0f} mm³"

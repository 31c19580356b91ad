"""Excellon drill files: the holes (and routed slots) with their diameters, in mm."""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOOL = re.compile(rb"^T0*(\d+)(?:[^C\n]*)C([\d.]+)", re.MULTILINE)
_FORMAT = re.compile(rb"(METRIC|INCH)(?:,(LZ|TZ))?(?:,(0+)\.(0+))?")
_HIT = re.compile(rb"X([+-]?[\d.]+)?Y([+-]?[\d.]+)?")
_XY = re.compile(rb"([XY])([+-]?[\d.]+)")


@dataclass(frozen=True)
class Hole:
    x: float
    y: float
    diameter: float
    # a routed slot ends at (x2, y2); a plain hole has them equal to (x, y)
    x2: float
    y2: float


def read_holes(data: bytes) -> list[Hole]:
    """Every hit and G85 slot of the file (mm), in file order."""
    header_end = data.find(b"\n%")
    header = data[:header_end] if header_end >= 0 else data
    fmt = _FORMAT.search(header)
    inch = fmt is not None and fmt.group(1) == b"INCH"
    unit = 25.4 if inch else 1.0
    zeros = fmt.group(2) if fmt is not None else None
    # integer digits . decimals of implied-decimal numbers (defaults per unit)
    int_digits = len(fmt.group(3)) if fmt is not None and fmt.group(3) else (2 if inch else 3)
    decimals = len(fmt.group(4)) if fmt is not None and fmt.group(4) else (4 if inch else 3)
    tools = {int(m.group(1)): float(m.group(2)) * unit for m in _TOOL.finditer(header)}

    def number(text: bytes) -> float:
        if b"." in text:
            return float(text) * unit
        sign = -1.0 if text.startswith(b"-") else 1.0
        raw = text.lstrip(b"+-")
        if zeros == b"LZ":   # leading zeros kept: the decimals are at the right end
            raw = raw.ljust(int_digits + decimals, b"0")
        return sign * int(raw) / 10 ** decimals * unit

    body = data[header_end + 2:] if header_end >= 0 else data
    holes: list[Hole] = []
    diameter = 0.0
    x = y = 0.0
    for line in body.replace(b"\r", b"").split(b"\n"):
        line = line.strip()
        if not line or line.startswith(b";"):
            continue
        if line.startswith(b"T"):
            tool = re.match(rb"T0*(\d+)", line)
            if tool:
                diameter = tools.get(int(tool.group(1)), diameter)
            continue
        if line.startswith(b"M71"):
            unit = 1.0
        elif line.startswith(b"M72"):
            unit = 25.4
        if b"X" not in line and b"Y" not in line:
            continue
        start, _, end = line.partition(b"G85")
        for part_index, part in enumerate((start, end) if end else (start,)):
            found = dict(_XY.findall(part))
            nx = number(found[b"X"]) if b"X" in found else x
            ny = number(found[b"Y"]) if b"Y" in found else y
            if part_index == 0:
                x, y = nx, ny
            else:
                holes[-1] = Hole(holes[-1].x, holes[-1].y, diameter, nx, ny)
                x, y = nx, ny
                continue
            if diameter > 0 and not line.startswith((b"G00", b"G01", b"G02", b"G03")):
                holes.append(Hole(x, y, diameter, x, y))
    return holes

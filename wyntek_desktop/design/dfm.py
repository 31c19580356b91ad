"""Manufacturability findings: build-volume fit and per-process rules."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from wyntek_desktop.design import units
from wyntek_desktop.design.measure import Measures
from wyntek_desktop.design.report import Finding, Fit

_AXES = "XYZ"
# Process rules (millimetres): default minimum wall when the material gives none.
_MIN_WALL = {"sls": 0.8, "mjf": 0.8, "sla": 0.5, "fdm": 0.8}
_CNC_MIN_VOLUME_MM3 = 100.0     # smaller parts are not worth fixturing: 0.1 cm³
_FDM_OVERHANG_WARN = 0.25       # share of the area that needs support


def best_fit(dims: np.ndarray, material: Any) -> Fit | None:
    """Try the 6 axis-aligned orientations of the bounding box against the build volume."""
    build = getattr(material, "build_volume_mm", None)
    if not build or len(build) != 3:
        return None
    box = np.array([float(b) for b in build])
    # keep the file's orientation when it fits; otherwise the one with the most room
    best: tuple[float, tuple[int, ...]] = (float((box - dims).min()), (0, 1, 2))
    if best[0] < 0:
        for perm in itertools.permutations(range(3)):
            margin = float((box - dims[list(perm)]).min())
            if margin > best[0] + 1e-9:
                best = (margin, perm)
    margin, perm = best
    placed = dims[list(perm)]
    orientation = "as is" if perm == (0, 1, 2) else ", ".join(
        f"{_AXES[src]}→{_AXES[dst]}" for dst, src in enumerate(perm) if src != dst)
    return Fit(material_id=str(getattr(material, "id", "")),
               build_volume_mm=(float(box[0]), float(box[1]), float(box[2])),
               fits=margin >= 0, orientation=orientation,
               placed_mm=(float(placed[0]), float(placed[1]), float(placed[2])))


def fit_findings(fit: Fit | None, material: Any) -> list[Finding]:
    if fit is None:
        return []
    name = getattr(material, "name", fit.material_id)
    size = " x ".join(f"{v:g}" for v in fit.build_volume_mm)
    if not fit.fits:
        return [Finding("error", "too_large_for_build_volume",
                        f"The part does not fit the {size} mm build volume of {name} in any "
                        "orientation; split or scale it.",
                        {"build_volume_mm": list(fit.build_volume_mm),
                         "part_mm": sorted(fit.placed_mm)})]
    if fit.orientation != "as is":
        return [Finding("info", "fits_rotated",
                        f"The part fits the {size} mm build volume of {name} once rotated "
                        f"({fit.orientation}).",
                        {"orientation": fit.orientation, "placed_mm": list(fit.placed_mm)})]
    return []


def process_findings(m: Measures, dims: np.ndarray, material: Any) -> list[Finding]:
    process = str(getattr(material, "process", "") or "").lower()
    if not process:
        return []
    out: list[Finding] = []
    if process in _MIN_WALL:
        out += _thin(m, process, _min_wall(material, process))
    if process in ("fdm", "sla") and m.area > 0 and m.overhang_area / m.area > _FDM_OVERHANG_WARN:
        share = m.overhang_area / m.area
        out.append(Finding("info", "needs_support",
                           f"{share:.0%} of the surface overhangs more than 45° as oriented; "
                           "it will need support material or another orientation.",
                           {"overhang_share": round(share, 4),
                            "overhang_area_mm2": round(m.overhang_area, 2)}))
    if process == "cnc" and abs(m.volume) < _CNC_MIN_VOLUME_MM3:
        out.append(Finding("warning", "cnc_volume_too_small",
                           f"The part {units.volume_phrase(m.volume)}; parts under "
                           f"{_CNC_MIN_VOLUME_MM3:.0f} mm³ are hard to hold while milling.",
                           {"volume_mm3": abs(m.volume), "minimum_mm3": _CNC_MIN_VOLUME_MM3}))
    if process == "pcb":
        out.append(Finding("error", "pcb_needs_gerbers",
                           "PCB manufacturing needs a Gerber/Excellon archive (.zip), not a "
                           "3D model.", {}))
    if process == "sheet" and float(np.sort(dims)[0]) > 25.0:
        out.append(Finding("warning", "sheet_too_thick",
                           f"The thinnest side is {float(np.sort(dims)[0]):.1f} mm; sheet "
                           "parts are usually under 25 mm thick.", {"thickness_mm": float(
                               np.sort(dims)[0])}))
    return out


def _min_wall(material: Any, process: str) -> float:
    value = getattr(material, "min_wall_mm", None)
    return float(value) if value else _MIN_WALL[process]


def _thin(m: Measures, process: str, wall: float) -> list[Finding]:
    """Bodies thinner than the minimum wall: smallest box side, or 2·volume/area.

    ``2V/A`` is the thickness of a plate with that volume and area: a cheap estimate
    that flags thin shells and sheets without ray casting.
    """
    thin = []
    for i in range(m.bodies):
        side = float(np.ptp(m.body_bounds[i], axis=0).min())
        area = float(m.body_area[i])
        plate = 2.0 * abs(float(m.body_volume[i])) / area if area > 0 else 0.0
        thickness = min(side, plate)
        if thickness < wall:
            thin.append((i, thickness))
    if not thin:
        return []
    worst = min(t for _, t in thin)
    return [Finding("warning", "thin_walls",
                    f"{len(thin)} of {m.bodies} bodies look thinner than the {wall:g} mm "
                    f"minimum wall for {process.upper()} (thinnest about {worst:.2f} mm).",
                    {"min_wall_mm": wall, "thinnest_mm": worst,
                     "bodies": [i for i, _ in thin][:50]})]

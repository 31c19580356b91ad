"""Background tasks of the 3D view's inspection tools (helper process): the report with
the problems drawn on the part, the wall-thickness colours, picking a point.

Named by the window as ``"wyntek_desktop.design.inspect_tasks:name"``. The helper keeps
the last mesh it read, so picking and colouring do not read the file again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wyntek_desktop.background.state import WorkState
from wyntek_desktop.design import tasks
from wyntek_desktop.design.analysis import mesh_report
from wyntek_desktop.design.formats import classify
from wyntek_desktop.design.loaders import load_mesh
from wyntek_desktop.design.problems import FINDING_KIND, ProblemOverlay, find_problems
from wyntek_desktop.design.progress import stepper
from wyntek_desktop.design.report import DesignReport
from wyntek_desktop.design.thickness import face_thickness

_memo: dict[str, Any] = {}  # the last mesh read here: {"key": ..., "triangles": ...}

#: colours of the thickness map (RGB 0-255): under the minimum, near it, thick enough
THIN_RGB = (220, 50, 47)
NEAR_RGB = (240, 190, 40)
OK_RGB = (70, 180, 90)
UNMEASURED_RGB = (150, 150, 155)
NEAR_FACTOR = 2.0  # walls up to twice the minimum are shaded from red to green
_SAME = 1e-4       # a wall this close to the minimum (float32 rounding) meets it


#: the lighter moving copies made after the standard one (triangles)
COARSER_LEVELS = (50_000, 12_000)


@dataclass
class LevelledMeshes(tasks.ViewMeshes):
    """The view's decimated copies and lighter moving ones, finest first, which the
    view draws when the moving copy takes too long on this machine."""

    coarser: list[tuple[np.ndarray, np.ndarray]] | None = None


def view_meshes(state: WorkState | None, path: Path, scale: float | None = None
                ) -> LevelledMeshes:
    copies = tasks.view_meshes(state, path, scale)
    coarser = []
    source = copies.moving
    for budget in COARSER_LEVELS:
        if len(source) <= budget * tasks.LOD_SLACK:
            break
        source = tasks.lod(state, source, budget)
        coarser.append((source, tasks.flat_normals(source)))
    return LevelledMeshes(copies.moving, copies.moving_normals, copies.still,
                          copies.still_normals, coarser)


@dataclass(frozen=True)
class Checked:
    """A file's report and, when it names mesh problems, where they are."""

    report: DesignReport
    problems: ProblemOverlay | None = None


@dataclass(frozen=True)
class ThicknessView:
    """Per-corner colours (uint8 (n, 3, 4)) for each mesh the view draws, and the facts."""

    full: np.ndarray | None          # for the mesh as read (when it is drawn whole)
    still: np.ndarray | None         # for the decimated still copy
    moving: np.ndarray | None        # for the copy drawn while moving
    min_wall_mm: float | None
    thinnest_mm: float | None
    thin_share: float                # share of the surface under the minimum wall
    measured_share: float            # share of the surface with an opposite wall
    legend: list[tuple[tuple[int, int, int], str]]  # the colour key, in words
    thin_bounds: tuple[tuple[float, ...], tuple[float, ...]] | None  # box of thin faces


def _triangles(path: Path, scale: float | None) -> np.ndarray:
    key = (str(path), path.stat().st_mtime_ns, scale)
    if _memo.get("key") != key:
        _memo.clear()
        _memo["triangles"] = tasks.load_preview(None, path, scale).triangles
        _memo["key"] = key
    tris: np.ndarray = _memo["triangles"]
    return tris


def check(state: WorkState | None, path: Path, material: Any = None,
          scale: float | None = None,
          gerber_layers: dict[str, str] | None = None) -> Checked:
    """The report, and for a mesh with problems their geometry, in one call: the view
    draws them with the report (the mesh is read once for both)."""
    if classify(path) != "model":
        return Checked(tasks.analyze(state, path, material, scale, gerber_layers))
    step = stepper(state)
    step(0.0, f"Reading {path.name}")
    loaded = load_mesh(path)
    report = mesh_report(path, loaded, material, scale, stepper(state, 0.2, 0.95))
    if report.mesh is None or not any(f.code in FINDING_KIND for f in report.findings):
        return Checked(report)
    tris = loaded.triangles if scale is None else loaded.triangles * np.float32(scale)
    step(0.95, "Finding the problems on the part")
    return Checked(report, find_problems(tris))


def problems(state: WorkState | None, path: Path, scale: float | None = None
             ) -> ProblemOverlay:
    return find_problems(_triangles(path, scale))


def thickness_rgb(values: np.ndarray, min_wall: float | None) -> np.ndarray:
    """uint8 (n, 3) colours: red under the minimum wall, yellow at it, shading to green
    at ``NEAR_FACTOR`` times it; grey where nothing was measured."""
    out = np.empty((len(values), 3), dtype=np.float32)
    out[:] = UNMEASURED_RGB
    known = np.isfinite(values)
    if min_wall is None or min_wall <= 0:
        lo, hi = np.nanpercentile(values[known], (2, 60)) if known.any() else (0.0, 1.0)
        min_wall, top = float(lo), float(hi)
    else:
        top = min_wall * NEAR_FACTOR
    v = values[known]
    f = np.clip((v - min_wall) / max(top - min_wall, 1e-9), 0.0, 1.0)[:, None]
    thin, near, ok = (np.array(c, np.float32) for c in (THIN_RGB, NEAR_RGB, OK_RGB))
    shade = near * (1 - f) + ok * f  # at the minimum: yellow; at NEAR_FACTOR times it: green
    shade[v < min_wall * (1 - _SAME)] = thin
    out[known] = shade
    return out.astype(np.uint8)


def per_corner(rgb: np.ndarray) -> np.ndarray:
    out = np.full((len(rgb), 3, 4), 255, dtype=np.uint8)
    out[:, :, :3] = rgb[:, None, :]
    return out


def transfer(values: np.ndarray, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per-face values of ``source`` carried to the faces of a simplified ``target``:
    the thinnest source face whose centre shares a grid cell with the target face's
    centre (a thin spot stays visible), NaN where none does."""
    if len(target) == 0:
        return np.zeros(0, dtype=np.float32)
    sc = source.mean(axis=1)
    tc = target.mean(axis=1)
    edge = np.linalg.norm(target[:, 1] - target[:, 0], axis=1)
    lo = np.minimum(sc.min(axis=0), tc.min(axis=0))
    size = max(float(np.median(edge)) * 2.0, 1e-6)
    skey = _cell_keys(sc, lo, size)
    tkey = _cell_keys(tc, lo, size)
    keys, inverse = np.unique(np.concatenate([skey, tkey]), return_inverse=True)
    best = np.full(len(keys), np.inf, dtype=np.float32)
    finite = np.isfinite(values)
    np.minimum.at(best, inverse[:len(skey)][finite], values[finite])
    out = best[inverse[len(skey):]]
    out[np.isinf(out)] = np.nan
    return out


def _cell_keys(points: np.ndarray, lo: np.ndarray, size: float) -> np.ndarray:
    cell = ((points - lo) / size).astype(np.int64)
    return (cell[:, 0] << 42) | (cell[:, 1] << 21) | cell[:, 2]


def thickness(state: WorkState | None, path: Path, scale: float | None = None,
              min_wall_mm: float | None = None) -> ThicknessView:
    """The wall-thickness map of a part as colours for the meshes the view draws: the
    mesh itself when it is drawn whole, its decimated copies when it is big."""
    step = stepper(state)
    tris = _triangles(path, scale)
    values = face_thickness(tris, state)
    area = np.linalg.norm(np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0]),
                          axis=1)
    total = float(area.sum()) or 1.0
    known = np.isfinite(values)
    thin = (known & (values < min_wall_mm * (1 - _SAME)) if min_wall_mm
            else np.zeros(len(tris), bool))
    step(0.8, "Colouring the wall thickness")
    drawn_whole = len(tris) <= tasks.STILL_TRIANGLES
    full = per_corner(thickness_rgb(values, min_wall_mm)) if drawn_whole else None
    still = moving = None
    if len(tris) > tasks.VIEW_TRIANGLES:
        copies = tasks.view_meshes(None, path, scale)
        if copies.still is not None:
            still = per_corner(thickness_rgb(transfer(values, tris, copies.still),
                                             min_wall_mm))
        moving = per_corner(thickness_rgb(transfer(values, tris, copies.moving), min_wall_mm))
    thin_pts = tris[thin].reshape(-1, 3)
    box = ((tuple(float(v) for v in thin_pts.min(axis=0)),
            tuple(float(v) for v in thin_pts.max(axis=0))) if len(thin_pts) else None)
    return ThicknessView(full, still, moving, min_wall_mm,
                         float(values[known].min()) if known.any() else None,
                         float(area[thin].sum()) / total, float(area[known].sum()) / total,
                         thickness_legend(min_wall_mm), box)


def thickness_legend(min_wall: float | None) -> list[tuple[tuple[int, int, int], str]]:
    """The colour key of the thickness map, in words."""
    if not min_wall:
        return [(THIN_RGB, "thinnest"), (NEAR_RGB, "thin"), (OK_RGB, "thick"),
                (UNMEASURED_RGB, "no opposite wall")]
    return [(THIN_RGB, f"under {min_wall:g} mm (minimum wall)"),
            (NEAR_RGB, f"{min_wall:g} to {min_wall * NEAR_FACTOR:g} mm"),
            (OK_RGB, f"over {min_wall * NEAR_FACTOR:g} mm"),
            (UNMEASURED_RGB, "not measured (no opposite wall)")]


def pick(state: WorkState | None, path: Path, scale: float | None,
         origin: tuple[float, float, float], direction: tuple[float, float, float],
         snap_mm: float = 0.0) -> tuple[float, float, float] | None:
    """Where a ray first meets the part (mm), moved to the nearest corner of the face
    hit when that corner is within ``snap_mm``; None when it misses."""
    return ray_pick(_triangles(path, scale), origin, direction, snap_mm)


def ray_pick(tris: np.ndarray, origin: tuple[float, float, float],
             direction: tuple[float, float, float], snap_mm: float = 0.0
             ) -> tuple[float, float, float] | None:
    o = np.asarray(origin, np.float64)
    d = np.asarray(direction, np.float64)
    d /= np.linalg.norm(d) or 1.0
    best_t, best_face = np.inf, -1
    for start in range(0, len(tris), 1 << 18):  # Moller-Trumbore, block by block
        t3 = tris[start:start + (1 << 18)].astype(np.float64)
        e1, e2 = t3[:, 1] - t3[:, 0], t3[:, 2] - t3[:, 0]
        p = np.cross(d, e2)
        det = np.einsum("ij,ij->i", e1, p)
        ok = np.abs(det) > 1e-12
        inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
        s = o - t3[:, 0]
        u = np.einsum("ij,ij->i", s, p) * inv
        q = np.cross(s, e1)
        v = (q @ d) * inv
        t = np.einsum("ij,ij->i", e2, q) * inv
        hit = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0)
        if hit.any():
            i = int(np.flatnonzero(hit)[np.argmin(t[hit])])
            if t[i] < best_t:
                best_t, best_face = float(t[i]), start + i
    if best_face < 0:
        return None
    point = o + d * best_t
    corners = tris[best_face].astype(np.float64)
    gap = np.linalg.norm(corners - point, axis=1)
    if snap_mm > 0 and gap.min() <= snap_mm:
        point = corners[int(np.argmin(gap))]
    return float(point[0]), float(point[1]), float(point[2])

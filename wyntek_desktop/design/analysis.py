"""``analyze(path)``: the full design-for-manufacturing report of one file."""

from __future__ import annotations

import logging
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

import numpy as np

from wyntek_desktop.core.errors import FileError, UsageError
from wyntek_desktop.design import dfm, units
from wyntek_desktop.design._errors import file_error
from wyntek_desktop.design.formats import classify
from wyntek_desktop.design.loaders import LoadedMesh, load_mesh
from wyntek_desktop.design.measure import Measures, measure
from wyntek_desktop.design.progress import State, Step, stepper
from wyntek_desktop.design.report import MAX_LISTED_BODIES, Body, DesignReport, Finding, MeshInfo

log = logging.getLogger(__name__)


def analyze(path: Path | str, material: Any = None, scale: float | None = None,
            state: State | None = None,
            gerber_layers: dict[str, str] | None = None) -> DesignReport:
    """Check one design file. ``scale`` multiplies a mesh's coordinates (e.g. 25.4 for a
    part drawn in inches); ``material`` is any object with ``id``, ``name``,
    ``process``, ``build_volume_mm`` and optionally ``min_wall_mm``;
    ``gerber_layers`` assigns a Gerber archive's entries to layers by hand.

    Raises ``FileError`` when the file cannot be read at all; everything else that is
    wrong with it is a finding in the report.
    """
    path = Path(path)
    _check_scale(scale)
    if not path.is_file():
        raise file_error(path, "the file does not exist or is not a regular file.")
    kind = classify(path)
    step = stepper(state)
    step(0.0, f"Reading {path.name}")
    material_id = str(getattr(material, "id", "")) or None if material is not None else None
    if kind == "gerber":
        from wyntek_desktop.design.gerber import analyze_gerber

        try:
            return analyze_gerber(path, material, step, gerber_layers)
        except (FileError, UsageError, CancelledError):
            raise
        except Exception as exc:  # a damaged archive must never crash the app
            log.debug("Gerber analysis of %s failed", path.name, exc_info=True)
            raise file_error(path, f"the Gerber archive could not be read "
                             f"({type(exc).__name__}).") from None
    if kind == "drawing":
        from wyntek_desktop.design.pdf import analyze_pdf

        return analyze_pdf(path, material_id)
    if kind == "other":
        return DesignReport(path.name, path.stat().st_size, "other", [Finding(
            "info", "attachment", "This file is attached as is; it is not checked.", {})],
            material_id=material_id)
    loaded = load_mesh(path)
    step(0.2, "Checking the mesh")
    return mesh_report(path, loaded, material, scale, stepper(state, 0.2, 1.0))


def _check_scale(scale: float | None) -> None:
    if scale is not None and not (np.isfinite(scale) and 1e-6 <= scale <= 1e6):
        raise FileError(f"The scale factor {scale!r} must be a positive number "
                        "(e.g. 25.4 for inches).")


def mesh_report(path: Path, loaded: LoadedMesh, material: Any = None,
                scale: float | None = None, step: Step | None = None) -> DesignReport:
    """The report of a mesh already loaded (e.g. by the viewer), without reading it again."""
    step = step or stepper(None)
    _check_scale(scale)
    tris = loaded.triangles
    if scale is not None:
        tris = tris * np.float32(scale)
    m = measure(tris, step)
    step(0.9, "Checking manufacturability")
    dims = m.bounds[1] - m.bounds[0]
    fit = dfm.best_fit(dims, material) if material is not None else None
    findings = _mesh_findings(m, loaded, scale, dims)
    findings += dfm.fit_findings(fit, material)
    if material is not None:
        findings += dfm.process_findings(m, dims, material)
    info = _mesh_info(m, loaded, scale, dims, fit)
    step(1.0, "Done")
    return DesignReport(path.name, path.stat().st_size, "model", _ordered(findings), mesh=info,
                        material_id=(str(getattr(material, "id", "")) or None)
                        if material is not None else None)


def _mesh_info(m: Measures, loaded: LoadedMesh, scale: float | None, dims: np.ndarray,
               fit: Any) -> MeshInfo:
    # the measured volume adds every shell's magnitude: a cavity takes its volume away
    volume = abs(m.volume) - 2 * sum(abs(float(m.body_volume[i])) for i in _cavities(m))
    listed = np.argsort(-np.abs(m.body_volume), kind="stable")[:MAX_LISTED_BODIES]
    bodies = [Body(index=i, triangles=int(m.body_triangles[i]),
                   volume_mm3=round(abs(float(m.body_volume[i])), 3),
                   area_mm2=round(float(m.body_area[i]), 3),
                   watertight=bool(m.body_open[i] == 0),
                   dimensions_mm=_t3(np.ptp(m.body_bounds[i], axis=0)))
              for i in sorted(int(i) for i in listed)]
    watertight = m.bodies > 0 and m.boundary_edges == 0 and m.non_manifold_edges == 0
    return MeshInfo(
        format=loaded.format, encoding=loaded.encoding,
        source_unit=loaded.declared_unit or "unknown",
        scale=loaded.scale * (scale or 1.0), dimensions_mm=_t3(dims),
        bounds_mm=(_t3(m.bounds[0]), _t3(m.bounds[1])),
        volume_mm3=round(volume, 3), volume_cm3=round(volume / 1000.0, 6),
        area_mm2=round(m.area, 3), triangles=m.triangles, bodies=bodies,
        watertight=bool(watertight), winding_consistent=m.flipped_edges == 0,
        inverted=bool(_inverted_bodies(m)), flipped_edges=m.flipped_edges,
        degenerate_faces=m.degenerate_faces, duplicate_faces=m.duplicate_faces,
        boundary_edges=m.boundary_edges, non_manifold_edges=m.non_manifold_edges,
        instances=loaded.instances, fit=fit,
        has_embedded_thumbnail=loaded.thumbnail_png is not None, body_count=m.bodies)


def _t3(v: np.ndarray) -> tuple[float, float, float]:
    return (round(float(v[0]), 4), round(float(v[1]), 4), round(float(v[2]), 4))


def _inverted_bodies(m: Measures) -> list[int]:
    """Closed bodies that are inside out: negative volume and not a cavity."""
    cavities = set(_cavities(m))
    return [i for i in range(m.bodies) if m.body_open[i] == 0 and m.body_volume[i] < 0
            and i not in cavities]


def _cavities(m: Measures) -> list[int]:
    """Inner shells of hollow parts. A hollow part is stored as an outer shell and an
    inner one whose faces point into the void: that inner shell has a negative volume,
    and it is right. It is told apart from an inside-out body by lying inside the box
    of a bigger, correctly oriented closed body."""
    closed = [i for i in range(m.bodies) if m.body_open[i] == 0]
    outer = [j for j in closed if m.body_volume[j] > 0]
    return [i for i in closed if m.body_volume[i] < 0 and any(
        _box_inside(m.body_bounds[i], m.body_bounds[j])
        and m.body_volume[j] > -m.body_volume[i] for j in outer)]


def _box_inside(inner: np.ndarray, outer: np.ndarray) -> bool:
    return bool(np.all(inner[0] >= outer[0]) and np.all(inner[1] <= outer[1]))


def _mesh_findings(m: Measures, loaded: LoadedMesh, scale: float | None,
                   dims: np.ndarray) -> list[Finding]:
    out: list[Finding] = []
    if m.bodies == 0:
        return [Finding("error", "no_surface", "Every triangle of this mesh is degenerate; "
                        "there is no surface to make.", {"triangles": m.triangles})]
    if m.boundary_edges:
        open_bodies = int((m.body_open > 0).sum())
        out.append(Finding("error", "not_watertight",
                           f"The mesh is not closed: {m.boundary_edges:,} edges border a hole "
                           f"({open_bodies} of {m.bodies} bodies are open), so its volume is "
                           "undefined.", {"boundary_edges": m.boundary_edges,
                                          "open_bodies": open_bodies}))
    if m.non_manifold_edges:
        out.append(Finding("warning", "non_manifold_edges",
                           f"{m.non_manifold_edges:,} edges are shared by more than two faces.",
                           {"non_manifold_edges": m.non_manifold_edges}))
    if m.flipped_edges:
        out.append(Finding("warning", "inconsistent_winding",
                           f"Some faces are flipped: {m.flipped_edges:,} edges have "
                           "neighbouring faces that point opposite ways.",
                           {"flipped_edges": m.flipped_edges}))
    inverted = _inverted_bodies(m)
    if inverted:
        what = ("1 closed body is" if len(inverted) == 1
                else f"{len(inverted)} closed bodies are")
        out.append(Finding("warning", "inverted_normals",
                           f"{what} inside out (all normals point inwards); most slicers "
                           "fix this automatically.",
                           {"bodies": inverted[:50]}))
    if m.degenerate_faces:
        out.append(Finding("info", "degenerate_faces",
                           f"{m.degenerate_faces:,} faces have no area.",
                           {"degenerate_faces": m.degenerate_faces}))
    if m.duplicate_faces:
        out.append(Finding("warning", "duplicate_faces",
                           f"{m.duplicate_faces:,} faces are exact duplicates of other faces.",
                           {"duplicate_faces": m.duplicate_faces}))
    if m.bodies > 1:
        out.append(Finding("info", "multiple_bodies",
                           f"The file holds {m.bodies} separate bodies; they are made as one "
                           "part.", {"bodies": m.bodies}))
    out += _unit_findings(loaded, scale, dims)
    return out


def _unit_findings(loaded: LoadedMesh, scale: float | None,
                   dims: np.ndarray) -> list[Finding]:
    if loaded.declared_unit is not None:
        return [Finding("info", "units_from_file",
                        f"The file states its unit ({loaded.declared_unit}); sizes were "
                        "converted to millimetres.",
                        {"unit": loaded.declared_unit, "scale": loaded.scale})]
    if scale is not None:
        return [Finding("info", "units_rescaled", f"Sizes were multiplied by {scale:g} as "
                        "requested.", {"scale": scale})]
    guess = units.guess_units(dims)
    size = " x ".join(f"{d:.4g}" for d in dims)
    if guess is not None:
        name = "inches" if guess.unit == "in" else "metres"
        return [Finding("warning", "units_suspect",
                        f"This file has no units and reads as a tiny {size} mm part, but "
                        f"{guess.reason}: it was probably drawn in {name}; rescale by "
                        f"{guess.scale:g}?", {"suggested_scale": guess.scale,
                                               "suggested_unit": guess.unit})]
    if float(dims.max()) < 2.0:
        return [Finding("warning", "very_small_part",
                        f"The part is only {size} mm; check that the file was exported in "
                        "millimetres.", {"max_dimension_mm": float(dims.max())})]
    return [Finding("info", "units_assumed_mm",
                    "The file has no units; millimetres were assumed.", {})]


def _ordered(findings: list[Finding]) -> list[Finding]:
    rank = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: rank[f.severity])

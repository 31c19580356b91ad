"""Read any supported mesh/CAD file into one triangle soup (float32, millimetres).

Own parsers for STL/OBJ/OFF; trimesh (imported lazily: it costs over a second) for
PLY, glTF, 3MF and the GLB that STEP is converted to, each after a safety check.
Every failure leaves here as a ``FileError`` with one sentence.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from wyntek_desktop.core.errors import FileError
from wyntek_desktop.design import glb, limits, ply, step, stl, textmesh, threemf, units
from wyntek_desktop.design._errors import check_size, file_error
from wyntek_desktop.design.formats import mesh_format

log = logging.getLogger(__name__)
MAX_COORDINATE = 1e9  # 1000 km in mm: anything larger is a broken file, not a part


@dataclass(frozen=True)
class LoadedMesh:
    format: str                    # 'stl', 'obj', 'ply', 'off', '3mf', 'glb', 'gltf', 'step'
    encoding: str                  # 'binary' / 'ascii' for STL, else ''
    triangles: np.ndarray          # float32 (n, 3, 3), scaled by ``scale``
    declared_unit: str | None      # unit stated in the file; None for unitless formats
    scale: float                   # factor applied to the file's numbers (to millimetres)
    instances: int                 # placed geometries in a scene (1 for plain meshes)
    thumbnail_png: bytes | None    # embedded preview image (3MF)
    bounds: np.ndarray = field(default_factory=lambda: np.zeros((2, 3)))  # min, max corner


def load_mesh(path: Path | str) -> LoadedMesh:
    """Load a design file; raise ``FileError`` with a clear sentence if it cannot be used."""
    path = Path(path)
    fmt = mesh_format(path)
    if fmt is None:
        raise file_error(path, f"'{path.suffix}' files are not 3D models this app can read.")
    try:
        if not path.is_file():
            raise file_error(path, "the file does not exist or is not a regular file.")
        if path.stat().st_size == 0:
            raise file_error(path, "the file is empty.")
        with warnings.catch_warnings():  # hostile numbers make numpy/trimesh warn
            warnings.simplefilter("ignore")
            loaded = _load(path, fmt)
    except FileError:
        raise
    except MemoryError:
        raise file_error(path, "the file is too large to load into memory.") from None
    except Exception as exc:  # third-party parsers raise anything on hostile bytes
        log.debug("loading %s failed", path.name, exc_info=True)
        # A failure of the system (permissions, I/O, the name) says nothing about the
        # content; errno tells it apart from OSError subclasses parsers raise on bad bytes.
        if isinstance(exc, OSError) and exc.errno is not None:
            raise FileError(f"{path.name} cannot be read ({exc.strerror or exc}).",
                            hint="Check that the file is there and you may read it.") from None
        raise file_error(path, f"the {fmt.upper()} file is damaged or not a {fmt.upper()} "
                         f"file ({type(exc).__name__}).") from None
    bounds = check_triangles(path, loaded.triangles)
    if fmt == "step":  # after the check: the grid needs finite, sane coordinates
        loaded = replace(loaded, triangles=step.share_seam_corners(loaded.triangles))
    return replace(loaded, bounds=bounds)


def _load(path: Path, fmt: str) -> LoadedMesh:
    if fmt == "stl":
        tris, encoding = stl.read_stl(path)
        return LoadedMesh("stl", encoding, tris, None, 1.0, 1, None)
    if fmt in ("obj", "off"):
        vertices, faces = (textmesh.read_obj if fmt == "obj" else textmesh.read_off)(path)
        return LoadedMesh(fmt, "ascii", vertices[faces].astype(np.float32), None, 1.0, 1, None)
    if fmt == "ply":
        ply.check_ply_header(path)
        return _from_scene(path, fmt, _trimesh().load_scene(str(path), process=False), None)
    if fmt == "3mf":
        checked = threemf.check_3mf(path)
        scene = _trimesh().load_scene(io.BytesIO(checked.data), file_type="3mf")
        return _from_scene(path, fmt, scene, checked.thumbnail_png, unit=checked.unit)
    if fmt == "glb":
        check_size(path, path.stat().st_size, limits.MAX_MESH_FILE_BYTES, "GLB")
        glb.check_glb(path)
        return _from_scene(path, fmt, _trimesh().load_scene(str(path), skip_materials=True),
                           None)
    if fmt == "gltf":
        check_size(path, path.stat().st_size, limits.MAX_TEXT_MESH_BYTES, "glTF")
        glb.check_gltf(path, limits.MAX_MESH_FILE_BYTES)
        return _from_scene(path, fmt, _trimesh().load_scene(str(path), skip_materials=True),
                           None)
    converted = step.step_to_glb(path)  # fmt == "step"
    scene = _trimesh().load_scene(io.BytesIO(converted), file_type="glb",
                                        skip_materials=True)
    return _from_scene(path, "step", scene, None, unit="meters")


def _trimesh() -> Any:
    import trimesh

    return trimesh


def _from_scene(path: Path, fmt: str, scene: Any, thumb: bytes | None,
                unit: str | None = None) -> LoadedMesh:
    """Every placed geometry of a scene, transformed, as one soup (one part, many bodies)."""
    trimesh = _trimesh()
    parts: list[np.ndarray] = []
    total = 0
    for node in scene.graph.nodes_geometry:
        transform, name = scene.graph[node]
        geometry = scene.geometry.get(name)
        if not isinstance(geometry, trimesh.Trimesh) or len(geometry.faces) == 0:
            continue
        faces = np.asarray(geometry.faces)
        vertices = np.asarray(geometry.vertices, dtype=np.float64)
        if faces.min() < 0 or faces.max() >= len(vertices):
            raise file_error(path, "a face refers to a vertex that does not exist.")
        total += len(faces)
        if total > limits.MAX_TRIANGLES:
            raise file_error(path, "the model has more triangles than this computer can check.")
        placed = trimesh.transform_points(vertices, transform)
        parts.append(placed[faces].astype(np.float32))
    if not parts:
        raise file_error(path, "the file contains no triangle mesh.")
    declared = unit or (str(scene.units) if scene.units else None)
    factor = units.to_mm(declared)
    tris = np.concatenate(parts)
    if factor is not None and factor != 1.0:
        tris *= np.float32(factor)
    return LoadedMesh(fmt, "", tris, declared if factor is not None else None,
                      factor or 1.0, len(parts), thumb)


def check_triangles(path: Path, tris: np.ndarray) -> np.ndarray:
    """Bounds (2,3) of the triangles; FileError for NaN/inf or absurd coordinates.

    Six column reductions do it all: min/max propagate NaN and inf, so no separate
    ``isfinite`` pass (and its full-size temporary) is needed.
    """
    if tris.ndim != 3 or tris.shape[1:] != (3, 3) or len(tris) == 0:
        raise file_error(path, "the file contains no triangles.")
    with np.errstate(all="ignore"):  # NaN/inf are expected here and checked just below
        bounds = np.array([[tris[..., i].min() for i in range(3)],
                           [tris[..., i].max() for i in range(3)]], dtype=np.float64)
    if not np.isfinite(bounds).all():
        raise file_error(path, "the file has coordinates that are not finite numbers (NaN or "
                         "infinity).", hint="Re-export the model from your CAD tool.")
    reach = float(np.abs(bounds).max())
    if reach > MAX_COORDINATE:
        raise file_error(path, f"the file has coordinates up to {reach:.3g}, far beyond any "
                         "part that can be made.", hint="Re-export the model from your CAD tool.")
    return bounds

"""Design work as background tasks: ``fn(state, ...)`` for the window's thread pool and
its helper process (see ``background``). No Qt here.

The window never imports this module on its GUI thread (importing the design package
pulls in numpy): it names the functions as ``"wyntek_desktop.design.tasks:name"``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wyntek_desktop.background.state import WorkState
from wyntek_desktop.core.errors import FileError
from wyntek_desktop.design.analysis import analyze as analyze_design
from wyntek_desktop.design.formats import SUPPORTED_EXTENSIONS, classify
from wyntek_desktop.design.loaders import load_mesh
from wyntek_desktop.design.lod import VIEW_TRIANGLES, decimate
from wyntek_desktop.design.report import DesignReport
from wyntek_desktop.design.thumbnail import render_thumbnail

FIRST_FRAME_TRIANGLES = 100_000  # software GL draws 100 k triangles in ~20 ms on an idle core
#: The most triangles the still view draws: software GL needs about 1 s per 1.5 M on a
#: loaded core, and input waits for a frame. Bigger parts are shown decimated when still.
STILL_TRIANGLES = 1_000_000
LOD_SLACK = 1.25  # how far above its budget a decimated copy may land


@dataclass
class PreviewData:
    triangles: np.ndarray               # float32 (n, 3, 3): the mesh, or a stand-in
    lo: np.ndarray
    hi: np.ndarray
    units: str = "mm"
    quick_lod: np.ndarray | None = None  # every k-th triangle: the first frame's copy
    lod_wanted: bool = False             # too many triangles to draw while the view moves
    normals: np.ndarray | None = None    # int8 (n, 3, 4): flat normals of ``triangles``
    quick_normals: np.ndarray | None = None
    total: int = 0                       # triangles in the file
    stand_in: bool = False               # ``triangles`` is a quick copy, not the mesh


@dataclass
class ViewMeshes:
    """Decimated copies for the 3D view, made in the helper process."""

    moving: np.ndarray                   # at most VIEW_TRIANGLES
    moving_normals: np.ndarray
    still: np.ndarray | None = None      # at most STILL_TRIANGLES, when the mesh is bigger
    still_normals: np.ndarray | None = None


def flat_normals(triangles: np.ndarray) -> np.ndarray:
    """One unit normal per face, repeated on its three corners, as int8 (x, y, z, 0).

    The view shades with these instead of screen-space derivatives, which go wrong on
    the thin sliver faces along CAD seams (speckles on STEP parts).
    """
    out = np.zeros((len(triangles), 3, 4), dtype=np.int8)
    for start in range(0, len(triangles), 1 << 20):  # bounded float64 temporaries
        t = triangles[start:start + (1 << 20)].astype(np.float64)
        n = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
        length = np.linalg.norm(n, axis=1, keepdims=True)
        n = np.divide(n, length, out=np.zeros_like(n), where=length > 0)
        out[start:start + len(t), :, :3] = np.round(n * 127).astype(np.int8)[:, None, :]
    return out


def warm_up(state: WorkState | None) -> None:
    """Run once in the background when the window is up: importing this module loads
    numpy and the loaders, so opening the first file does not pay for them."""


def expand_paths(state: WorkState | None, paths: list[str]) -> list[Path]:
    """Files to open from what was dropped: folders are walked for supported files."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if Path(name).suffix.lower() in SUPPORTED_EXTENSIONS:
                        out.append(Path(root) / name)
                if state is not None and state.is_cancelled():
                    return out
        elif path.is_file():
            out.append(path)
        else:
            raise FileError(f"{path} does not exist or cannot be read.")
    return out


def file_facts(state: WorkState | None, path: Path) -> tuple[str, int]:
    """Kind and size of a file (stat is I/O: done here, not in the GUI)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FileError(f"{path} cannot be read: {exc.strerror}.") from exc
    return str(classify(path)), size


def load_preview(state: WorkState | None, path: Path, scale: float | None = None,
                 quick_lod: bool = False) -> PreviewData:
    """The fast path: triangles straight from the file (no normals: the view shades on
    the GPU), in millimetres, for the first paint."""
    mesh = load_mesh(path)
    tris = np.asarray(mesh.triangles, dtype=np.float32).reshape(-1, 3, 3)
    if not len(tris):
        raise FileError(f"{path.name} contains no triangles to show.")
    if scale is not None and scale != 1.0:
        tris = tris * np.float32(scale)
        flat = tris.reshape(-1, 3)
        lo, hi = flat.min(axis=0), flat.max(axis=0)
    else:
        lo, hi = np.asarray(mesh.bounds[0], float), np.asarray(mesh.bounds[1], float)
    many = len(tris) > VIEW_TRIANGLES
    quick = stride_thin(tris, FIRST_FRAME_TRIANGLES) if quick_lod and many else None
    if not quick_lod:
        return PreviewData(tris, lo, hi, "mm", None, lod_wanted=many, total=len(tris))
    if len(tris) > STILL_TRIANGLES:
        # too many to draw when still: the quick copy stands in until the decimated
        # still copy is made (the GUI never receives the whole mesh)
        assert quick is not None
        return PreviewData(quick, lo, hi, "mm", None, lod_wanted=True,
                           normals=flat_normals(quick), total=len(tris), stand_in=True)
    return PreviewData(tris, lo, hi, "mm", quick, lod_wanted=many, normals=flat_normals(tris),
                       quick_normals=flat_normals(quick) if quick is not None else None,
                       total=len(tris))


def analyze(state: WorkState | None, path: Path, material: Any = None,
            scale: float | None = None,
            gerber_layers: dict[str, str] | None = None) -> DesignReport:
    """The full design-for-manufacturing report (slow for big parts; cancellable)."""
    return analyze_design(path, material=material, scale=scale, state=state,
                          gerber_layers=gerber_layers)


def thumbnail(state: WorkState | None, path: Path, size: int = 256,
              scale: float | None = None) -> bytes:
    """A still image of the part; big meshes are thinned first (the picture is the same)."""
    tris = load_preview(state, path, scale).triangles
    if len(tris) > VIEW_TRIANGLES:
        tris = lod(state, tris)
    return bytes(render_thumbnail(tris, size))


def cache_thumbnail(state: WorkState | None, path: Path, target: Path,
                    scale: float | None = None, size: int = 160) -> Path:
    """A small picture of a queued model for the Jobs page (``AppDirs.thumbnail_file``)."""
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_suffix(".part")
        part.write_bytes(thumbnail(state, path, size, scale))
        part.replace(target)
    return target


def stride_thin(triangles: np.ndarray, budget: int) -> np.ndarray:
    """Every k-th triangle, at most ``budget`` of them (cheap, keeps the outline)."""
    step = max(1, int(np.ceil(len(triangles) / budget)))
    return np.ascontiguousarray(triangles[::step])


def lod(state: WorkState | None, triangles: np.ndarray,
        budget: int = VIEW_TRIANGLES) -> np.ndarray:
    """About ``budget`` triangles (a quarter more at most) for the 3D view.

    Decimation lands near its target, often a little above: that is kept. Thinning a
    mesh by taking every k-th face would leave scattered dots, not a surface, so it is
    only the last resort when decimation gives nothing usable.
    """
    out = np.asarray(decimate(triangles, budget), dtype=np.float32).reshape(-1, 3, 3)
    if len(out) > budget * LOD_SLACK:
        out = np.asarray(decimate(out, budget), dtype=np.float32).reshape(-1, 3, 3)
    if 0 < len(out) <= budget * LOD_SLACK:
        return out
    return stride_thin(triangles, budget)


def lod_from_file(state: WorkState | None, path: Path, scale: float | None = None,
                  budget: int = VIEW_TRIANGLES) -> np.ndarray:
    """The level-of-detail copy, built in the helper process from the file itself."""
    return lod(state, load_preview(state, path, scale).triangles, budget)


def view_meshes(state: Any, path: Path, scale: float | None = None) -> ViewMeshes:
    """The 3D view's decimated copies of a big mesh (helper process): the one drawn
    while moving and, for meshes too big to draw when still, the still one. The moving
    copy is decimated from the still one (cheaper, same shape)."""
    tris = load_preview(state, path, scale).triangles
    still = lod(state, tris, STILL_TRIANGLES) if len(tris) > STILL_TRIANGLES else None
    moving = lod(state, tris if still is None else still, VIEW_TRIANGLES)
    del tris
    return ViewMeshes(moving, flat_normals(moving), still,
                      flat_normals(still) if still is not None else None)

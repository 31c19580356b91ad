"""Worker functions of the Prepare page (plain Python: run on the pool, never in the GUI).

They call the design package lazily, so trimesh and the analysis load only when the
first file is opened.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wyntek_desktop.core.errors import FileError

if TYPE_CHECKING:
    import numpy as np

SUPPORTED = (".stl", ".obj", ".ply", ".off", ".3mf", ".glb", ".gltf", ".step", ".stp",
             ".zip", ".pdf")


def supported_extensions() -> tuple[str, ...]:
    try:
        from wyntek_desktop.design.formats import SUPPORTED_EXTENSIONS
        return tuple(SUPPORTED_EXTENSIONS)
    except ImportError:  # pragma: no cover - the design package always ships it
        return SUPPORTED


def classify(path: Path) -> str:
    from wyntek_desktop.design.formats import classify as design_classify
    return str(design_classify(path))


@dataclass
class PreviewData:
    triangles: np.ndarray               # float32 (n, 3, 3)
    lo: np.ndarray
    hi: np.ndarray
    units: str = "mm"
    quick_lod: np.ndarray | None = None  # every k-th triangle: the first frame's copy


def warm_up(state: Any) -> None:
    """Import the design package in the background once the window is up, so opening
    the first file does not pay for numpy and the loaders."""
    import numpy  # noqa: F401

    import wyntek_desktop.design  # noqa: F401


def expand_paths(state: Any, paths: list[str]) -> list[Path]:
    """Files to open from what was dropped: folders are walked for supported files."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            exts = supported_extensions()
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if Path(name).suffix.lower() in exts:
                        out.append(Path(root) / name)
                if state is not None and state.is_cancelled():
                    return out
        elif path.is_file():
            out.append(path)
        else:
            raise FileError(f"{path} does not exist or cannot be read.")
    return out


def file_facts(state: Any, path: Path) -> tuple[str, int]:
    """Kind and size of a file (stat is I/O: done here, not in the GUI)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FileError(f"{path} cannot be read: {exc.strerror}.") from exc
    return classify(path), size


_DESIGN_HOMES = {"load_preview": "preview", "analyze": "analysis",
                 "render_thumbnail": "thumbnail", "decimate": "lod"}


def _design(name: str) -> Any:
    """A design function: from the package, or from the module that defines it."""
    import importlib

    from wyntek_desktop import design
    if hasattr(design, name):
        return getattr(design, name)
    module = importlib.import_module(f"wyntek_desktop.design.{_DESIGN_HOMES[name]}")
    return getattr(module, name)


def _fast_triangles(path: Path) -> Any:
    """The design loader without the preview's normals (the view shades on the GPU)."""
    try:
        from wyntek_desktop.design.loaders import load_mesh
    except ImportError:
        return _design("load_preview")(path)
    return load_mesh(path)


def load_preview(state: Any, path: Path, scale: float | None = None,
                 quick_lod: bool = False) -> PreviewData:
    """The fast path: triangles straight from the file, for the first paint."""
    import numpy as np
    preview = _fast_triangles(path)
    tris = np.asarray(_attr(preview, "triangles", "tris", "vertices"), dtype=np.float32)
    tris = tris.reshape(-1, 3, 3)
    if not len(tris):
        raise FileError(f"{path.name} contains no triangles to show.")
    bounds = _attr(preview, "bounds", default=None)
    if bounds is None and len(tris):
        flat = tris.reshape(-1, 3)
        bounds = (flat.min(axis=0), flat.max(axis=0))
    if scale is not None and scale != 1.0:
        tris = tris * np.float32(scale)
        bounds = None
    if bounds is not None:
        lo, hi = np.asarray(bounds[0], float), np.asarray(bounds[1], float)
    else:
        flat = tris.reshape(-1, 3)
        lo, hi = flat.min(axis=0), flat.max(axis=0)
    units = str(_attr(preview, "unit", "units", default="") or "")
    units = {"millimeter": "mm", "millimeters": "mm", "inch": "in", "inches": "in"}.get(
        units, units)
    quick = None
    if quick_lod and len(tris) > LOD_BUDGET:
        step = int(np.ceil(len(tris) / FIRST_FRAME_BUDGET))
        quick = np.ascontiguousarray(tris[::step])
    return PreviewData(tris, lo, hi, "mm", quick)  # the preview is in millimetres


def analyze(state: Any, path: Path, material: Any = None, scale: float | None = None) -> Any:
    """The full design-for-manufacturing report (slow for big parts; cancellable)."""
    analyze_fn = _design("analyze")
    kwargs: dict[str, Any] = {"material": material, "state": state}
    if scale is not None:
        if "scale" not in inspect.signature(analyze_fn).parameters:
            raise FileError("Rescaling is not available for this file.")
        kwargs["scale"] = scale
    return analyze_fn(path, **kwargs)


def thumbnail(state: Any, path: Path, size: int = 256, scale: float | None = None) -> bytes:
    """A still image of the part; big meshes are thinned first (the picture is the same)."""
    tris = load_preview(state, path, scale).triangles
    if len(tris) > LOD_BUDGET:
        tris = lod(state, tris)
    return bytes(_design("render_thumbnail")(tris, size))


def cache_thumbnail(state: Any, path: Path, sha256: str, folder: Path,
                    scale: float | None = None, size: int = 160) -> Path:
    """A small picture of a queued model for the Jobs page, named by the file's hash."""
    target = folder / f"{sha256}.png"
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        part = target.with_suffix(".part")
        part.write_bytes(thumbnail(state, path, size, scale))
        part.replace(target)
    return target


LOD_BUDGET = 200_000
FIRST_FRAME_BUDGET = 100_000  # software GL draws 100 k triangles in ~20 ms on an idle core


def lod(state: Any, triangles: np.ndarray, budget: int = LOD_BUDGET) -> np.ndarray:
    """At most ``budget`` triangles for drawing while the view moves."""
    import numpy as np
    try:
        out = np.asarray(_design("decimate")(triangles, budget), dtype=np.float32)
        if 0 < len(out) <= budget:
            return out.reshape(-1, 3, 3)
    except (KeyError, ImportError, AttributeError):
        pass
    step = max(1, int(np.ceil(len(triangles) / budget)))
    return np.ascontiguousarray(triangles[::step])


def lod_from_file(state: Any, path: Path, scale: float | None = None,
                  budget: int = LOD_BUDGET) -> np.ndarray:
    """The level-of-detail copy, built in the helper process from the file itself."""
    return lod(state, load_preview(state, path, scale).triangles, budget)


def _attr(obj: Any, *names: str, default: Any = ...) -> Any:
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    if default is ...:
        raise AttributeError(f"preview has none of {names}")
    return default


def job_volume_cm3(reports: list[Any]) -> float:


    return float(sum(getattr(r, "volume_cm3", 0.0) or 0.0 for r in reports if r is not None))


def estimate_tokens(material: Any, volume_cm3: float, quantity: int,
                    tolerance_mm: float) -> int | None:
    """Offline estimate with the shared pricing rule (None if the mirror is missing)."""
    try:
        from wyntek_desktop.core import pricing
    except ImportError:
        return None
    from decimal import Decimal
    return int(pricing.quote(material, Decimal(str(round(volume_cm3, 6))), quantity,
                             Decimal(str(tolerance_mm))))

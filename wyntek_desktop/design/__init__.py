"""Design files: loading, previews, manufacturability checks and thumbnails (no Qt).

Public API (everything raises ``core.errors.FileError`` with one clear sentence for a
file it cannot use):

- ``classify(path)`` -> 'model' | 'drawing' | 'gerber' | 'other'
- ``load_preview(path)`` -> ``Preview`` (float32 triangles, normals, bounds): first paint
- ``analyze(path, material=None, scale=None, state=None)`` -> ``DesignReport``
- ``render_thumbnail(triangles | Preview | path, size=256)`` -> PNG bytes
- ``decimate(triangles, target=200_000)`` -> triangles, for the 3D view
- ``estimate_tokens(report, material, quantity, tolerance_mm)`` -> int

Workers take ``state`` with ``report_progress(fraction, message)`` and
``is_cancelled()``; a cancelled analysis raises ``background.cancel.Cancelled``.
trimesh is imported only when a format needs it.
"""

from wyntek_desktop.design.analysis import analyze
from wyntek_desktop.design.estimate import estimate_tokens
from wyntek_desktop.design.formats import (
                                           FILE_DIALOG_FILTERS,
                                           SUPPORTED_EXTENSIONS,
                                           classify,
                                           mesh_format,
)
from wyntek_desktop.design.lod import decimate
from wyntek_desktop.design.preview import Preview, load_preview
from wyntek_desktop.design.report import (
                                           Body,
                                           DesignReport,
                                           DrawingInfo,
                                           Finding,
                                           Fit,
                                           GerberInfo,
                                           GerberLayer,
                                           IgnoredFile,
                                           MeshInfo,
)
from wyntek_desktop.design.thumbnail import render_thumbnail

__all__ = [
    "FILE_DIALOG_FILTERS", "SUPPORTED_EXTENSIONS", "Body", "DesignReport", "DrawingInfo",
    "Finding", "Fit", "GerberInfo", "GerberLayer", "IgnoredFile", "MeshInfo", "Preview",
    "analyze", "classify", "decimate", "estimate_tokens", "load_preview", "mesh_format",
    "render_thumbnail",
]

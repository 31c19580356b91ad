"""Line geometry the 3D view draws around the part (pure numpy, no Qt): the machine's
build plate and volume, and the colours and words of the problems legend."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported where the lines are made, not with the window
    import numpy as np

#: overlay colours (RGB 0-1) by problem kind, and their legend words
PROBLEM_COLOURS: dict[str, tuple[float, float, float]] = {
    "open": (1.0, 0.25, 0.25),          # red: edges that border a hole
    "non_manifold": (0.85, 0.35, 1.0),  # violet: edges shared by three faces or more
    "inverted": (1.0, 0.6, 0.1),        # orange: faces turned the wrong way
    "degenerate": (0.2, 0.9, 0.95),     # cyan: faces without area
}
PROBLEM_WORDS = {"open": "Open edges", "non_manifold": "Non-manifold edges",
                 "inverted": "Inverted faces", "degenerate": "Faces without area"}
PLATE_RGB = (0.45, 0.5, 0.58)


def plate_lines(build_mm: tuple[float, float, float], lo: np.ndarray, hi: np.ndarray,
                spacing: float = 10.0) -> tuple[np.ndarray, int]:
    """Line vertices (float32 (k, 3)) of the build plate under the part, centred on it,
    with a grid; then the build volume's 12 edges. Returns the vertices and how many
    belong to the plate (the rest is the volume)."""
    import numpy as np
    bx, by, bz = (float(v) for v in build_mm)
    cx, cy = (lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2
    z = float(lo[2])
    x0, x1, y0, y1 = cx - bx / 2, cx + bx / 2, cy - by / 2, cy + by / 2
    step = spacing if max(bx, by) / spacing <= 60 else spacing * 10
    pts: list[tuple[float, float, float]] = []
    for x in np.arange(x0, x1 + 1e-9, step):
        pts += [(x, y0, z), (x, y1, z)]
    for y in np.arange(y0, y1 + 1e-9, step):
        pts += [(x0, y, z), (x1, y, z)]
    pts += [(x1, y0, z), (x1, y1, z), (x0, y1, z), (x1, y1, z)]  # the far rims
    plate = len(pts)
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    for i in range(4):
        (ax, ay), (qx, qy) = corners[i], corners[(i + 1) % 4]
        pts += [(ax, ay, z + bz), (qx, qy, z + bz), (ax, ay, z), (ax, ay, z + bz)]
    return np.asarray(pts, dtype=np.float32), plate

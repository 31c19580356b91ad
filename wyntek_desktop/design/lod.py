"""Level of detail for the 3D view: fewer triangles, same silhouette.

Run in a worker. Very large meshes are first clustered on a grid (fast, coarse), then
quadric decimation (fast-simplification) brings them to the target.
"""

from __future__ import annotations

import numpy as np

from wyntek_desktop.design import topology

#: Triangles the 3D view draws while it moves; bigger meshes get a decimated copy.
VIEW_TRIANGLES = 200_000


def decimate(triangles: np.ndarray, target: int = VIEW_TRIANGLES) -> np.ndarray:
    """Triangles (float32 (m,3,3), m close to ``target``) approximating the input."""
    tris = np.asarray(triangles, dtype=np.float32)
    if len(tris) <= target:
        return tris
    vertices, faces = topology.weld(tris)
    faces, _ = topology.drop_degenerate_indices(faces)
    vertices, faces = topology.compact(vertices, faces)
    if len(faces) > 4 * target:
        vertices, faces = _cluster_to(vertices, faces, 2 * target)
    if len(faces) <= target:
        return vertices[faces].astype(np.float32)
    try:
        import fast_simplification
    except ImportError:
        vertices, faces = _cluster_to(vertices, faces, target)
        return vertices[faces].astype(np.float32)
    points, simplified = fast_simplification.simplify(
        vertices.astype(np.float32), faces.astype(np.int64),
        target_reduction=1.0 - target / len(faces))
    return np.asarray(points, dtype=np.float32)[np.asarray(simplified)]


def _cluster_to(vertices: np.ndarray, faces: np.ndarray, target: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Grid clustering, refining the grid size until about ``target`` faces remain."""
    cells = max(int(np.sqrt(target / 2)), 8)
    best = (vertices, faces)
    for _ in range(4):
        v, f = cluster(vertices, faces, cells)
        if len(f) <= target * 1.1:
            return (v, f) if len(f) > target / 4 else best
        best = (v, f)
        cells = max(int(cells * np.sqrt(target / len(f)) * 0.95), 4)
    return best


def cluster(vertices: np.ndarray, faces: np.ndarray, cells: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """Merge all vertices in each cell of a cells³ grid to their mean."""
    lo = vertices.min(axis=0)
    extent = float(np.ptp(vertices, axis=0).max()) or 1.0
    grid = np.floor((vertices - lo) / extent * (cells - 1e-9)).astype(np.int64)
    key = (grid[:, 0] * cells + grid[:, 1]) * cells + grid[:, 2]
    uniq, cell_of = np.unique(key, return_inverse=True)
    cell_of = cell_of.reshape(-1)
    sums = np.zeros((len(uniq), 3))
    for axis in range(3):
        sums[:, axis] = np.bincount(cell_of, weights=vertices[:, axis], minlength=len(uniq))
    centres = sums / np.bincount(cell_of, minlength=len(uniq))[:, None]
    new_faces = cell_of[faces]
    keep = ((new_faces[:, 0] != new_faces[:, 1]) & (new_faces[:, 1] != new_faces[:, 2])
            & (new_faces[:, 0] != new_faces[:, 2]))
    return centres, new_faces[keep]

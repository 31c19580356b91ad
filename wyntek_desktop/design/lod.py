"""Level of detail for the 3D view: fewer triangles, same silhouette.

Run in a worker. Vertex clustering straight on the triangle soup: every corner snaps
to a cell of a regular grid, a triangle whose three corners land in three different
cells survives with the cells' mean points as corners, the others collapse. No
welding and no sort, one pass over the corners, so 20 M triangles take about a second;
the grid is sized from a sample so the result lands just under the target.
"""

from __future__ import annotations

import numpy as np

from wyntek_desktop.design.keytable import KeyTable

#: Triangles the 3D view draws while it moves; bigger meshes get a decimated copy.
VIEW_TRIANGLES = 200_000

_BLOCK = 262_144      # triangles per block: bounds the temporaries
_SAMPLE = 150_000     # triangles used to size the grid
_TRY_WHOLE = 1_000_000  # up to this many triangles, grid sizes are tried for real
_FACES_PER_CELL = 1.3  # measured on spheres and CAD parts: about 1.3 faces survive per cell
_MAX_CELLS = 1_290    # cells**3 < 2**31: a cell number fits in int32


def decimate(triangles: np.ndarray, target: int = VIEW_TRIANGLES) -> np.ndarray:
    """Triangles (float32 (m,3,3), 0 < m <= ``target``) approximating the input."""
    tris = np.asarray(triangles, dtype=np.float32)
    if len(tris) <= target:
        return tris
    target = max(int(target), 1)
    lo = np.array([tris[..., i].min() for i in range(3)], dtype=np.float64)
    hi = np.array([tris[..., i].max() for i in range(3)], dtype=np.float64)
    extent = float((hi - lo).max()) or 1.0
    if len(tris) <= _TRY_WHOLE:  # small enough to try grid sizes on the mesh itself
        out = _fitted(tris, lo, extent, target)
    else:
        cells = _cells_for(tris, lo, extent, target)
        out = cluster(tris, lo, extent, cells)
        while len(out) > target and cells > 1:  # sized too fine: coarsen the small result
            cells = max(min(int(cells * np.sqrt(target / len(out)) * 0.95), cells - 1), 1)
            out = cluster(out, lo, extent, cells)
    if len(out) == 0:  # everything collapsed (a speck): a thinned copy still draws
        out = np.ascontiguousarray(tris[:: -(-len(tris) // target)])
    return out


def _fitted(tris: np.ndarray, lo: np.ndarray, extent: float, target: int) -> np.ndarray:
    """The finest clustering tried that keeps at most ``target`` faces."""
    cells = max(int(np.sqrt(target / 2)), 2)
    best = np.zeros((0, 3, 3), dtype=np.float32)
    for _ in range(8):
        out = cluster(tris, lo, extent, cells)
        if len(out) <= target and len(out) > len(best):
            best = out
        if 0.85 * target <= len(out) <= target or cells >= _MAX_CELLS:
            break
        factor = np.sqrt(0.95 * target / max(len(out), 1))
        cells = min(max(int(cells * factor), 2), _MAX_CELLS)
        if factor < 1:
            cells = min(cells, max(int(cells * 0.97), 2))
    return best


def _cell_numbers(corners: np.ndarray, lo: np.ndarray, extent: float, cells: int
                  ) -> np.ndarray:
    """Cell of every corner (int32) in a ``cells``³ grid over the part's bounding cube."""
    # every corner lies inside the bounds, so no clipping: the top maps below ``cells``
    scale = np.float32(cells * (1 - 1e-5) / extent)
    number = np.zeros(len(corners), dtype=np.int32)
    for axis in range(3):
        coordinate = corners[:, axis] - np.float32(lo[axis])
        coordinate *= scale
        number *= cells
        number += coordinate.astype(np.int32)
    return number


def _cells_for(tris: np.ndarray, lo: np.ndarray, extent: float, target: int) -> int:
    """Grid size whose clustering keeps about ``target`` faces: a closed surface keeps
    about two faces per occupied cell (fewer once faces on the same cells merge),
    counted on an even sample of the triangles."""
    sample = tris[:: max(1, len(tris) // _SAMPLE)].reshape(-1, 3)
    cells = max(int(np.sqrt(target / 2)), 2)
    for _ in range(4):
        cells = min(cells, _MAX_CELLS)
        table = KeyTable(len(sample) // 4)
        table.insert(_cell_numbers(sample, lo, extent, cells).astype(np.int64))
        estimate = int(_FACES_PER_CELL * np.count_nonzero(table.keys >= 0))
        if 0.8 * target <= estimate <= target or (cells == _MAX_CELLS and estimate < target):
            break
        cells = max(int(cells * np.sqrt(0.9 * target / max(estimate, 1))), 2)
    return min(cells, _MAX_CELLS)


def cluster(tris: np.ndarray, lo: np.ndarray, extent: float, cells: int) -> np.ndarray:
    """The triangles that span three cells, corners moved to their cells' mean points,
    each set of three cells once (float32 (m,3,3))."""
    kept_keys: list[np.ndarray] = []
    kept_corners: list[np.ndarray] = []
    for start in range(0, len(tris), _BLOCK):
        block = tris[start:start + _BLOCK]
        key = _cell_numbers(block.reshape(-1, 3), lo, extent, cells).reshape(-1, 3)
        spans = (key[:, 0] != key[:, 1]) & (key[:, 1] != key[:, 2]) & (key[:, 0] != key[:, 2])
        kept_keys.append(np.compress(spans, key, axis=0))
        kept_corners.append(np.compress(spans, block, axis=0))
    keys = np.concatenate(kept_keys).reshape(-1)
    corners = np.concatenate(kept_corners).reshape(-1, 3)
    if len(keys) == 0:
        return np.zeros((0, 3, 3), dtype=np.float32)
    table = KeyTable(len(keys) // 4)
    slot, _ = table.insert(keys.astype(np.int64))
    used = table.keys >= 0
    vertex = (np.cumsum(used, dtype=np.int32) - 1)[slot]  # dense vertex numbers
    count = np.bincount(vertex)
    points = np.stack([np.bincount(vertex, corners[:, axis], len(count)) / count
                       for axis in range(3)], axis=1).astype(np.float32)
    faces = vertex.reshape(-1, 3)
    faces = faces[_first_of_each(faces, len(count))]
    return points[faces]


def _first_of_each(faces: np.ndarray, vertices: int) -> np.ndarray:
    """Indices of one face per set of three vertices (several faces often collapse
    onto the same cells)."""
    if vertices >= 2**21:  # three numbers do not pack into one key: keep them all
        return np.arange(len(faces))
    a, b, c = (faces[:, i].astype(np.int64) for i in range(3))
    low = np.minimum(np.minimum(a, b), c)
    high = np.maximum(np.maximum(a, b), c)
    key = (low << 42) | ((a + b + c - low - high) << 21) | high
    table = KeyTable(len(faces))
    slot, _ = table.insert(key)
    owner = np.empty(table.size, dtype=np.int64)
    owner[slot] = np.arange(len(faces))
    return np.flatnonzero(owner[slot] == np.arange(len(faces)))

"""Filling polygons on a pixel grid with numpy (scanline crossings, one pass per batch).

A pixel is inside when its centre is: crossings of every edge with every row centre are
counted left of each pixel (a cumulative sum along the row). ``nonzero`` fills the
union of polygons that all turn the same way (each is turned counter-clockwise first);
``evenodd`` fills what an odd number of closed loops surround (a board outline and its
cut-outs, in any order or direction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_MAX_CROSSINGS = 60_000_000  # about 1 GB of work arrays: far beyond any real board


@dataclass(frozen=True)
class Grid:
    """Millimetres to pixels: x right, y up in mm; rows down in the image."""

    x0: float
    y1: float
    scale: float     # pixels per mm
    width: int
    height: int
    mirror: bool = False  # seen from below: x runs right to left

    def to_pixels(self, points: np.ndarray) -> np.ndarray:
        px = (points[:, 0] - self.x0) * self.scale
        if self.mirror:
            px = self.width - px
        py = (self.y1 - points[:, 1]) * self.scale
        return np.column_stack([px, py])


def _edges(polygons: Sequence[np.ndarray], grid: Grid, orient: bool, closed: bool
           ) -> tuple[np.ndarray, np.ndarray]:
    """Start and end points (pixels) of every edge of every polygon, all at once."""
    kept = [p for p in polygons if len(p) >= 2]
    if not kept:
        empty = np.zeros((0, 2))
        return empty, empty
    lengths = np.array([len(p) for p in kept])
    points = grid.to_pixels(np.concatenate(kept).astype(np.float64, copy=False))
    first = np.cumsum(lengths) - lengths
    index = np.arange(len(points))
    following = index + 1
    last = first + lengths - 1
    following[last] = first                     # each polygon closes on itself
    if orient:
        x, y = points[:, 0], points[:, 1]
        cross = x * y[following] - x[following] * y
        area = np.add.reduceat(cross, first)
        # a clockwise polygon's edges are walked backwards: swap start and end
        backwards = np.repeat(area < 0, lengths)
        start = np.where(backwards, following, index)
        end = np.where(backwards, index, following)
    else:
        start, end = index, following
    if not closed:
        open_edge = np.ones(len(points), dtype=bool)
        open_edge[last] = False
        start, end = start[open_edge], end[open_edge]
    return points[start], points[end]


def fill(polygons: Sequence[np.ndarray], grid: Grid, rule: str = "nonzero",
         closed: bool = True) -> np.ndarray:
    """(height, width) bool mask of the polygons (each closed implicitly, unless
    ``closed`` is False: then they are open paths that together form closed loops)."""
    h, w = grid.height, grid.width
    a, b = _edges(polygons, grid, orient=rule == "nonzero", closed=closed)
    if len(a) == 0:
        return np.zeros((h, w), dtype=bool)
    x0, y0, x1, y1 = a[:, 0], a[:, 1], b[:, 0], b[:, 1]
    sloped = y0 != y1
    x0, y0, x1, y1 = x0[sloped], y0[sloped], x1[sloped], y1[sloped]
    lo, hi = np.minimum(y0, y1), np.maximum(y0, y1)
    r0 = np.clip(np.ceil(lo - 0.5), 0, h).astype(np.int64)
    r1 = np.clip(np.ceil(hi - 0.5), 0, h).astype(np.int64)
    counts = r1 - r0
    total = int(counts.sum())
    if total == 0:
        return np.zeros((h, w), dtype=bool)
    if total > _MAX_CROSSINGS:
        raise ValueError("too many shapes to draw at this size")
    edge = np.repeat(np.arange(len(counts)), counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    rows = r0[edge] + offsets
    t = (rows + 0.5 - y0[edge]) / (y1[edge] - y0[edge])
    xc = x0[edge] + t * (x1[edge] - x0[edge])
    first = np.clip(np.floor(xc - 0.5) + 1, 0, w).astype(np.int64)
    weights = np.where(y1 > y0, 1.0, -1.0)[edge] if rule == "nonzero" else np.ones(total)
    acc = np.bincount(rows * (w + 1) + first, weights=weights, minlength=h * (w + 1))
    winding = np.cumsum(acc.reshape(h, w + 1)[:, :w], axis=1)
    if rule == "nonzero":
        return np.abs(winding) > 0.5
    return (np.rint(winding).astype(np.int64) & 1).astype(bool)

"""Wall thickness per face by ray casting: from each face's centre, inward along its
negative normal, to the first wall the ray leaves the material through.

Plain numpy, no spatial library. The acceleration is a set of 2D grids, one per ray
direction: every face's inward ray is sent along the nearest of 26 fixed directions (the
cube's faces, edges and corners, at most about 22° from the true normal). Rays that share
a direction are parallel, so looking along it the problem is flat: a ray is a point, the
walls it may leave through (faces turned along the ray) are triangles, and a regular
grid over the rays' points hands each ray the few triangles under it. The hit is then
measured along the face's *true* negative normal to the plane of the wall that was hit,
which is exact for flat and parallel walls (plates, boxes, ribs) and close for curved
ones.

Faces without area get NaN; a face whose ray never leaves the part (an open mesh, an
inside-out body) gets +inf.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from wyntek_desktop.design.progress import State, stepper

_PAIRS_PER_CHUNK = 4_000_000   # ray-triangle pairs tested at once: bounds temporaries
_MAX_CELLS = 1 << 22            # cells of one direction's grid
_PARALLEL = 0.95               # walls within ~18° of parallel: measured plane to plane
_MAX_SPAN = 64                  # cells a triangle may cover per axis before it is clipped

DIRECTIONS = np.array([d for d in product((-1.0, 0.0, 1.0), repeat=3) if any(d)],
                      dtype=np.float64)
DIRECTIONS /= np.linalg.norm(DIRECTIONS, axis=1, keepdims=True)


@dataclass(frozen=True)
class ThicknessMap:
    """Per-face wall thickness in mm (float32): NaN no area, +inf no opposite wall."""

    per_face: np.ndarray
    min_wall_mm: float | None = None

    @property
    def measured(self) -> np.ndarray:
        return self.per_face[np.isfinite(self.per_face)]

    def thinnest_mm(self) -> float | None:
        values = self.measured
        return float(values.min()) if len(values) else None

    def thin_faces(self, limit: float | None = None) -> np.ndarray:
        """Indices of the faces thinner than ``limit`` (the minimum wall by default)."""
        limit = self.min_wall_mm if limit is None else limit
        if limit is None:
            return np.zeros(0, dtype=np.int64)
        with np.errstate(invalid="ignore"):
            return np.flatnonzero(self.per_face < limit)


def face_thickness(triangles: np.ndarray, state: State | None = None) -> np.ndarray:
    """Thickness of the wall under every face (float32 per face, mm)."""
    step = stepper(state)
    tris = np.asarray(triangles, dtype=np.float32).reshape(-1, 3, 3)
    n = len(tris)
    out = np.full(n, np.inf, dtype=np.float32)
    if n == 0:
        return out
    centre = tris.reshape(-1, 3).mean(axis=0)
    tris = tris - centre.astype(np.float32)  # small coordinates keep float32 precise
    normal = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    length = np.linalg.norm(normal, axis=1)
    reach = float(np.abs(tris).max()) or 1.0
    flat = length <= (reach * 1e-7) ** 2
    normal /= np.where(flat, 1.0, length)[:, None]
    out[flat] = np.nan
    origin = tris.mean(axis=1)
    radius = np.sqrt(((tris - origin[:, None]) ** 2).sum(axis=2).max(axis=1))
    ox, oy, oz = (np.ascontiguousarray(origin[:, i]) for i in range(3))
    nx, ny, nz = (np.ascontiguousarray(normal[:, i]) for i in range(3))
    # the direction each face's inward ray takes: the closest of the 26
    facing = np.empty((len(DIRECTIONS), n), dtype=np.float32)  # n . d, row by row
    ray_dir = np.zeros(n, dtype=np.int64)
    for k, d in enumerate(DIRECTIONS):
        row = facing[k]
        np.multiply(nx, np.float32(d[0]), out=row)
        row += ny * np.float32(d[1])
        row += nz * np.float32(d[2])
        if k == 0:
            lowest = row.copy()
        else:
            closer = row < lowest
            ray_dir[closer] = k
            np.minimum(lowest, row, out=lowest)
    ray_dir[flat] = -1
    order = np.argsort(ray_dir, kind="stable")  # faces grouped by their ray's direction
    bounds = np.searchsorted(ray_dir[order], np.arange(len(DIRECTIONS) + 1))
    eps = np.float32(reach * 1e-6)
    for k, d in enumerate(DIRECTIONS):
        step(k / len(DIRECTIONS), "Measuring wall thickness")
        rays = order[bounds[k]:bounds[k + 1]]
        if len(rays) == 0:
            continue
        frame = _frame(d.astype(np.float32))
        ray = np.stack([ox[rays] * f[0] + oy[rays] * f[1] + oz[rays] * f[2] for f in frame],
                       axis=1)
        walls = _walls_in_reach(frame, ray, facing[k], flat, (ox, oy, oz), radius)
        if len(walls) == 0:
            continue
        hit_t, hit_face = _cast(tris, ray, frame, walls, eps)
        got = hit_face >= 0
        rays, hit_t, hit_face = rays[got], hit_t[got], hit_face[got]
        out[rays] = _along_normal(tris, normal, origin, rays, hit_face, hit_t)
    step(1.0, "Measured wall thickness")
    return out


def _walls_in_reach(frame: np.ndarray, ray: np.ndarray, facing: np.ndarray,
                    flat: np.ndarray, centre: tuple[np.ndarray, ...], radius: np.ndarray
                    ) -> np.ndarray:
    """Faces a ray may leave the material by: turned along the rays, ahead of some ray
    and (looking along them) within their own reach of the rays' box."""
    lo, hi = ray[:, :2].min(axis=0), ray[:, :2].max(axis=0)
    cx, cy, cz = centre
    keep = facing > 1e-4
    keep &= ~flat
    for axis in range(2):
        f = frame[axis]
        c = cx * f[0] + cy * f[1] + cz * f[2]
        keep &= c + radius >= lo[axis]
        keep &= c - radius <= hi[axis]
    f = frame[2]
    keep &= cx * f[0] + cy * f[1] + cz * f[2] + radius > ray[:, 2].min()
    return np.flatnonzero(keep)


def _frame(d: np.ndarray) -> np.ndarray:
    """Rows u, v, d: an orthonormal frame whose third axis is ``d``."""
    helper = np.array([1, 0, 0], np.float32) if abs(d[0]) < 0.9 else np.array([0, 1, 0],
                                                                                np.float32)
    u = np.cross(d, helper)
    u /= np.linalg.norm(u)
    v = np.cross(d, u)
    return np.stack([u, v, d]).astype(np.float32)


def _cast(tris: np.ndarray, ray: np.ndarray, frame: np.ndarray, walls: np.ndarray,
          eps: np.float32) -> tuple[np.ndarray, np.ndarray]:
    """Distance along the frame's third axis from each ray (u, v, depth) to the first
    wall it hits, and that wall (-1: none)."""
    k = len(ray)
    best_t = np.full(k, np.inf, dtype=np.float32)
    best_face = np.full(k, -1, dtype=np.int64)
    lo, hi = ray[:, :2].min(axis=0), ray[:, :2].max(axis=0)
    corners = tris[walls].reshape(-1, 9).T  # x y z of corner a, then b, then e
    cu, cv, cw = ([corners[3 * i] * f[0] + corners[3 * i + 1] * f[1] + corners[3 * i + 2] * f[2]
                   for i in range(3)] for f in frame)
    ulo, uhi = np.minimum(np.minimum(cu[0], cu[1]), cu[2]), np.maximum(np.maximum(cu[0], cu[1]),
                                                                       cu[2])
    vlo, vhi = np.minimum(np.minimum(cv[0], cv[1]), cv[2]), np.maximum(np.maximum(cv[0], cv[1]),
                                                                       cv[2])
    # one cell per ray on average, not finer than the typical wall triangle
    extent = np.maximum(hi - lo, float(eps))
    area = float(extent[0] * extent[1])
    size = max(float(np.sqrt(area / k)),
               0.5 * float(np.median(np.maximum(uhi - ulo, vhi - vlo))),
               float(np.sqrt(area / _MAX_CELLS)), float(eps))
    nx, ny = (np.floor(extent / size).astype(np.int64) + 1)
    ray_cell = _cell(ray[:, 0], lo[0], size, nx) + nx * _cell(ray[:, 1], lo[1], size, ny)
    # rays sorted by cell: a cell's rays are one run of ``by_cell``
    by_cell = np.argsort(ray_cell)
    rays_in = np.bincount(ray_cell, minlength=nx * ny)
    first_ray = np.cumsum(rays_in) - rays_in
    planes = _planes(cu, cv, cw)
    i0, i1 = _cell(ulo, lo[0], size, nx), _cell(uhi, lo[0], size, nx)
    j0, j1 = _cell(vlo, lo[1], size, ny), _cell(vhi, lo[1], size, ny)
    i1 = np.minimum(i1, i0 + _MAX_SPAN - 1)
    j1 = np.minimum(j1, j0 + _MAX_SPAN - 1)
    # every cell a wall's box covers, offset by offset (most walls cover a few cells)
    span = int(max((i1 - i0).max(), (j1 - j0).max())) + 1
    entries_wall, entries_cell = [], []
    for di in range(span):
        across = np.flatnonzero(i0 + di <= i1)
        for dj in range(span):
            sel = across[j0[across] + dj <= j1[across]]
            if len(sel) == 0:
                break
            cell = (i0[sel] + di) + nx * (j0[sel] + dj)
            has = rays_in[cell] > 0
            entries_wall.append(sel[has])
            entries_cell.append(cell[has])
    wall = np.concatenate(entries_wall)
    cell = np.concatenate(entries_cell)
    counts = rays_in[cell]
    cum = np.cumsum(counts)
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    start = 0
    while start < len(wall):  # wall-ray pairs in chunks
        stop = int(np.searchsorted(cum, (cum[start - 1] if start else 0) + _PAIRS_PER_CHUNK,
                                   side="right"))
        stop = max(stop, start + 1)
        found.append(_test(wall[start:stop], counts[start:stop],
                           first_ray[cell[start:stop]], by_cell, ray, planes, eps, best_t))
        start = stop
    for pair_ray, pair_wall, t in found:  # the wall that gave each ray its nearest hit
        won = t == best_t[pair_ray]
        best_face[pair_ray[won]] = walls[pair_wall[won]]
    return best_t, best_face


def _cell(x: np.ndarray, lo: float, size: float, cells: np.int64) -> np.ndarray:
    return np.clip(((x - lo) / size).astype(np.int32), 0, int(cells) - 1)


def _planes(cu: list[np.ndarray], cv: list[np.ndarray], cw: list[np.ndarray]
            ) -> np.ndarray:
    """Per wall (m, 9): the three barycentric weights as planes over (u, v), each
    ``a*u + b*v + c``, then the depth the same way; a wall seen edge-on gets weights
    that are never all positive."""
    (au, bu, eu), (av, bv, ev), (aw, bw, ew) = cu, cv, cw
    total = (bu - au) * (ev - av) - (bv - av) * (eu - au)  # twice the projected area
    inv = np.where(total > 0, 1 / np.where(total > 0, total, 1), 0).astype(np.float32)
    out = np.empty((len(au), 9), dtype=np.float32)
    # weight of corner a: the edge b->e, of b: e->a (weight of e is 1 - both)
    out[:, 0] = -(ev - bv) * inv
    out[:, 1] = (eu - bu) * inv
    out[:, 2] = -(out[:, 0] * bu + out[:, 1] * bv)
    out[:, 3] = -(av - ev) * inv
    out[:, 4] = (au - eu) * inv
    out[:, 5] = -(out[:, 3] * eu + out[:, 4] * ev)
    # depth = aw * wa + bw * wb + ew * (1 - wa - wb)
    for i in range(3):
        out[:, 6 + i] = (aw - ew) * out[:, i] + (bw - ew) * out[:, 3 + i]
    out[:, 8] += ew
    out[total <= 0, 2] = -1.0  # never inside
    return out


def _test(wall: np.ndarray, counts: np.ndarray, firsts: np.ndarray, by_cell: np.ndarray,
          ray: np.ndarray, planes: np.ndarray, eps: np.float32, best_t: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Test each wall against the rays of a cell it covers; lower ``best_t`` per ray.
    Returns the pairs that hit (ray, wall, distance)."""
    pair_wall = np.repeat(wall, counts)
    offset = np.arange(len(pair_wall)) - np.repeat(np.cumsum(counts) - counts, counts)
    pair_ray = by_cell[np.repeat(firsts, counts) + offset]
    pu, pv, pw = ray[pair_ray].T
    c = planes[pair_wall].T
    wa = c[0] * pu + c[1] * pv + c[2]
    wb = c[3] * pu + c[4] * pv + c[5]
    slack = np.float32(-1e-6)  # a ray through a shared edge hits one of its faces
    inside = (wa >= slack) & (wb >= slack) & (wa + wb <= 1 - slack)
    t = c[6] * pu + c[7] * pv + c[8] - pw
    hit = np.flatnonzero(inside & (t > eps))
    pair_ray, pair_wall, t = pair_ray[hit], pair_wall[hit], t[hit]
    np.minimum.at(best_t, pair_ray, t)
    return pair_ray, pair_wall, t


def _along_normal(tris: np.ndarray, normal: np.ndarray, origin: np.ndarray,
                  rays: np.ndarray, hit: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The distance from each ray's face, along its true negative normal, to the plane
    of the wall hit, where the two walls are about parallel (plates, ribs, shells);
    elsewhere (a curved far wall) the distance along the cast direction."""
    inward = -normal[rays]
    wall = normal[hit]
    cos = np.einsum("ij,ij->i", inward, wall)
    gap = np.einsum("ij,ij->i", tris[hit, 0] - origin[rays], wall)
    parallel = cos > _PARALLEL
    exact = np.where(parallel, gap / np.where(parallel, cos, 1), np.inf)
    return np.where((exact > 0) & np.isfinite(exact), exact, t).astype(np.float32)


def thickness_map(triangles: np.ndarray, min_wall_mm: float | None = None,
                  state: State | None = None) -> ThicknessMap:
    return ThicknessMap(face_thickness(triangles, state), min_wall_mm)

"""Where the mesh problems are: the geometry the 3D view draws over the part.

The report counts open edges, non-manifold edges, flipped or inside-out faces and faces
without area; this finds them, as line segments and triangles in the same millimetres
as the view's mesh, so each can be coloured and framed. Edges are grouped through the
design package's hash table (no sort), bodies through its union-find.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from wyntek_desktop.design import topology
from wyntek_desktop.design.components import connected_components
from wyntek_desktop.design.keytable import KeyTable

#: what the view draws, by the report's finding code
FINDING_KIND = {"not_watertight": "open", "non_manifold_edges": "non_manifold",
                "inconsistent_winding": "inverted", "inverted_normals": "inverted",
                "degenerate_faces": "degenerate"}
KINDS = ("open", "non_manifold", "inverted", "degenerate")
MAX_DRAWN = 200_000  # segments or faces per kind sent to the view (the count stays exact)


@dataclass(frozen=True)
class ProblemOverlay:
    """Float32 geometry per kind: edges (k, 2, 3), faces (k, 3, 3); exact counts."""

    open_edges: np.ndarray
    non_manifold_edges: np.ndarray
    inverted_faces: np.ndarray
    degenerate_faces: np.ndarray
    counts: dict[str, int] = field(default_factory=dict)
    degenerate_marks: np.ndarray = field(  # crosses at faces without area, (k*6, 3)
        default_factory=lambda: np.zeros((0, 3), dtype=np.float32))
    boxes: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = field(
        default_factory=dict)  # per kind, the box around its problems (for framing)

    def view_geometry(self) -> dict[str, np.ndarray]:
        """What the 3D view draws: line vertices per edge kind, the inverted faces."""
        return {"open": self.open_edges.reshape(-1, 3),
                "non_manifold": self.non_manifold_edges.reshape(-1, 3),
                "degenerate": self.degenerate_marks, "inverted": self.inverted_faces}

    def geometry(self, kind: str) -> np.ndarray:
        return {"open": self.open_edges, "non_manifold": self.non_manifold_edges,
                "inverted": self.inverted_faces, "degenerate": self.degenerate_faces}[kind]

    def bounds(self, kind: str) -> tuple[np.ndarray, np.ndarray] | None:
        """The box around every problem of one kind (what 'frame it' zooms to)."""
        pts = self.geometry(kind).reshape(-1, 3)
        if len(pts) == 0:
            return None
        return pts.min(axis=0).astype(np.float64), pts.max(axis=0).astype(np.float64)

    @property
    def empty(self) -> bool:
        return not any(self.counts.values())


def find_problems(triangles: np.ndarray) -> ProblemOverlay:
    tris = np.ascontiguousarray(triangles, dtype=np.float32).reshape(-1, 3, 3)
    n = len(tris)
    ids, n_vertices = topology.weld_ids(tris)
    repeated = ((ids[:, 0] == ids[:, 1]) | (ids[:, 1] == ids[:, 2])
                | (ids[:, 0] == ids[:, 2]))
    centre = tris[0, 0].astype(np.float64) if n else np.zeros(3)
    rel = tris.astype(np.float64) - centre
    cross = np.cross(rel[:, 1] - rel[:, 0], rel[:, 2] - rel[:, 0])
    twice_area = np.linalg.norm(cross, axis=1)
    reach = float(np.abs(tris).max()) if n else 1.0
    degenerate = repeated | (twice_area <= 2 * (reach * 1e-7) ** 2)
    good = np.flatnonzero(~repeated)
    # half-edges of the faces with three distinct vertices
    faces = ids[good]
    a = faces.reshape(-1)
    b = faces[:, [1, 2, 0]].reshape(-1)
    key = np.minimum(a, b).astype(np.int64) * max(n_vertices, 1) + np.maximum(a, b)
    forward = a < b
    half_face = np.repeat(good, 3)
    half_corner = np.tile(np.arange(3), len(good))
    table = KeyTable(max(len(key) // 2, 1))
    slot, _ = table.insert(key) if len(key) else (np.zeros(0, np.int64), None)
    size = table.size
    uses = np.bincount(slot, minlength=size)
    forwards = np.bincount(slot, weights=forward, minlength=size)
    last = np.full(size, -1, dtype=np.int64)
    last[slot] = np.arange(len(slot))
    first = np.full(size, -1, dtype=np.int64)
    first[slot[::-1]] = np.arange(len(slot))[::-1]

    def segments(slots: np.ndarray) -> np.ndarray:
        half = last[slots][:MAX_DRAWN]
        f, c = half_face[half], half_corner[half]
        return np.stack([tris[f, c], tris[f, (c + 1) % 3]], axis=1)

    open_slots = np.flatnonzero(uses == 1)
    many_slots = np.flatnonzero(uses >= 3)
    flipped_slots = np.flatnonzero((uses == 2) & (forwards != 1))
    inverted = _flipped_faces(n, flipped_slots, first, last, half_face)
    inverted |= _inside_out_faces(n, rel, cross, good, uses, first, last, half_face,
                                  open_slots, many_slots)
    inverted &= ~degenerate
    inverted_idx = np.flatnonzero(inverted)
    degenerate_idx = np.flatnonzero(degenerate)
    overlay = ProblemOverlay(
        open_edges=segments(open_slots), non_manifold_edges=segments(many_slots),
        inverted_faces=np.ascontiguousarray(tris[inverted_idx[:MAX_DRAWN]]),
        degenerate_faces=np.ascontiguousarray(tris[degenerate_idx[:MAX_DRAWN]]),
        counts={"open": len(open_slots), "non_manifold": len(many_slots),
                "inverted": len(inverted_idx), "degenerate": len(degenerate_idx)},
        degenerate_marks=degenerate_marks(tris[degenerate_idx[:MAX_DRAWN]],
                                          _diagonal(tris) * 0.015))
    for kind in KINDS:
        box = overlay.bounds(kind)
        if box is not None:
            overlay.boxes[kind] = (tuple(float(v) for v in box[0]),
                                   tuple(float(v) for v in box[1]))
    return overlay


def _diagonal(tris: np.ndarray) -> float:
    if len(tris) == 0:
        return 1.0
    flat = tris.reshape(-1, 3)
    return float(np.linalg.norm(flat.max(axis=0) - flat.min(axis=0))) or 1.0


def degenerate_marks(faces: np.ndarray, size: float) -> np.ndarray:
    """Three short axis lines (a cross) at the centre of every face without area:
    such a face has nothing to fill, so it is marked instead. (k*6, 3) float32."""
    if len(faces) == 0:
        return np.zeros((0, 3), dtype=np.float32)
    centre = faces.reshape(-1, 3, 3).mean(axis=1)
    offsets = np.eye(3, dtype=np.float32) * np.float32(size / 2)
    ends = np.stack([centre[:, None, :] - offsets, centre[:, None, :] + offsets], axis=2)
    return np.ascontiguousarray(ends.reshape(-1, 3), dtype=np.float32)


def _flipped_faces(n: int, flipped: np.ndarray, first: np.ndarray, last: np.ndarray,
                   half_face: np.ndarray) -> np.ndarray:
    """Faces whose winding disagrees with their neighbours: those on two or more edges
    walked the same way by both faces (a lone flipped face has all three); where no
    face has two, both faces of each such edge."""
    score = np.zeros(n, dtype=np.int32)
    if len(flipped):
        np.add.at(score, half_face[first[flipped]], 1)
        np.add.at(score, half_face[last[flipped]], 1)
    return score >= (2 if (score >= 2).any() else 1)


def _inside_out_faces(n: int, rel: np.ndarray, cross: np.ndarray, good: np.ndarray,
                      uses: np.ndarray, first: np.ndarray, last: np.ndarray,
                      half_face: np.ndarray, open_slots: np.ndarray,
                      many_slots: np.ndarray) -> np.ndarray:
    """Faces of closed bodies that are inside out: negative volume and not a cavity
    (a shell inside the box of a bigger, rightly turned closed body)."""
    out = np.zeros(n, dtype=bool)
    linked = np.flatnonzero(uses >= 2)
    count, label = connected_components(n, half_face[first[linked]], half_face[last[linked]])
    volume = np.bincount(label, weights=np.einsum("ij,ij->i", rel[:, 0], cross) / 6.0,
                         minlength=count)
    broken = np.zeros(count, dtype=bool)
    for slots in (open_slots, many_slots):
        broken[label[half_face[last[slots]]]] = True
    solid = np.zeros(count, dtype=bool)
    solid[label[good]] = True
    lo = np.full((count, 3), np.inf)
    hi = np.full((count, 3), -np.inf)
    corners = rel.min(axis=1), rel.max(axis=1)
    for axis in range(3):
        np.minimum.at(lo[:, axis], label, corners[0][:, axis])
        np.maximum.at(hi[:, axis], label, corners[1][:, axis])
    closed = solid & ~broken
    outer = np.flatnonzero(closed & (volume > 0))
    inside_out = np.zeros(count, dtype=bool)
    for body in np.flatnonzero(closed & (volume < 0)):
        inside_out[body] = not any(np.all(lo[body] >= lo[j]) and np.all(hi[body] <= hi[j])
                                   and volume[j] > -volume[body] for j in outer)
    return inside_out[label] if inside_out.any() else out

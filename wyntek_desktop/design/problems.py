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


_BLOCK = 1 << 18  # faces per block: bounds the float64 and key temporaries


def find_problems(triangles: np.ndarray) -> ProblemOverlay:
    """Every problem's geometry. Memory stays near a few bytes per corner (int32 and
    block-sized float64 temporaries), so a 20 M-triangle part is fine."""
    tris = np.ascontiguousarray(triangles, dtype=np.float32).reshape(-1, 3, 3)
    n = len(tris)
    ids, n_vertices = topology.weld_ids(tris)
    repeated = ((ids[:, 0] == ids[:, 1]) | (ids[:, 1] == ids[:, 2])
                | (ids[:, 0] == ids[:, 2]))
    twice_area, face_volume = _area_volume(tris)
    reach = float(np.abs(tris).max()) if n else 1.0
    degenerate = repeated | (twice_area <= 2 * (reach * 1e-7) ** 2)
    del twice_area
    good = np.flatnonzero(~repeated).astype(np.int32)
    slot, forward, size = _edge_slots(ids[good], n_vertices)
    # per edge: faces using it, how many walk it low-to-high, two of its half-edges
    uses = np.bincount(slot, minlength=size).astype(np.int32)
    forwards = np.bincount(slot[forward], minlength=size).astype(np.int32)
    del forward
    last = np.full(size, -1, dtype=np.int32)
    last[slot] = np.arange(len(slot), dtype=np.int32)
    first = np.full(size, -1, dtype=np.int32)
    first[slot[::-1]] = np.arange(len(slot) - 1, -1, -1, dtype=np.int32)
    del slot

    def face_of(half: np.ndarray) -> np.ndarray:
        return good[half // 3]

    def segments(slots: np.ndarray) -> np.ndarray:
        half = last[slots][:MAX_DRAWN]
        f, c = face_of(half), half % 3
        return np.stack([tris[f, c], tris[f, (c + 1) % 3]], axis=1)

    open_slots = np.flatnonzero(uses == 1)
    many_slots = np.flatnonzero(uses >= 3)
    flipped_slots = np.flatnonzero((uses == 2) & (forwards != 1))
    del forwards
    inverted = _flipped_faces(n, face_of(first[flipped_slots]), face_of(last[flipped_slots]))
    linked = np.flatnonzero(uses >= 2)
    del uses
    inverted |= _inside_out_faces(tris, face_volume, good, face_of(first[linked]),
                                  face_of(last[linked]),
                                  [face_of(last[open_slots]), face_of(last[many_slots])])
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


def _area_volume(tris: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Twice each face's area (float32) and its signed volume against the first corner
    of the mesh (float64, relative coordinates keep the sum precise), block by block."""
    n = len(tris)
    twice = np.empty(n, dtype=np.float32)
    volume = np.empty(n, dtype=np.float64)
    centre = tris[0, 0].astype(np.float64) if n else np.zeros(3)
    for start in range(0, n, _BLOCK):
        rel = tris[start:start + _BLOCK].astype(np.float64) - centre
        cross = np.cross(rel[:, 1] - rel[:, 0], rel[:, 2] - rel[:, 0])
        twice[start:start + len(rel)] = np.linalg.norm(cross, axis=1)
        volume[start:start + len(rel)] = np.einsum("ij,ij->i", rel[:, 0], cross) / 6.0
    return twice, volume


def _edge_slots(faces: np.ndarray, n_vertices: int) -> tuple[np.ndarray, np.ndarray, int]:
    """For every half-edge (face-major, edge to the next corner): the table slot of its
    edge (int32), whether it walks the edge low-to-high, and the number of slots."""
    m = len(faces)
    slot = np.empty(3 * m, dtype=np.int32)
    forward = np.empty(3 * m, dtype=bool)
    table = KeyTable(max(3 * m // 2, 1))
    for start in range(0, m, _BLOCK):
        block = faces[start:start + _BLOCK]
        a = block.reshape(-1)
        b = block[:, [1, 2, 0]].reshape(-1)
        key = np.minimum(a, b).astype(np.int64) * max(n_vertices, 1) + np.maximum(a, b)
        slots, remap = table.insert(key)
        if remap is not None:
            slot[:3 * start] = remap[slot[:3 * start]]
        slot[3 * start:3 * start + len(key)] = slots
        forward[3 * start:3 * start + len(key)] = a < b
    return slot, forward, table.size


def _flipped_faces(n: int, one: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Faces whose winding disagrees with their neighbours, from the two faces of each
    edge both walk the same way: those on two such edges or more (a lone flipped face
    has all three); where no face has two, both faces of every such edge."""
    score = np.bincount(np.concatenate([one, other]), minlength=n)
    return score >= (2 if (score >= 2).any() else 1)


def _inside_out_faces(tris: np.ndarray, face_volume: np.ndarray, good: np.ndarray,
                      left: np.ndarray, right: np.ndarray,
                      broken_faces: list[np.ndarray]) -> np.ndarray:
    """Faces of closed bodies that are inside out: negative volume and not a cavity
    (a shell inside the box of a bigger, rightly turned closed body)."""
    n = len(tris)
    count, label = connected_components(n, left, right)
    volume = np.bincount(label, weights=face_volume, minlength=count)
    closed = np.zeros(count, dtype=bool)
    closed[label[good]] = True
    for faces in broken_faces:
        closed[label[faces]] = False
    suspects = np.flatnonzero(closed & (volume < 0))
    if len(suspects) == 0:
        return np.zeros(n, dtype=bool)
    lo = np.full((count, 3), np.inf, dtype=np.float32)
    hi = np.full((count, 3), -np.inf, dtype=np.float32)
    for axis in range(3):
        np.minimum.at(lo[:, axis], label, tris[:, :, axis].min(axis=1))
        np.maximum.at(hi[:, axis], label, tris[:, :, axis].max(axis=1))
    outer = np.flatnonzero(closed & (volume > 0))
    inside_out = np.zeros(count, dtype=bool)
    for body in suspects:
        inside_out[body] = not any(np.all(lo[body] >= lo[j]) and np.all(hi[body] <= hi[j])
                                   and volume[j] > -volume[body] for j in outer)
    return inside_out[label]


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

"""Mesh topology in plain numpy: vertex welding, edge statistics, connected bodies.

Linear in the number of triangles: equal keys (grid cells of corners, vertex pairs of
edges, vertex triples of faces) are grouped through a hash table (``keytable``) rather
than by sorting, and bodies come from a union-find over faces (``components``). Work
goes block by block, so temporaries stay a few MB and the peak is a few arrays of
4-8 bytes per corner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from wyntek_desktop.design.components import connected_components
from wyntek_desktop.design.keytable import Hashed, KeyTable, one_ahead

# Corners closer than max|coordinate| / 2**19 (about 2 parts per million of the part's
# reach) are one vertex. CAD exporters write shared corners with tiny rounding
# differences (e.g. -2.7e-16 next to 0.0), so bit-exact welding would leave holes.
_GRID_BITS = 19
_FIELD = 21
_BLOCK = 65_536  # corners or faces per block: temporaries stay in the CPU's cache
_EDGE_BLOCK = 3 * 21_845  # half-edges per block: whole faces
_EDGE_LOAD = 0.6  # the edge table holds two int32 per slot besides the key
_OPPOSITE = np.array([2, -1, -1], dtype=np.int32)  # corner c -> the corner facing edge c
_OPPOSITE_COLUMN = np.array([2, 0, 1])
# An edge slot's int32: the first half-edge in the low 28 bits, the faces using the
# edge (1, 2, 3 = three or more) in the next two, whether the first half-edge walks
# it low-to-high in bit 30; -1 while unused.
_USE_SHIFT = 28
_HALF = (1 << _USE_SHIFT) - 1
_ONE_USE = 1 << _USE_SHIFT
_MANY_USES = 3 << _USE_SHIFT
_FORWARD = 1 << 30


def _grid_keys(corners: np.ndarray, inverse_step: np.float32) -> np.ndarray:
    """One int64 per corner: its three rounded grid coordinates, packed exactly."""
    cells = corners * inverse_step  # (m, 3) at once: fewer passes than column by column
    np.rint(cells, out=cells)
    fields = cells.astype(np.int64)
    fields += 1 << _GRID_BITS  # three 21-bit fields, no collisions
    keys = fields[:, 0] << 2 * _FIELD
    keys += fields[:, 1] << _FIELD
    keys += fields[:, 2]
    return keys


def weld_ids(triangles: np.ndarray, reach: float | None = None) -> tuple[np.ndarray, int]:
    """Vertex number of every corner, (n, 3) int32, and the count of numbers used up.

    Coincident corners get equal numbers; numbers are sparse (below about twice the
    count of distinct vertices), which edge keys and ``compact`` handle fine.
    ``reach`` is max |coordinate| when the caller knows it already.
    """
    corners = np.ascontiguousarray(triangles, dtype=np.float32).reshape(-1, 3)
    ids = np.empty(len(corners), dtype=np.int32)
    if len(corners) == 0:
        return ids.reshape(-1, 3), 0
    if reach is None:  # min and max: no |x| temporary of the whole array
        reach = max(max(-float(corners[:, i].min()), float(corners[:, i].max()))
                    for i in range(3))
    reach = reach or 1.0
    inverse_step = np.float32(2**_GRID_BITS / reach)
    # a closed mesh has ~6 corners per vertex; a soup of loose triangles grows the table
    table = KeyTable(len(corners) // 5)
    starts = range(0, len(corners), _BLOCK)

    def hashed(start: int) -> Hashed:
        return table.hashed(_grid_keys(corners[start:start + _BLOCK], inverse_step))

    for start, block_keys in zip(starts, one_ahead(hashed, starts), strict=True):
        slots, remap = table.insert(block_keys)
        if remap is not None:
            ids[:start] = remap[ids[:start]]
        ids[start:start + _BLOCK] = slots
    return ids.reshape(-1, 3), table.size


def weld(triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge coincident corners of a triangle soup: (vertices (V,3) float32, faces (n,3) int32)."""
    corners = np.ascontiguousarray(triangles, dtype=np.float32).reshape(-1, 3)
    ids, slots = weld_ids(corners)
    if len(corners) == 0:
        return np.zeros((0, 3), np.float32), ids
    positions = np.empty((slots, 3), dtype=np.float32)
    positions[ids.reshape(-1)] = corners  # any corner of a cell stands for its vertex
    return compact(positions, ids)


def drop_degenerate_indices(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Faces whose three corners are distinct vertices, and the mask that kept them."""
    ok = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    return (faces if ok.all() else np.compress(ok, faces, axis=0)), ok


def compact(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Remove vertices no face uses."""
    used = np.zeros(len(vertices), dtype=bool)
    used[faces.reshape(-1)] = True
    if used.all():
        return vertices, faces.astype(np.int32, copy=False)
    remap = np.cumsum(used, dtype=np.int32) - 1
    return np.compress(used, vertices, axis=0), remap[faces]


@dataclass(frozen=True)
class Topology:
    bodies: int
    face_body: np.ndarray          # body label of every face
    boundary_edges: np.ndarray     # per body: edges used by one face (holes)
    non_manifold_edges: np.ndarray  # per body: edges used by three faces or more
    flipped_edges: np.ndarray      # per body: two faces walk the edge the same way
    duplicate_faces: int = 0       # faces on exactly the same three vertices as another


def _edge_keys(faces: np.ndarray, n_vertices: int) -> tuple[np.ndarray, np.ndarray]:
    """Per corner, face-major: (edge to the next corner as low * V + high, walked
    low-to-high), int64 and bool, (m*3,) each."""
    key = np.empty((len(faces), 3), dtype=np.int64)
    forward = np.empty((len(faces), 3), dtype=bool)
    for c in range(3):
        a = faces[:, c]
        b = faces[:, (c + 1) % 3]
        column = key[:, c]
        np.minimum(a, b, out=column, casting="unsafe")
        column *= n_vertices
        column += np.maximum(a, b)
        np.less(a, b, out=forward[:, c])
    return key.reshape(-1), forward.reshape(-1)


def _edge_block_hasher(table: KeyTable, faces: np.ndarray, step: int, n_vertices: int
                       ) -> Callable[[int], tuple[Hashed, np.ndarray]]:
    """The edge keys of the ``step`` faces from a start, hashed for ``table``."""
    def hashed(start: int) -> tuple[Hashed, np.ndarray]:
        key, walked = _edge_keys(faces[start:start + step], n_vertices)
        return table.hashed(key), walked
    return hashed


@dataclass(frozen=True)
class Edges:
    """What the edges say, before bodies are known: the faces to count per kind of
    edge, and the pairs of faces that share an edge."""
    faces: int
    boundary: np.ndarray       # a face per edge used once
    non_manifold: np.ndarray   # a face per edge used three times or more
    flipped: np.ndarray        # a face per edge whose two faces walk it the same way
    left: np.ndarray           # face pairs sharing an edge
    right: np.ndarray
    duplicate_faces: int


def topology(faces: np.ndarray, n_vertices: int) -> Topology:
    """Edge statistics, duplicate faces and bodies (faces connected through shared edges)."""
    return bodies(edges(faces, n_vertices))


def edges(faces: np.ndarray, n_vertices: int) -> Edges:
    """One pass over the half-edges (corner ``i`` = face ``i // 3``, edge to the next
    corner), block by block. Each edge's table slot keeps one int32: its first
    half-edge and, in the top bits, how many use it (1, 2, 3 = three or more); every
    later half-edge links its face to the first one's. Every random access to a slot
    happens right after the insert brought it into the cache; boundary and
    non-manifold edges are then read off the table in one sequential pass.
    """
    n = len(faces)
    faces = np.ascontiguousarray(faces, dtype=np.int32)
    none = np.zeros(0, dtype=np.int32)
    if n == 0:
        return Edges(0, none, none, none, none, none, 0)
    if 3 * n >= _ONE_USE:
        raise MemoryError("too many faces for one edge table")
    flat = faces.reshape(-1)
    # a closed mesh has 1.5 edges per face; a fuller table keeps the peak of memory down
    table = KeyTable(3 * n // 2, payloads=1, max_load=_EDGE_LOAD)
    left: list[np.ndarray] = [none]
    right: list[np.ndarray] = [none]
    maybe_flipped: list[np.ndarray] = [none]  # slots: two faces walk their edge alike
    flipped_face: list[np.ndarray] = [none]
    suspects = False  # could two faces share all three vertices?
    step = _EDGE_BLOCK // 3
    starts = range(0, n, step)

    hashed = _edge_block_hasher(table, faces, step, n_vertices)
    for start, (key, walked) in zip(starts, one_ahead(hashed, starts), strict=True):
        block = faces[start:start + step]
        first_half = 3 * start
        slots, remap = table.insert(key)
        if remap is not None:  # the table grew: slot numbers kept so far move
            maybe_flipped = [remap[s].astype(np.int32) for s in maybe_flipped]
        (state,) = table.payload
        half = np.arange(first_half, first_half + len(walked), dtype=np.int32)
        held = state[slots]
        new = np.flatnonzero(held < 0)
        if len(new):  # of several new half-edges of one edge, one write wins
            at = slots[new]
            state[at] = half[new] + _ONE_USE + walked[new] * np.int32(_FORWARD)
            held[new] = state[at]
        owner = held & _HALF
        others = np.flatnonzero(owner != half)
        if not len(others):
            continue
        at = slots[others]
        mine = half[others]
        held = held[others]
        theirs = owner[others]
        left.append(mine // 3)
        right.append(theirs // 3)
        # two of these on one slot (only a third face does that): one write wins
        state[at] = ~mine
        crowded = np.flatnonzero(state[at] != ~mine)
        uses = (held >> _USE_SHIFT) & 3  # faces on the edge before this one
        second = uses == 1
        state[at] = np.where(second, held + _ONE_USE, theirs + _MANY_USES)
        if len(crowded):
            state[at[crowded]] = theirs[crowded] + _MANY_USES
        if len(crowded) or not second.all():
            suspects = True
        pair = np.flatnonzero(second)
        alike = np.compress(walked[mine[pair] - first_half]
                            == ((held[pair] & _FORWARD) != 0), pair)
        if len(alike):
            maybe_flipped.append(at[alike].astype(np.int32))
            flipped_face.append(mine[alike] // 3)
        if not suspects:
            # faces on the same three vertices share an edge and its opposite corner
            opposite = block[:, _OPPOSITE_COLUMN].reshape(-1)
            suspects = bool((opposite[others]
                             == flat[theirs + _OPPOSITE[theirs % 3]]).any())
    (state,) = table.payload
    del table, hashed  # the keys (the hashing closure holds the table too)
    boundary = [none]
    non_manifold = [none]
    for start in range(0, len(state), _BLOCK):
        held = state[start:start + _BLOCK]
        uses = held >> _USE_SHIFT
        uses &= 3  # the direction bit off; an unused slot (-1) reads 3 here
        boundary.append(np.compress(uses == 1, held))
        non_manifold.append(np.compress((uses == 3) & (held >= 0), held))
    candidates = np.concatenate(maybe_flipped)
    flipped = np.compress(((state[candidates] >> _USE_SHIFT) & 3) == 2,
                          np.concatenate(flipped_face))
    del state
    return Edges(n, _faces_of(boundary), _faces_of(non_manifold), flipped,
                 np.concatenate(left), np.concatenate(right),
                 duplicate_faces(faces, n_vertices) if suspects else 0)


def _faces_of(held: list[np.ndarray]) -> np.ndarray:
    out = np.concatenate(held)
    out &= _HALF
    out //= 3
    return out


def bodies(found: Edges) -> Topology:
    """Bodies from the face pairs, and the edge counts per body."""
    count, face_body = connected_components(found.faces, found.left, found.right)

    def per_body(faces: np.ndarray) -> np.ndarray:
        return np.bincount(face_body[faces], minlength=count)

    return Topology(bodies=count, face_body=face_body,
                    boundary_edges=per_body(found.boundary),
                    non_manifold_edges=per_body(found.non_manifold),
                    flipped_edges=per_body(found.flipped),
                    duplicate_faces=found.duplicate_faces)


def duplicate_faces(faces: np.ndarray, n_vertices: int) -> int:
    """Faces that use exactly the same three vertices as another face."""
    if len(faces) < 2:
        return 0
    a, b, c = faces[:, 0], faces[:, 1], faces[:, 2]
    low = np.minimum(np.minimum(a, b), c).astype(np.int64)
    high = np.maximum(np.maximum(a, b), c).astype(np.int64)
    middle = a.astype(np.int64) + b + c - low - high  # sorting 3 columns without np.sort
    if n_vertices >= 2**21:  # three numbers do not pack into one key: sort exactly
        exact = np.stack([low, middle, high], axis=1)
        return int(len(faces) - len(np.unique(exact, axis=0)))
    key = (low << 42) | (middle << 21) | high
    table = KeyTable(len(faces))
    table.insert(key)
    return int(len(faces) - np.count_nonzero(table.keys >= 0))

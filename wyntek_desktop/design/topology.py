"""Mesh topology in plain numpy: vertex welding, edge statistics, connected bodies.

Everything works on sorted 64-bit keys instead of Python objects so a few million
triangles take well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Corners closer than max|coordinate| / 2**19 (about 2 parts per million of the part's
# reach) are one vertex. CAD exporters write shared corners with tiny rounding
# differences (e.g. -2.7e-16 next to 0.0), so bit-exact welding would leave holes.
_GRID_BITS = 19
_FIELD = 21


def weld(triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge coincident corners of a triangle soup: (vertices (V,3) float64, faces (n,3) int32)."""
    corners = np.ascontiguousarray(triangles, dtype=np.float32).reshape(-1, 3)
    if len(corners) == 0:
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int32)
    reach = float(np.abs(corners).max()) or 1.0
    step = reach / 2**_GRID_BITS
    keys = np.zeros(len(corners), dtype=np.int64)
    for axis in range(3):  # exact packing: three 21-bit fields, no hash collisions
        cell = np.rint(corners[:, axis] / np.float32(step)).astype(np.int64)
        cell += 1 << _GRID_BITS
        keys <<= _FIELD
        keys |= cell
        del cell
    order = _sort_order(keys)
    sorted_keys = keys[order]
    del keys
    new_group = np.empty(len(order), dtype=bool)
    new_group[:1] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new_group[1:])
    del sorted_keys
    group = np.cumsum(new_group, dtype=np.int32)
    group -= 1
    inverse = np.empty(len(order), dtype=np.int32)
    inverse[order] = group
    del group
    vertices = corners[order[new_group]].astype(np.float64)
    return vertices, inverse.reshape(-1, 3)


def _sort_order(keys: np.ndarray) -> np.ndarray:
    """``argsort(keys)`` up to the order of equal keys, via a plain sort where possible.

    A 64-bit hash of the key sits above the element's index, so one ``np.sort`` (SIMD,
    several times faster than ``argsort``) groups equal keys; the rare runs where two
    different keys share a hash are then sorted exactly.
    """
    index_bits = max(int(len(keys) - 1).bit_length(), 1)
    hash_bits = 63 - index_bits
    if hash_bits < 30:
        return np.argsort(keys)
    hashed = (keys.view(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - hash_bits)
    packed = (hashed << np.uint64(index_bits)).view(np.int64)
    del hashed
    packed |= np.arange(len(keys), dtype=np.int64)
    packed.sort()
    order = packed & ((1 << index_bits) - 1)
    packed >>= index_bits
    same_hash = packed[1:] == packed[:-1]
    ordered = keys[order]
    clash = np.flatnonzero(same_hash & (ordered[1:] != ordered[:-1]))
    if len(clash):  # different keys share a hash (rare): sort those runs exactly
        starts = np.flatnonzero(np.concatenate(([True], ~same_hash)))
        ends = np.append(starts[1:], len(order))
        for run in np.unique(np.searchsorted(starts, clash, side="right") - 1):
            s, e = starts[run], ends[run]
            order[s:e] = order[s:e][np.argsort(keys[order[s:e]], kind="stable")]
    return order


def drop_degenerate_indices(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Faces whose three corners are distinct vertices, and the mask that kept them."""
    ok = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    return faces[ok], ok


def compact(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Remove vertices no face uses."""
    used = np.zeros(len(vertices), dtype=bool)
    used[faces.reshape(-1)] = True
    if used.all():
        return vertices, faces.astype(np.int32, copy=False)
    remap = np.cumsum(used, dtype=np.int64) - 1
    return vertices[used], remap[faces].astype(np.int32)


@dataclass(frozen=True)
class Topology:
    bodies: int
    face_body: np.ndarray          # body label of every face
    boundary_edges: np.ndarray     # per body: edges used by one face (holes)
    non_manifold_edges: np.ndarray  # per body: edges used by three faces or more
    flipped_edges: np.ndarray      # per body: two faces walk the edge the same way


def topology(faces: np.ndarray, n_vertices: int) -> Topology:
    """Edge statistics and bodies (faces connected through shared edges), one sort."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(faces)
    a = faces.reshape(-1).astype(np.int64)
    b = faces[:, [1, 2, 0]].reshape(-1).astype(np.int64)
    key = (np.minimum(a, b) * n_vertices + np.maximum(a, b)) * 2 + (a < b)
    del a, b
    face_bits = max(int(n - 1).bit_length(), 1)
    if int(key.max()).bit_length() + face_bits <= 62:
        # pack the face number below the key: a plain sort is ~6x faster than argsort
        key <<= face_bits
        key |= np.repeat(np.arange(n, dtype=np.int64), 3)
        key.sort()
        face_of = (key & ((1 << face_bits) - 1)).astype(np.int32)
        key >>= face_bits
    else:
        order = np.argsort(key)
        key = key[order]
        face_of = (order // 3).astype(np.int32)
        del order
    edge = key >> 1
    same_as_next = edge[1:] == edge[:-1]
    # faces sharing an edge belong to the same body
    left = face_of[:-1][same_as_next]
    right = face_of[1:][same_as_next]
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    count, face_body = connected_components(graph.tocsr(), directed=False)
    del left, right, graph
    starts = np.flatnonzero(np.concatenate(([True], ~same_as_next)))
    counts = np.diff(np.append(starts, len(edge)))
    body_at = face_body[face_of[starts]]
    pair = counts == 2
    flipped = pair & (key[starts] == key[np.minimum(starts + 1, len(key) - 1)])

    def per_body(mask: np.ndarray) -> np.ndarray:
        return np.bincount(body_at[mask], minlength=count)

    return Topology(bodies=int(count), face_body=face_body.astype(np.int32),
                    boundary_edges=per_body(counts == 1),
                    non_manifold_edges=per_body(counts > 2),
                    flipped_edges=per_body(flipped))


def duplicate_faces(faces: np.ndarray) -> int:
    """Faces that use exactly the same three vertices as another face."""
    if len(faces) < 2:
        return 0
    s = np.sort(faces, axis=1).astype(np.uint64)
    mix = (s[:, 0] * np.uint64(0x9E3779B97F4A7C15)) ^ (s[:, 1] << np.uint64(21))
    keys = mix ^ (s[:, 2] * np.uint64(0xC2B2AE3D27D4EB4F))
    keys.sort()
    if not (keys[1:] == keys[:-1]).any():
        return 0
    return int(len(faces) - len(np.unique(s, axis=0)))  # exact, only when a hit is likely

"""Mesh topology in plain numpy: vertex welding, edge statistics, connected bodies.

Everything works on sorted 64-bit keys instead of Python objects, so a few million
triangles take about a second. Temporaries are kept to a few arrays of 4-8 bytes per
corner (peak memory is a product requirement: at most 3x the STL's size).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

# Corners closer than max|coordinate| / 2**19 (about 2 parts per million of the part's
# reach) are one vertex. CAD exporters write shared corners with tiny rounding
# differences (e.g. -2.7e-16 next to 0.0), so bit-exact welding would leave holes.
_GRID_BITS = 19
_FIELD = 21
_LITTLE = sys.byteorder == "little"


def weld(triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge coincident corners of a triangle soup: (vertices (V,3) float32, faces (n,3) int32)."""
    corners = np.ascontiguousarray(triangles, dtype=np.float32).reshape(-1, 3)
    if len(corners) == 0:
        return np.zeros((0, 3), np.float32), np.zeros((0, 3), dtype=np.int32)
    reach = max(float(np.abs(corners[:, i]).max()) for i in range(3)) or 1.0
    inverse_step = np.float32(2**_GRID_BITS / reach)
    keys = np.zeros(len(corners), dtype=np.int64)
    for axis in range(3):  # exact packing: three 21-bit fields, no collisions
        cell = corners[:, axis] * inverse_step
        np.rint(cell, out=cell)
        keys <<= _FIELD
        keys += cell.astype(np.int64)
        keys += 1 << _GRID_BITS
        del cell
    order, sorted_keys = sort_order(keys)
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
    vertices = corners[order[new_group]]
    return vertices, inverse.reshape(-1, 3)


def _low_bits(packed: np.ndarray, bits: int) -> np.ndarray:
    """``packed & (2**bits - 1)`` as int32 (bits < 32) without an int64 temporary."""
    low = packed.view(np.int32)[0::2] if _LITTLE else packed.view(np.int32)[1::2]
    return low & np.int32((1 << bits) - 1)


def sort_order(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order, keys[order]) with equal keys adjacent, via a plain sort where possible.

    A hash of the key sits above the element's index, so one ``np.sort`` (SIMD, several
    times faster than ``argsort``) groups equal keys; the rare runs where two different
    keys share a hash are then sorted exactly.
    """
    index_bits = max(int(len(keys) - 1).bit_length(), 1)
    hash_bits = 63 - index_bits
    if hash_bits < 30 or index_bits > 31:
        order = np.argsort(keys)
        return order, keys[order]
    packed = _mix(keys)
    packed >>= np.uint64(64 - hash_bits)
    packed <<= np.uint64(index_bits)
    signed = packed.view(np.int64)
    step = 1 << 20
    for start in range(0, len(signed), step):  # no full-length arange temporary
        signed[start:start + step] |= np.arange(start, min(start + step, len(signed)))
    signed.sort()
    order = _low_bits(signed, index_bits)
    signed >>= index_bits
    same_hash = signed[1:] == signed[:-1]
    del signed, packed
    ordered = keys[order]
    clash = np.flatnonzero(same_hash & (ordered[1:] != ordered[:-1]))
    if len(clash) > 1000:  # a pathological input for the hash: sort exactly
        order = np.argsort(keys).astype(np.int32)
        return order, keys[order]
    if len(clash):  # different keys share a hash (rare): sort those runs exactly
        boundaries = np.flatnonzero(~same_hash) + 1  # where a run of equal hashes starts
        for at in clash:
            i = np.searchsorted(boundaries, at, side="right")
            start = boundaries[i - 1] if i > 0 else 0
            end = boundaries[i] if i < len(boundaries) else len(order)
            members = order[start:end]
            order[start:end] = members[np.argsort(keys[members], kind="stable")]
            ordered[start:end] = keys[order[start:end]]
    return order, ordered


def _mix(keys: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: every input bit affects every output bit."""
    x = keys.view(np.uint64) ^ (keys.view(np.uint64) >> np.uint64(30))
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def drop_degenerate_indices(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Faces whose three corners are distinct vertices, and the mask that kept them."""
    ok = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    return (faces if ok.all() else faces[ok]), ok


def compact(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Remove vertices no face uses."""
    used = np.zeros(len(vertices), dtype=bool)
    used[faces.reshape(-1)] = True
    if used.all():
        return vertices, faces.astype(np.int32, copy=False)
    remap = np.cumsum(used, dtype=np.int32) - 1
    return vertices[used], remap[faces]


@dataclass(frozen=True)
class Topology:
    bodies: int
    face_body: np.ndarray          # body label of every face
    boundary_edges: np.ndarray     # per body: edges used by one face (holes)
    non_manifold_edges: np.ndarray  # per body: edges used by three faces or more
    flipped_edges: np.ndarray      # per body: two faces walk the edge the same way


def _edge_keys(faces: np.ndarray, n_vertices: int) -> np.ndarray:
    """Per corner: (edge to the next corner) * 2 + (walked low-to-high), int64 (n*3,)."""
    n = len(faces)
    key = np.empty((n, 3), dtype=np.int64)
    for c in range(3):
        a = faces[:, c]
        b = faces[:, (c + 1) % 3]
        column = np.minimum(a, b).astype(np.int64)
        column *= n_vertices
        column += np.maximum(a, b)
        column <<= 1
        column += a < b
        key[:, c] = column
    return key


def topology(faces: np.ndarray, n_vertices: int) -> Topology:
    """Edge statistics and bodies (faces connected through shared edges), one sort."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(faces)
    key = _edge_keys(faces, n_vertices)
    face_bits = max(int(n - 1).bit_length(), 1)
    if int(key.max()).bit_length() + face_bits <= 62 and face_bits < 32:
        # pack the face number below the key: a plain sort is ~6x faster than argsort
        key <<= face_bits
        key |= np.arange(n, dtype=np.int64)[:, None]
        key = key.reshape(-1)
        key.sort()
        face_of = _low_bits(key, face_bits)
        key >>= face_bits
    else:  # too many bits to pack exactly: hash-and-pack sort, collisions fixed up
        # group by edge (direction bit off); the hash sort keeps equal edges adjacent
        flat = key.reshape(-1)
        del key
        forward = (flat & 1).astype(bool)
        flat >>= 1
        order, key = sort_order(flat)
        del flat
        key <<= 1
        key |= forward[order]
        del forward
        face_of = (order // 3).astype(np.int32)
        del order
    # neighbours in sorted order are the same edge iff they differ only in the low bit
    same_as_next = np.bitwise_xor(key[1:], key[:-1]) < 2
    starts = np.flatnonzero(np.concatenate(([True], ~same_as_next))).astype(np.int32)
    counts = np.diff(np.append(starts, len(key))).astype(np.int32)
    pair = counts == 2
    flipped = pair & (key[starts] == key[np.minimum(starts + 1, len(key) - 1)])
    del key, pair
    first_face = face_of[starts]
    del starts
    left = face_of[:-1][same_as_next]
    right = face_of[1:][same_as_next]
    del face_of, same_as_next
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    del left, right
    count, face_body = connected_components(graph.tocsr(), directed=False)
    del graph
    body_at = face_body[first_face]

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
    a, b, c = faces[:, 0], faces[:, 1], faces[:, 2]
    low = np.minimum(np.minimum(a, b), c)
    high = np.maximum(np.maximum(a, b), c)
    middle = a.astype(np.int64) + b + c - low - high  # sorting 3 columns without np.sort
    keys = low.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    keys ^= middle.astype(np.uint64) << np.uint64(21)
    keys ^= high.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
    keys.sort()
    if not (keys[1:] == keys[:-1]).any():
        return 0
    exact = np.stack([low, middle, high], axis=1)  # exact, only when a hit is likely
    return int(len(faces) - len(np.unique(exact, axis=0)))

"""A slow, obviously correct reference for the mesh numbers: ``np.unique`` and a plain
Python union-find, no hashing. Tests compare the fast code against it on small meshes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Reference:
    vertices: int
    faces: np.ndarray            # welded, degenerate ones dropped
    degenerate: int              # faces with a repeated vertex
    bodies: int
    face_body: np.ndarray
    boundary_edges: list[int]    # per body
    non_manifold_edges: list[int]
    flipped_edges: list[int]
    duplicate_faces: int


def grid_inverse(tris: np.ndarray) -> tuple[np.ndarray, int]:
    """Vertex of every corner: corners in the same cell of a 2**19-per-reach grid."""
    corners = np.asarray(tris, dtype=np.float32).reshape(-1, 3)
    reach = float(np.abs(corners).max()) or 1.0
    cells = np.rint(corners * np.float32(2**19 / reach)).astype(np.int64)
    unique, inverse = np.unique(cells, axis=0, return_inverse=True)
    return inverse.reshape(-1, 3), len(unique)


def reference(tris: np.ndarray) -> Reference:
    faces, vertices = grid_inverse(tris)
    ok = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    faces = faces[ok]
    n = len(faces)
    edges: dict[tuple[int, int], list[tuple[int, bool]]] = {}
    for f, (a, b, c) in enumerate(faces.tolist()):
        for p, q in ((a, b), (b, c), (c, a)):
            edges.setdefault((min(p, q), max(p, q)), []).append((f, p < q))
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for users in edges.values():
        for f, _ in users[1:]:
            a, b = root(users[0][0]), root(f)
            if a != b:
                parent[max(a, b)] = min(a, b)
    labels: dict[int, int] = {}
    face_body = np.array([labels.setdefault(root(f), len(labels)) for f in range(n)],
                         dtype=np.int64)
    bodies = len(labels)
    boundary, non_manifold, flipped = [0] * bodies, [0] * bodies, [0] * bodies
    for users in edges.values():
        body = int(face_body[users[0][0]])
        if len(users) == 1:
            boundary[body] += 1
        elif len(users) > 2:
            non_manifold[body] += 1
        elif users[0][1] == users[1][1]:
            flipped[body] += 1
    distinct = len({tuple(sorted(face)) for face in faces.tolist()})
    return Reference(vertices, faces, int((~ok).sum()), bodies, face_body, boundary,
                     non_manifold, flipped, n - distinct)

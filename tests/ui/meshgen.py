"""Synthetic meshes for view and performance tests (written as real binary STL files)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def sphere_triangles(n_triangles: int, radius: float = 20.0) -> np.ndarray:
    """A UV sphere with about ``n_triangles`` triangles, float32 (n, 3, 3)."""
    rings = max(4, int(np.sqrt(n_triangles / 4)))
    segs = max(4, n_triangles // (2 * rings))
    theta = np.linspace(0, np.pi, rings + 1)
    phi = np.linspace(0, 2 * np.pi, segs + 1)
    t, p = np.meshgrid(theta, phi, indexing="ij")
    pts = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], -1) * radius
    a, b = pts[:-1, :-1], pts[:-1, 1:]
    c, d = pts[1:, :-1], pts[1:, 1:]
    tris = np.concatenate([np.stack([a, c, b], -2).reshape(-1, 3, 3),
                           np.stack([b, c, d], -2).reshape(-1, 3, 3)])
    return tris.astype(np.float32)


def write_binary_stl(path: Path, triangles: np.ndarray) -> Path:
    tri = np.asarray(triangles, dtype=np.float32).reshape(-1, 3, 3)
    rec = np.zeros(len(tri), dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    rec["v"] = tri
    with open(path, "wb") as fh:
        fh.write(b"synthetic sphere".ljust(80, b" "))
        fh.write(np.uint32(len(tri)).tobytes())
        fh.write(rec.tobytes())
    return path


def read_binary_stl(path: Path) -> np.ndarray:
    data = Path(path).read_bytes()
    n = int(np.frombuffer(data, "<u4", 1, 80)[0])
    rec = np.frombuffer(data, dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")],
                        count=n, offset=84)
    return np.ascontiguousarray(rec["v"])

"""Small meshes and writers for design tests (real files on disk, no mocks)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from tests.support.samples import SAMPLES as SAMPLES

# Unit cube corners and 12 outward-facing triangles (counter-clockwise seen from outside).
_CORNERS = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0],
                     [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]], dtype=np.float64)
_FACES = np.array([
    [0, 2, 1], [0, 3, 2],   # bottom (z=0), normal -z
    [4, 5, 6], [4, 6, 7],   # top, +z
    [0, 1, 5], [0, 5, 4],   # front (y=0), -y
    [2, 3, 7], [2, 7, 6],   # back, +y
    [1, 2, 6], [1, 6, 5],   # right (x=1), +x
    [3, 0, 4], [3, 4, 7],   # left, -x
])


def cube(size: float = 10.0, offset: tuple[float, float, float] = (0, 0, 0)) -> np.ndarray:
    """Triangles (12, 3, 3) float32 of an axis-aligned cube."""
    return ((_CORNERS * size + np.array(offset))[_FACES]).astype(np.float32)


def box(dims: tuple[float, float, float]) -> np.ndarray:
    return ((_CORNERS * np.array(dims))[_FACES]).astype(np.float32)


def write_binary_stl(path: Path, tris: np.ndarray, header: bytes = b"test part") -> Path:
    tris = np.asarray(tris, dtype=np.float32)
    record = np.zeros(len(tris), dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    record["v"] = tris
    path.write_bytes(header.ljust(80, b" ")[:80] + struct.pack("<I", len(tris))
                     + record.tobytes())
    return path


def write_ascii_stl(path: Path, tris: np.ndarray, name: str = "part") -> Path:
    lines = [f"solid {name}"]
    for t in np.asarray(tris, dtype=np.float64):
        lines += ["  facet normal 0 0 0", "    outer loop"]
        lines += [f"      vertex {x:.6e} {y:.6e} {z:.6e}" for x, y, z in t]
        lines += ["    endloop", "  endfacet"]
    lines.append(f"endsolid {name}")
    path.write_text("\n".join(lines) + "\n")
    return path

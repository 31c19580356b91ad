"""Shaded isometric thumbnails by software rasterisation (numpy z-buffer, no OpenGL).

Big triangles are sampled on a barycentric grid finer than a pixel; triangles smaller
than a pixel are drawn as one sample at their centroid, so a million-triangle mesh
costs about one sort of a million samples.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from wyntek_desktop.design.png import encode_png

_BASE = np.array([92, 140, 190], dtype=np.float32)   # steel blue
_LIGHT = np.array([-0.35, 0.55, 0.76], dtype=np.float32)
_SAMPLE_BUDGET = 3_000_000


def _view_basis() -> np.ndarray:
    """Rows: screen right, screen up, towards the viewer (isometric from +X -Y +Z)."""
    eye = np.array([1.0, -1.0, 1.0]) / np.sqrt(3.0)
    right = np.cross([0.0, 0.0, 1.0], eye)
    right /= np.linalg.norm(right)
    up = np.cross(eye, right)
    return np.array([right, up, eye], dtype=np.float32)


def render_thumbnail(source: Any, size: int = 256) -> bytes:
    """PNG of a mesh: ``source`` is triangles (n,3,3), a ``Preview``/``LoadedMesh`` or a
    path (a 3MF's embedded thumbnail is used when present)."""
    if isinstance(source, str | Path):
        from wyntek_desktop.design.loaders import load_mesh

        source = load_mesh(source)
    embedded = getattr(source, "thumbnail_png", None)
    if embedded:
        return bytes(embedded)
    tris = getattr(source, "triangles", source)
    return encode_png(render_rgba(np.asarray(tris, dtype=np.float32), size))


def render_rgba(tris: np.ndarray, size: int = 256) -> np.ndarray:
    """(size, size, 4) uint8 image; transparent where there is no part."""
    size = max(8, int(size))
    supersample = 2 if len(tris) < 100_000 else 1
    res = size * supersample
    basis = _view_basis()
    # screen coordinates as three (n, 3) arrays: column-wise maths is much faster
    # than reductions over a trailing axis of length 3
    xs, ys, zs = tris[..., 0], tris[..., 1], tris[..., 2]
    sx, sy, sz = (basis[r, 0] * xs + basis[r, 1] * ys + basis[r, 2] * zs for r in range(3))
    extent = float(max(sx.max() - sx.min(), sy.max() - sy.min())) or 1.0
    scale = np.float32(res * 0.92 / extent)
    cx = np.float32((sx.max() + sx.min()) / 2)
    cy = np.float32((sy.max() + sy.min()) / 2)
    sx = (sx - cx) * scale + np.float32(res / 2)
    sy = np.float32(res / 2) - (sy - cy) * scale
    shades = _shade(sx, sy, sz * scale)
    pix, depth, shade = _samples(sx, sy, sz, shades, res)
    flat = np.zeros((res * res, 4), dtype=np.uint8)
    nearest = np.full(res * res, -np.inf, dtype=np.float32)
    np.maximum.at(nearest, pix, depth)  # z-buffer: larger depth is nearer the viewer
    front = depth >= nearest[pix]
    flat[pix[front], :3] = _PALETTE[shade[front]]
    flat[pix[front], 3] = 255
    image = flat.reshape(res, res, 4)
    if supersample > 1:
        image = image.reshape(size, 2, size, 2, 4).mean(axis=(1, 3)).round().astype(np.uint8)
    return image


def _palette() -> np.ndarray:
    """Colour for each of 256 Lambert levels: ambient + diffuse + a small highlight."""
    lambert = np.linspace(0.0, 1.0, 256, dtype=np.float32)
    colour = _BASE[None, :] * (0.28 + 0.72 * lambert)[:, None] + 40 * (lambert**8)[:, None]
    return np.clip(colour, 0, 255).astype(np.uint8)


_PALETTE = _palette()


def _shade(sx: np.ndarray, sy: np.ndarray, sz: np.ndarray) -> np.ndarray:
    """Lambert level (0..255) per face in screen space (y points down, z to the viewer)."""
    ax, ay, az = sx[:, 1] - sx[:, 0], sy[:, 1] - sy[:, 0], sz[:, 1] - sz[:, 0]
    bx, by, bz = sx[:, 2] - sx[:, 0], sy[:, 2] - sy[:, 0], sz[:, 2] - sz[:, 0]
    nx, ny, nz = ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx
    length = np.sqrt(nx * nx + ny * ny + nz * nz)
    length[length == 0] = 1
    light = (_LIGHT / np.linalg.norm(_LIGHT)).astype(np.float32)
    # two-sided: |n.l| with the normal turned to the viewer, so flipped faces still light
    facing = np.where(nz < 0, np.float32(-255.0), np.float32(255.0)) / length
    lambert = (nx * light[0] - ny * light[1] + nz * light[2]) * facing
    return np.clip(lambert, 0, 255).astype(np.uint8)


def _samples(sx: np.ndarray, sy: np.ndarray, sz: np.ndarray, shades: np.ndarray,
             res: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixel index, depth and shade level of every sample of every triangle.

    A triangle under a pixel is one sample at its centroid. A bigger one is sampled on a
    grid along its longest and shortest edges (from the corner they share) with steps
    under half a pixel, so the samples cover every pixel and slivers stay cheap.
    """
    def edge(i: int, j: int) -> np.ndarray:
        return np.hypot(sx[:, i] - sx[:, j], sy[:, i] - sy[:, j])

    lengths = np.stack([edge(1, 2), edge(2, 0), edge(0, 1)], axis=1)  # opposite each corner
    big = (lengths[:, 0] >= 1.0) | (lengths[:, 1] >= 1.0) | (lengths[:, 2] >= 1.0)
    pix: list[np.ndarray] = []
    depth: list[np.ndarray] = []
    col: list[np.ndarray] = []
    small = ~big
    if small.any():
        third = np.float32(1 / 3)
        centre = [((c[:, 0] + c[:, 1] + c[:, 2]) * third)[small] for c in (sx, sy, sz)]
        _emit(centre[0], centre[1], centre[2], shades[small], res, pix, depth, col)
    if big.any():
        tri = np.stack([sx[big], sy[big], sz[big]], axis=2)  # (m, corner, xyz)
        middle = np.argsort(lengths[big], axis=1)[:, 1]
        rows = np.arange(len(tri))
        corner = tri[rows, middle]
        e1 = tri[rows, (middle + 1) % 3] - corner
        e2 = tri[rows, (middle + 2) % 3] - corner
        k1 = np.ceil(np.hypot(e1[:, 0], e1[:, 1]) * 2.2).astype(np.int64) + 1
        k2 = np.ceil(np.hypot(e2[:, 0], e2[:, 1]) * 2.2).astype(np.int64) + 1
        count = (k1 + 1) * (k2 + 1)
        if count.sum() > _SAMPLE_BUDGET:  # bound the work whatever the mesh looks like
            shrink = np.sqrt(_SAMPLE_BUDGET / count.sum())
            k1 = np.maximum((k1 * shrink).astype(np.int64), 1)
            k2 = np.maximum((k2 * shrink).astype(np.int64), 1)
            count = (k1 + 1) * (k2 + 1)
        owner = np.repeat(np.arange(len(tri)), count)
        local = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        u = (local // (k2[owner] + 1)) / k1[owner]
        v = (local % (k2[owner] + 1)) / k2[owner]
        keep = u + v <= 1.0 + 1e-9
        owner, u, v = owner[keep], u[keep, None], v[keep, None]
        points = corner[owner] + u * e1[owner] + v * e2[owner]
        _emit(points[:, 0], points[:, 1], points[:, 2], shades[big][owner], res, pix, depth,
              col)
    return np.concatenate(pix), np.concatenate(depth), np.concatenate(col)


def _emit(px: np.ndarray, py: np.ndarray, pz: np.ndarray, shades: np.ndarray, res: int,
          pix: list[np.ndarray], depth: list[np.ndarray], col: list[np.ndarray]) -> None:
    x = px.astype(np.int64)
    y = py.astype(np.int64)
    inside = (x >= 0) & (x < res) & (y >= 0) & (y < res)
    pix.append((y * res + x)[inside])
    depth.append(pz[inside].astype(np.float32))
    col.append(shades[inside])

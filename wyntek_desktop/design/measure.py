"""Geometry and topology numbers of a triangle soup (millimetres)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from wyntek_desktop.design import topology

_CHUNK = 131_072  # triangles per block: bounds the float64 temporaries


@dataclass(frozen=True)
class Measures:
    bounds: np.ndarray          # (2, 3)
    triangles: int
    volume: float               # sum of the bodies' volumes (magnitudes)
    area: float
    bodies: int
    body_triangles: np.ndarray
    body_volume: np.ndarray     # signed
    body_area: np.ndarray
    body_bounds: np.ndarray     # (bodies, 2, 3)
    body_open: np.ndarray       # boundary + non-manifold edges per body
    boundary_edges: int
    non_manifold_edges: int
    flipped_edges: int
    degenerate_faces: int       # repeated corners or zero area
    duplicate_faces: int
    overhang_area: float = 0.0  # facing down more than 45° and not on the bed


def measure(tris: np.ndarray, step: Callable[[float, str], None] = lambda f, m: None
            ) -> Measures:
    """All numbers of the report that come from the mesh itself."""
    bounds = np.array([[tris[..., i].min() for i in range(3)],
                       [tris[..., i].max() for i in range(3)]], dtype=np.float64)
    step(0.1, "Welding vertices")
    vertices, faces = topology.weld(tris)
    faces, keep = topology.drop_degenerate_indices(faces)
    collapsed = int(len(keep) - len(faces))
    if len(faces) == 0:
        z = np.zeros(0)
        return Measures(bounds, len(tris), 0.0, 0.0, 0, z, z, z, np.zeros((0, 2, 3)), z, 0, 0, 0,
                        collapsed, 0)
    vertices, faces = topology.compact(vertices, faces)
    n_vertices = len(vertices)
    del vertices
    step(0.35, "Checking edges and bodies")
    topo = topology.topology(faces, n_vertices)
    step(0.65, "Looking for duplicate faces")
    duplicates = topology.duplicate_faces(faces)
    del faces
    step(0.75, "Measuring volume and area")
    nb = topo.bodies
    labels = topo.face_body
    volume, area, slivers, overhang, body_bounds = _volume_area(
        tris, keep, labels, nb, (float(np.abs(bounds).max()) or 1.0) * 1e-7, float(bounds[0, 2]))
    return Measures(
        bounds=bounds, triangles=len(tris),
        # an inside-out body still holds material: add magnitudes, not signed volumes
        volume=float(np.abs(volume).sum()), area=float(area.sum()), bodies=nb,
        body_triangles=np.bincount(labels, minlength=nb),
        body_volume=volume, body_area=area,
        body_bounds=bounds[None] if nb == 1 else body_bounds,
        body_open=topo.boundary_edges + topo.non_manifold_edges,
        boundary_edges=int(topo.boundary_edges.sum()),
        non_manifold_edges=int(topo.non_manifold_edges.sum()),
        flipped_edges=int(topo.flipped_edges.sum()),
        degenerate_faces=collapsed + slivers, duplicate_faces=duplicates,
        overhang_area=overhang)


def _volume_area(tris: np.ndarray, keep: np.ndarray, labels: np.ndarray, bodies: int,
                 tiny: float, bed_z: float
                 ) -> tuple[np.ndarray, np.ndarray, int, float, np.ndarray]:
    """Signed volume (divergence theorem) and area per body, faces without area, and
    the area that overhangs (would need support when printed as is), and each body's
    bounding box (only computed when there are several bodies).

    Works block by block so the float64 temporaries stay small.
    """
    volume = np.zeros(bodies)
    area = np.zeros(bodies)
    slivers = 0
    overhang = 0.0
    on_bed = bed_z + max(tiny * 1e4, 1e-3)
    lows = np.full((bodies, 3), np.inf)
    highs = np.full((bodies, 3), -np.inf)
    centre = tris[0, 0].astype(np.float64)  # relative coordinates keep the sum precise
    done = 0  # kept faces before this block: where its labels start
    for start in range(0, len(tris), _CHUNK):
        block = tris[start:start + _CHUNK].astype(np.float64) - centre
        # per component on (n,) columns: much faster than cross/einsum over axis 3
        ax, ay, az = block[:, 0, 0], block[:, 0, 1], block[:, 0, 2]
        bx, by, bz = block[:, 1, 0], block[:, 1, 1], block[:, 1, 2]
        cx, cy, cz = block[:, 2, 0], block[:, 2, 1], block[:, 2, 2]
        ux, uy, uz = bx - ax, by - ay, bz - az
        vx, vy, vz = cx - ax, cy - ay, cz - az
        nx, ny, nz = uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx
        face_area = 0.5 * np.sqrt(nx * nx + ny * ny + nz * nz)
        face_volume = (ax * (by * cz - bz * cy) + ay * (bz * cx - bx * cz)
                       + az * (bx * cy - by * cx)) / 6.0
        kept = keep[start:start + _CHUNK]
        block_labels = labels[done:done + int(kept.sum())]
        done += len(block_labels)
        volume += np.bincount(block_labels, weights=face_volume[kept], minlength=bodies)
        area += np.bincount(block_labels, weights=face_area[kept], minlength=bodies)
        slivers += int((face_area[kept] <= tiny * tiny).sum())
        # normal z = cross_z / (2 * area); below -cos 45° faces down
        down = nz < -0.7071 * 2.0 * face_area
        lifted = np.minimum(np.minimum(az, bz), cz) + centre[2] > on_bed
        overhang += float(face_area[down & lifted & kept].sum())
        if bodies > 1:
            for axis, (p, q, r) in enumerate(((ax, bx, cx), (ay, by, cy), (az, bz, cz))):
                low = np.minimum(np.minimum(p, q), r)[kept]
                high = np.maximum(np.maximum(p, q), r)[kept]
                np.minimum.at(lows[:, axis], block_labels, low)
                np.maximum.at(highs[:, axis], block_labels, high)
    body_bounds = np.stack([lows + centre, highs + centre], axis=1)
    return volume, area, slivers, overhang, body_bounds

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
    faces, n_vertices = topology.weld_ids(tris, float(np.abs(bounds).max()))
    faces, keep = topology.drop_degenerate_indices(faces)
    collapsed = int(len(keep) - len(faces))
    if len(faces) == 0:
        z = np.zeros(0)
        return Measures(bounds, len(tris), 0.0, 0.0, 0, z, z, z, np.zeros((0, 2, 3)), z, 0, 0, 0,
                        collapsed, 0)
    step(0.35, "Checking edges, bodies and duplicate faces")
    found = topology.edges(faces, n_vertices)
    del faces  # before the union-find: the peak of memory is a product requirement
    topo = topology.bodies(found)
    del found
    duplicates = topo.duplicate_faces
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

    One pass, block by block, so the float64 temporaries stay small.
    """
    volume = np.zeros(bodies)
    area = np.zeros(bodies)
    slivers = 0
    overhang = 0.0
    on_bed = bed_z + max(tiny * 1e4, 1e-3)
    lows = np.full((bodies, 3), np.inf)
    highs = np.full((bodies, 3), -np.inf)
    centre = tris[0, 0].astype(np.float64)  # relative coordinates keep the sum precise
    shift = np.repeat(centre[None], 3, axis=0).reshape(9, 1)
    all_kept = bool(keep.all())
    done = 0  # kept faces before this block: where its labels start
    for start in range(0, len(tris), _CHUNK):
        # nine contiguous float64 columns: ax ay az bx by bz cx cy cz
        block = tris[start:start + _CHUNK].reshape(-1, 9).T.astype(np.float64)
        block -= shift
        if not all_kept:
            block = np.compress(keep[start:start + _CHUNK], block, axis=1)
        ax, ay, az, bx, by, bz, cx, cy, cz = block
        ux, uy, uz = bx - ax, by - ay, bz - az
        vx, vy, vz = cx - ax, cy - ay, cz - az
        nx = uy * vz
        nx -= uz * vy
        ny = uz * vx
        ny -= ux * vz
        nz = ux * vy
        nz -= uy * vx
        # a . (b - a) x (c - a) = a . (b x c): the same cross product gives the volume
        face_volume = ax * nx
        face_volume += ay * ny
        face_volume += az * nz
        face_volume /= 6.0
        twice = nx * nx
        twice += ny * ny
        twice += nz * nz
        np.sqrt(twice, out=twice)
        face_area = twice
        face_area *= 0.5
        block_labels = labels[done:done + len(face_area)]
        done += len(face_area)
        if bodies == 1:
            volume[0] += face_volume.sum()
            area[0] += face_area.sum()
        else:  # per run of equal labels (bodies are mostly contiguous in a file)
            starts = np.flatnonzero(block_labels[1:] != block_labels[:-1]) + 1
            starts = np.concatenate(([0], starts))
            run_body = block_labels[starts]
            volume += np.bincount(run_body, np.add.reduceat(face_volume, starts), bodies)
            area += np.bincount(run_body, np.add.reduceat(face_area, starts), bodies)
        slivers += int(np.count_nonzero(face_area <= tiny * tiny))
        # normal z = cross_z / (2 * area); below -cos 45° faces down
        down = nz < -0.7071 * 2.0 * face_area
        lifted = np.minimum(np.minimum(az, bz), cz) + centre[2] > on_bed
        overhang += float(np.compress(down & lifted, face_area).sum())
        if bodies > 1:
            for axis, (p, q, r) in enumerate(((ax, bx, cx), (ay, by, cy), (az, bz, cz))):
                low = np.minimum.reduceat(np.minimum(np.minimum(p, q), r), starts)
                high = np.maximum.reduceat(np.maximum(np.maximum(p, q), r), starts)
                np.minimum.at(lows[:, axis], run_body, low)
                np.maximum.at(highs[:, axis], run_body, high)
    body_bounds = np.stack([lows + centre, highs + centre], axis=1)
    return volume, area, slivers, overhang, body_bounds

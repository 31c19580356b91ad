"""STEP seams: OpenCASCADE tessellates every B-rep face on its own, so the faces at a
seam carry their own copies of the seam's points. The loader makes coincident copies
bit-identical, so the soup the viewer draws has no open edge along a seam of a closed
solid (a crack of a rounding error shows as speckles when zoomed in)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from tests.design.meshes import SAMPLES, cube
from wyntek_desktop.design import step
from wyntek_desktop.design.loaders import load_mesh


def _open_edges_exact(tris: np.ndarray) -> int:
    """Edges used by one face when corners are the same vertex only if their float32
    bits are equal: what a renderer sees, no tolerance."""
    bits = np.ascontiguousarray(tris, dtype=np.float32).reshape(-1, 3).view(np.uint32)
    _, vertex = np.unique(bits, axis=0, return_inverse=True)
    return _open_edges(vertex.reshape(-1, 3))


def _open_edges(faces: np.ndarray) -> int:
    pairs = np.stack([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]], axis=1)
    _, uses = np.unique(np.sort(pairs.reshape(-1, 2), axis=1), axis=0, return_counts=True)
    return int(np.count_nonzero(uses == 1))


def _tessellation_open_edges(glb: bytes) -> int:
    """Open edges of the tessellation as it comes out of the converter: each B-rep
    face with its own vertices, so every seam is open there."""
    import trimesh

    scene = trimesh.load_scene(io.BytesIO(glb), file_type="glb", skip_materials=True,
                               process=False)
    return sum(_open_edges(np.asarray(g.faces)) for g in scene.geometry.values())


@pytest.mark.parametrize(("name", "seam_edges"), [("featuretype.STEP", 6038),
                                                  ("box_sides.STEP", 4690)])
def test_closed_step_solids_have_no_open_seam_edges(
        name: str, seam_edges: int, monkeypatch: pytest.MonkeyPatch) -> None:
    converted: list[bytes] = []
    convert = step.step_to_glb

    def keep(path: Path) -> bytes:  # the real conversion, its output kept for counting
        converted.append(convert(path))
        return converted[-1]

    monkeypatch.setattr(step, "step_to_glb", keep)
    loaded = load_mesh(SAMPLES / name)
    assert _tessellation_open_edges(converted[0]) == seam_edges  # each face on its own
    assert _open_edges_exact(loaded.triangles) == 0


def _seamed_cube() -> np.ndarray:
    """A closed cube whose six faces carry copies of their corners that differ by a
    rounding error, as separately tessellated faces do after a transform."""
    tris = cube(10.0, (3.0, -2.0, 7.0)).astype(np.float32)
    rng = np.random.default_rng(7)
    nudged = tris.copy()
    for face in range(0, len(tris), 2):  # one face of the cube = two triangles
        steps = rng.integers(-2, 3, size=(2, 3, 3))
        towards = np.where(steps > 0, np.float32(np.inf), np.float32(-np.inf))
        nudged[face:face + 2] = np.nextafter(tris[face:face + 2], towards)  # one float32 step
        nudged[face:face + 2][steps == 0] = tris[face:face + 2][steps == 0]
    return nudged


def test_corners_a_rounding_error_apart_become_one() -> None:
    seamed = _seamed_cube()
    assert _open_edges_exact(seamed) > 0  # cracks along the seams before
    shared = step.share_seam_corners(seamed)
    assert _open_edges_exact(shared) == 0
    assert np.abs(shared - seamed).max() < 1e-5  # nothing moves beyond the crack


def test_distinct_corners_stay_apart() -> None:
    tris = np.concatenate([cube(10.0), cube(10.0, (10.05, 0, 0))]).astype(np.float32)
    shared = step.share_seam_corners(tris)
    assert np.array_equal(shared, tris)  # 0.05 mm is a feature, not a crack

"""The two sorting paths of the edge analysis agree (exact packing and hashed packing)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.design.meshes import SAMPLES, cube
from wyntek_desktop.design import topology
from wyntek_desktop.design.stl import read_stl


def _both(tris: np.ndarray) -> tuple[topology.Topology, topology.Topology]:
    vertices, faces = topology.weld(tris)
    exact = topology.topology(faces, len(vertices))
    # a larger vertex count is valid (unused ids) and forces the hashed sort
    hashed = topology.topology(faces, 2**36)
    return exact, hashed


@pytest.mark.parametrize("name", ["counter.unitsmm.STL", "teapot.stl", "busted.STL"])
def test_paths_agree_on_samples(name: str) -> None:
    exact, hashed = _both(read_stl(SAMPLES / name)[0])
    assert exact.bodies == hashed.bodies
    for field in ("boundary_edges", "non_manifold_edges", "flipped_edges"):
        assert sorted(getattr(exact, field)) == sorted(getattr(hashed, field))


def test_paths_agree_on_a_flipped_face() -> None:
    tris = np.concatenate([cube(10), cube(5, (20, 0, 0))])
    tris[2] = tris[2][::-1]
    exact, hashed = _both(tris)
    assert exact.flipped_edges.sum() == hashed.flipped_edges.sum() == 3


def test_sort_order_groups_equal_keys() -> None:
    rng = np.random.default_rng(5)
    keys = rng.integers(0, 50, 10_000).astype(np.int64) << np.int64(40)
    order, ordered = topology.sort_order(keys)
    assert np.array_equal(ordered, keys[order])
    changes = np.count_nonzero(ordered[1:] != ordered[:-1]) + 1
    assert changes == len(np.unique(keys))  # every key forms one contiguous run


def test_sort_order_separates_keys_whose_hashes_clash() -> None:
    # k2 * C = k1 * C + 1 (mod 2**64): the same top bits, so the same hash
    multiplier = 0x9E3779B97F4A7C15
    step = pow(multiplier, -1, 2**64) - 2**64  # negative, |step| < 2**63
    k1 = 2**62 + 2**61
    k2 = k1 + step
    assert 0 < k2 < 2**63
    hash_of = [((k * multiplier) % 2**64) >> 3 for k in (k1, k2)]
    assert hash_of[0] == hash_of[1]  # a real clash for a 61-bit hash (4 keys: 2 index bits)
    keys = np.array([k1, k2, k1, k2], dtype=np.int64)
    order, ordered = topology.sort_order(keys)
    assert np.array_equal(ordered, keys[order])
    assert ordered[0] == ordered[1] and ordered[2] == ordered[3] and ordered[1] != ordered[2]

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


@pytest.mark.parametrize("weak_hash", [
    lambda keys: np.zeros(len(keys), dtype=np.uint64),                # everything clashes
    lambda keys: (keys.view(np.uint64) % np.uint64(7)) << np.uint64(60),  # a few buckets
])
def test_sort_order_separates_keys_whose_hashes_clash(
        monkeypatch: pytest.MonkeyPatch, weak_hash: object) -> None:
    monkeypatch.setattr(topology, "_mix", weak_hash)
    rng = np.random.default_rng(9)
    keys = rng.integers(0, 300, 5_000).astype(np.int64) * np.int64(1_000_003)
    order, ordered = topology.sort_order(keys)
    assert np.array_equal(ordered, keys[order])
    assert sorted(order.tolist()) == list(range(len(keys)))
    changes = np.count_nonzero(ordered[1:] != ordered[:-1]) + 1
    assert changes == len(np.unique(keys))


def test_weld_and_topology_survive_a_weak_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(topology, "_mix", lambda keys: np.zeros(len(keys), dtype=np.uint64))
    exact, hashed = _both(np.concatenate([cube(10), cube(5, (20, 0, 0))]))
    assert exact.bodies == hashed.bodies == 2
    assert exact.boundary_edges.sum() == hashed.boundary_edges.sum() == 0

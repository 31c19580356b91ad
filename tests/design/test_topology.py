"""The hash-table welding, edge bookkeeping and union-find agree with a slow reference
(``np.unique`` + a Python union-find) on random and adversarial meshes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.design.meshes import SAMPLES, cube, write_binary_stl
from tests.design.reference import reference
from wyntek_desktop.design import analyze, components, keytable, topology
from wyntek_desktop.design.stl import read_stl


def _fast(tris: np.ndarray) -> tuple[topology.Topology, np.ndarray, int]:
    ids, slots = topology.weld_ids(tris)
    faces, _ = topology.drop_degenerate_indices(ids)
    return topology.topology(faces, slots), faces, len(np.unique(faces))


def _assert_agree(tris: np.ndarray) -> None:
    ref = reference(tris)
    topo, faces, vertices = _fast(tris)
    assert len(faces) == len(ref.faces)
    # the same vertex partition: one-to-one between the two numberings
    pairs = np.unique(np.stack([faces.reshape(-1), ref.faces.reshape(-1)]), axis=1)
    assert len(pairs[0]) == len(np.unique(pairs[0])) == len(np.unique(pairs[1]))
    assert vertices == len(np.unique(ref.faces))
    assert topo.bodies == ref.bodies
    assert np.array_equal(topo.face_body, ref.face_body)
    assert topo.boundary_edges.tolist() == ref.boundary_edges
    assert topo.non_manifold_edges.tolist() == ref.non_manifold_edges
    assert topo.flipped_edges.tolist() == ref.flipped_edges
    assert topo.duplicate_faces == ref.duplicate_faces


def _icosphere(level: int, radius: float = 10.0, at: tuple[float, ...] = (0, 0, 0)
               ) -> np.ndarray:
    import trimesh

    sphere = trimesh.creation.icosphere(subdivisions=level, radius=radius)
    return (sphere.triangles + np.asarray(at)).astype(np.float32)


def _pool_soup(rng: np.random.Generator, faces: int, points: int) -> np.ndarray:
    """Triangles on a few shared points: repeated edges, non-manifold edges,
    duplicate and degenerate faces all occur."""
    pool = rng.normal(size=(points, 3)).astype(np.float32) * 10
    return pool[rng.integers(0, points, size=(faces, 3))]


@pytest.mark.parametrize("seed", range(6))
def test_random_soups_on_few_points(seed: int) -> None:
    rng = np.random.default_rng(seed)
    _assert_agree(_pool_soup(rng, int(rng.integers(20, 3000)), int(rng.integers(4, 400))))


@pytest.mark.parametrize("seed", range(4))
def test_closed_bodies_shuffled_flipped_holed_and_duplicated(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    parts = [_icosphere(int(rng.integers(1, 4)), at=(30.0 * i, 0, 0)) for i in range(4)]
    parts += [cube(5, (0, 40, 0)), cube(5, (5, 40, 0))]  # two cubes sharing a face
    tris = np.concatenate(parts)
    tris = tris[rng.permutation(len(tris))]
    flip = rng.random(len(tris)) < 0.02
    tris[flip] = tris[flip][:, ::-1]
    tris = tris[rng.random(len(tris)) > 0.01]  # holes
    tris = np.concatenate([tris, tris[rng.integers(0, len(tris), 7)]])  # duplicates
    _assert_agree(tris)


def test_bodies_touching_at_one_vertex_or_edge() -> None:
    at_vertex = np.concatenate([cube(10), cube(10, (10, 10, 10))])
    along_edge = np.concatenate([cube(10), cube(10, (10, 10, 0))])
    for tris in (at_vertex, along_edge):
        _assert_agree(tris)
    assert _fast(at_vertex)[0].bodies == 2  # a shared corner does not join bodies
    assert _fast(along_edge)[0].bodies == 1  # a shared edge does (non-manifold)


def test_negative_zero_welds_with_zero() -> None:
    tris = cube(10)
    signed = tris.copy()
    signed[signed == 0] = -0.0
    signed[::2] = tris[::2]  # half the corners +0.0, half -0.0
    assert np.signbit(signed).any()
    topo, _, vertices = _fast(signed)
    assert vertices == 8 and topo.bodies == 1 and topo.boundary_edges.sum() == 0
    _assert_agree(signed)


def test_nearly_coincident_corners_weld_and_far_ones_do_not() -> None:
    tris = cube(10)
    jittered = tris + np.float32(1e-6) * np.random.default_rng(3).standard_normal(
        tris.shape).astype(np.float32)
    assert _fast(jittered)[2] == 8
    moved = tris.copy()
    moved[0, 0] += np.float32(1e-3)  # about 50 grid steps: a separate vertex, a hole
    topo, _, vertices = _fast(moved)
    assert vertices == 9 and topo.boundary_edges.sum() > 0
    _assert_agree(moved)


def test_degenerate_faces_are_dropped_before_the_edges() -> None:
    tris = np.concatenate([cube(10), cube(10)[:3]])
    tris[-1, 1] = tris[-1, 0]  # two equal corners
    tris[-2, :] = tris[-2, 0]  # a point
    _assert_agree(tris)
    assert reference(tris).degenerate == 2


@pytest.mark.parametrize("name", ["counter.unitsmm.STL", "teapot.stl", "busted.STL",
                                  "featuretype.STL"])
def test_samples_agree_with_the_reference(name: str) -> None:
    _assert_agree(read_stl(SAMPLES / name)[0])


def test_a_weak_hash_is_slow_but_right(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keytable, "mix", lambda keys: np.zeros(len(keys), dtype=np.uint64))
    rng = np.random.default_rng(11)
    _assert_agree(_pool_soup(rng, 300, 40))
    _assert_agree(np.concatenate([cube(10), cube(5, (20, 0, 0))]))


def test_key_table_grows_and_keeps_equal_keys_together() -> None:
    rng = np.random.default_rng(4)
    table = keytable.KeyTable(10)  # far too small: it has to grow several times
    keys = rng.integers(0, 5_000, 40_000) * np.int64(2**40 + 7)
    slots = np.empty(len(keys), dtype=np.int64)
    for start in range(0, len(keys), 4_000):
        got, remap = table.insert(keys[start:start + 4_000])
        if remap is not None:
            slots[:start] = remap[slots[:start]]
        slots[start:start + 4_000] = got
    assert table.size > 10_000
    assert np.array_equal(table.keys[slots], keys)  # each key sits in its own slot
    distinct = np.unique(keys)
    assert len(np.unique(slots)) == len(distinct) == np.count_nonzero(table.keys >= 0)


def test_keys_hashed_ahead_land_right_when_the_table_grew_meanwhile() -> None:
    rng = np.random.default_rng(5)
    table = keytable.KeyTable(10)
    keys = rng.integers(0, 5_000, 40_000) * np.int64(2**40 + 7)
    blocks = [keys[start:start + 4_000] for start in range(0, len(keys), 4_000)]
    early = [table.hashed(block) for block in blocks]  # all for the table's first size
    slots = np.empty(len(keys), dtype=np.int64)
    for index, block in enumerate(early):
        got, remap = table.insert(block)
        start = 4_000 * index
        if remap is not None:
            slots[:start] = remap[slots[:start]]
        slots[start:start + 4_000] = got
    assert table.size > 10_000 and early[-1].size < table.size
    assert np.array_equal(table.keys[slots], keys)
    assert len(np.unique(slots)) == len(np.unique(keys))


def test_one_ahead_keeps_order_and_passes_errors_on() -> None:
    assert list(keytable.one_ahead(lambda x: x * x, range(7))) == [x * x for x in range(7)]
    assert list(keytable.one_ahead(lambda x: x, [])) == []

    def fails_at_three(x: int) -> int:
        if x == 3:
            raise MemoryError("no room")
        return x

    got: list[int] = []
    with pytest.raises(MemoryError, match="no room"):
        got.extend(keytable.one_ahead(fails_at_three, range(6)))
    assert got == [0, 1, 2]


@pytest.mark.parametrize("order", ["forward", "reverse", "random", "star"])
def test_union_find_labels_like_a_breadth_first_search(order: str) -> None:
    rng = np.random.default_rng(8)
    nodes = 5_000
    if order == "star":  # every node hangs off the last one
        left, right = np.arange(nodes - 1), np.full(nodes - 1, nodes - 1)
    else:  # paths of random length, listed in the given order
        cuts = np.sort(rng.choice(np.arange(1, nodes), 40, replace=False))
        chain = np.arange(nodes - 1)
        chain = np.delete(chain, cuts - 1)
        left, right = chain, chain + 1
        if order == "reverse":
            left, right = right[::-1], left[::-1]
        elif order == "random":
            perm = rng.permutation(nodes)
            left, right = perm[left], perm[right]
    count, labels = components.connected_components(nodes, left, right)
    parent = list(range(nodes))

    def root(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    seen: dict[int, int] = {}
    expected = [seen.setdefault(root(x), len(seen)) for x in range(nodes)]
    assert count == len(seen) and labels.tolist() == expected


def test_many_bodies_report_like_the_reference(tmp_path: Path) -> None:
    tris = np.concatenate([cube(1, (2.0 * i, 0, 0)) for i in range(300)])
    tris[[5, 400, 2000]] = tris[[5, 400, 2000]][:, ::-1]  # three bodies with a flipped face
    report = analyze(write_binary_stl(tmp_path / "many.stl", tris))
    ref = reference(tris)
    assert report.mesh is not None
    assert report.mesh.body_count == ref.bodies == 300
    assert report.mesh.flipped_edges == sum(ref.flipped_edges) == 9
    # per body: signed volume by the divergence theorem around the first corner
    t = tris.astype(np.float64) - tris[0, 0]
    signed = np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])) / 6.0
    per_body = np.bincount(ref.face_body, weights=signed)
    assert report.mesh.volume_mm3 == pytest.approx(np.abs(per_body).sum(), abs=1e-3)
    assert report.mesh.area_mm2 == pytest.approx(1800.0)


def test_bodies_in_any_face_order_keep_their_volume_area_and_size(tmp_path: Path) -> None:
    parts = [_icosphere(2, radius=2.0 + i, at=(20.0 * i, 0, 0)) for i in range(5)]
    tris = np.concatenate(parts)
    shuffled = tris[np.random.default_rng(2).permutation(len(tris))]
    reports = [analyze(write_binary_stl(tmp_path / f"{name}.stl", t)).mesh
               for name, t in (("ordered", tris), ("shuffled", shuffled))]
    assert reports[0] is not None and reports[1] is not None
    assert reports[0].volume_mm3 == pytest.approx(reports[1].volume_mm3, rel=1e-9)
    ordered, mixed = (sorted((b.volume_mm3, b.area_mm2, b.dimensions_mm) for b in r.bodies)
                      for r in reports)
    assert len(ordered) == 5
    for a, b in zip(ordered, mixed, strict=True):
        assert a[0] == pytest.approx(b[0], abs=2e-3) and a[1] == pytest.approx(b[1], abs=2e-3)
        assert a[2] == b[2]
    for body, part in zip(sorted(reports[0].bodies, key=lambda b: b.index), parts, strict=True):
        assert body.dimensions_mm == tuple(round(float(d), 4) for d in np.ptp(
            part.reshape(-1, 3).astype(np.float64), axis=0))


def test_loose_triangles_grow_the_edge_table_and_keep_their_counts() -> None:
    # every edge distinct: twice the edges a closed mesh of this size has, so the edge
    # table grows mid-way and its per-edge state must move with the keys
    rng = np.random.default_rng(21)
    loose = rng.normal(size=(6_000, 3, 3)).astype(np.float32) * 50
    glued = np.concatenate([loose, loose[:500, ::-1], cube(3, (400, 0, 0))])
    _assert_agree(glued)
    topo = _fast(loose)[0]
    assert topo.bodies == 6_000 and topo.boundary_edges.sum() == 18_000


def test_a_lone_face_and_its_reversed_copy_count_as_duplicates() -> None:
    # each of their edges is used exactly twice, as on a closed part: only the corner
    # facing a shared edge tells that the two faces lie on the same three vertices
    lone = np.array([[[100, 0, 0], [101, 0, 0], [100, 1, 0]]], dtype=np.float32)
    sphere = _icosphere(3)
    for at in (0, len(sphere) // 2, len(sphere)):
        tris = np.concatenate([sphere[:at], lone, sphere[at:], lone[:, ::-1]])
        _assert_agree(tris)
        assert _fast(tris)[0].duplicate_faces == 1


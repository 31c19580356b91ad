"""Wall thickness by ray casting, on solids whose walls are known by construction."""

from __future__ import annotations

import numpy as np
import pytest

from tests.design.meshes import box, cube
from tests.ui.meshgen import sphere_triangles
from wyntek_desktop.design.thickness import face_thickness, thickness_map


def _faces_with_normal(tris: np.ndarray, axis: int, sign: float) -> np.ndarray:
    n = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    return np.flatnonzero(n[:, axis] * sign > 0.99)


def _hollow_box(outer: float, wall: float) -> np.ndarray:
    """A closed box with a closed cavity: the inner shell faces into the void."""
    inner = cube(outer - 2 * wall, (wall, wall, wall))[:, ::-1]  # reversed winding
    return np.concatenate([cube(outer), inner]).astype(np.float32)


def _subdivided_plate(size: float, thickness: float, cells: int) -> np.ndarray:
    """A plate whose top and bottom are fine grids (many rays, many walls)."""
    xs = np.linspace(0, size, cells + 1)
    out = []
    for z, up in ((thickness, True), (0.0, False)):
        for i in range(cells):
            for j in range(cells):
                a, b = (xs[i], xs[j], z), (xs[i + 1], xs[j], z)
                c, d = (xs[i + 1], xs[j + 1], z), (xs[i], xs[j + 1], z)
                quads = [(a, b, c), (a, c, d)] if up else [(a, c, b), (a, d, c)]
                out += quads
    return np.asarray(out, dtype=np.float32)


def test_a_2_mm_plate_reads_2_mm_on_its_faces() -> None:
    tris = box((40.0, 30.0, 2.0))
    t = face_thickness(tris)
    for sign in (1.0, -1.0):
        assert t[_faces_with_normal(tris, 2, sign)] == pytest.approx(2.0, abs=1e-4)
    assert t[_faces_with_normal(tris, 0, 1.0)] == pytest.approx(40.0, abs=1e-3)
    assert t[_faces_with_normal(tris, 1, -1.0)] == pytest.approx(30.0, abs=1e-3)


def test_a_tilted_plate_reads_its_thickness_not_the_cast_direction() -> None:
    tris = box((40.0, 30.0, 2.0)).astype(np.float64)
    angle = np.radians(17.0)  # far from every cast direction
    rot = np.array([[1, 0, 0], [0, np.cos(angle), -np.sin(angle)],
                    [0, np.sin(angle), np.cos(angle)]])
    tilted = (tris @ rot.T).astype(np.float32)
    t = face_thickness(tilted)
    big = np.argsort(-np.linalg.norm(np.cross(tris[:, 1] - tris[:, 0],
                                              tris[:, 2] - tris[:, 0]), axis=1))[:4]
    assert t[big] == pytest.approx(2.0, abs=1e-3)


def test_a_hollow_box_with_1_mm_walls_reads_1_mm_everywhere() -> None:
    tris = _hollow_box(20.0, 1.0)
    t = face_thickness(tris)
    assert t == pytest.approx(np.ones(len(tris)), abs=1e-4)
    m = thickness_map(tris, min_wall_mm=1.2)
    assert m.thinnest_mm() == pytest.approx(1.0, abs=1e-4)
    assert len(m.thin_faces()) == len(tris)
    assert len(thickness_map(tris, min_wall_mm=0.8).thin_faces()) == 0


def test_a_finely_meshed_plate_reads_its_thickness_on_every_grid_face() -> None:
    tris = _subdivided_plate(10.0, 1.5, 30)
    t = face_thickness(tris)
    assert t == pytest.approx(np.full(len(tris), 1.5), abs=1e-4)


def test_a_solid_sphere_reads_about_its_diameter() -> None:
    t = face_thickness(sphere_triangles(20_000, radius=10.0))
    with_area = t[~np.isnan(t)]  # the UV sphere's pole rows have slivers without area
    finite = with_area[np.isfinite(with_area)]
    assert len(finite) == len(with_area)
    # a curved far wall is measured along the cast direction (up to ~22° off the
    # normal): thick round sections read within about 8 %; thin walls are exact
    assert np.median(finite) == pytest.approx(20.0, rel=0.08)
    assert finite.min() > 0.9 * 20 * np.cos(np.radians(23))


def test_an_open_surface_and_a_face_without_area_are_told_apart() -> None:
    tris = box((10.0, 10.0, 2.0))
    top = tris[_faces_with_normal(tris, 2, 1.0)]  # only the top: nothing to leave by
    sliver = np.array([[[0, 0, 0], [1, 1, 1], [2, 2, 2]]], dtype=np.float32)
    t = face_thickness(np.concatenate([top, sliver]))
    assert np.isinf(t[:2]).all() and np.isnan(t[2])


@pytest.mark.slow
def test_benchmark_thickness_of_the_1_3_million_triangle_part_against_its_report(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Times the thickness map of the design benchmark's 1.3 M-triangle part against
    the report of the same part, alternately in one run (the ratio is what holds on a
    loaded machine; the issue's 2 s holds on a quiet one). Asserts no time."""
    import os
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root / "benchmarks"))
    from design_bench import make_stl  # type: ignore[import-not-found]

    from wyntek_desktop.design.analysis import analyze
    from wyntek_desktop.design.loaders import load_mesh

    path = make_stl("1.3M")
    tris = np.asarray(load_mesh(path).triangles, np.float32).reshape(-1, 3, 3)
    ratios, seconds, reports = [], [], []
    for _ in range(3):
        started = time.perf_counter()
        analyze(path)
        report = time.perf_counter() - started
        reports.append(report)
        started = time.perf_counter()
        t = face_thickness(tris)
        seconds.append(time.perf_counter() - started)
        ratios.append(seconds[-1] / report)
    ratios.sort()
    with capsys.disabled():
        print(f"\nthickness of {len(tris):,} triangles: {min(seconds):.2f} s best, "
              f"{ratios[1]:.2f}x the report's time (median of 3 pairs; the report "
              f"{min(reports):.2f} s best; load average {os.getloadavg()[0]:.2f})")
    with_area = t[~np.isnan(t)]
    assert np.isfinite(with_area).all()  # a closed sphere: every ray finds its far wall
    assert np.median(with_area) == pytest.approx(40.0, rel=0.1)

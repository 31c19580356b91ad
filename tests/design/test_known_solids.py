"""Exact answers on solids whose numbers are known by construction."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.design.meshes import box, cube, write_ascii_stl, write_binary_stl
from wyntek_desktop.design import DesignReport, analyze


@dataclass
class Material:
    id: str = "pa12"
    name: str = "PA12"
    process: str = "sls"
    build_volume_mm: tuple[float, float, float] = (300.0, 300.0, 300.0)
    min_wall_mm: float | None = None


def _stl(tmp_path: Path, tris: np.ndarray, name: str = "part.stl") -> Path:
    return write_binary_stl(tmp_path / name, tris)


def _codes(report: DesignReport) -> set[str]:
    return {f.code for f in report.findings}


def test_cube_volume_and_area_are_exact(tmp_path: Path) -> None:
    report = analyze(_stl(tmp_path, cube(10)))
    mesh = report.mesh
    assert mesh is not None
    assert mesh.volume_mm3 == pytest.approx(1000.0, abs=1e-6)
    assert mesh.volume_cm3 == pytest.approx(1.0, abs=1e-9)
    assert mesh.area_mm2 == pytest.approx(600.0, abs=1e-6)
    assert mesh.dimensions_mm == (10.0, 10.0, 10.0)
    assert mesh.triangles == 12 and len(mesh.bodies) == 1
    assert mesh.watertight and mesh.winding_consistent and not mesh.inverted
    assert not report.blocking and report.errors() == []
    assert "units_suspect" not in _codes(report)  # whole millimetres are not inches


def test_ascii_cube_gives_the_same_numbers(tmp_path: Path) -> None:
    mesh = analyze(write_ascii_stl(tmp_path / "cube.stl", cube(10))).mesh
    assert mesh is not None and mesh.encoding == "ascii"
    assert mesh.volume_mm3 == pytest.approx(1000.0, abs=1e-6)


def test_one_flipped_face_is_reported(tmp_path: Path) -> None:
    tris = cube(10)
    tris[5] = tris[5][::-1]
    report = analyze(_stl(tmp_path, tris))
    mesh = report.mesh
    assert mesh is not None
    assert not mesh.winding_consistent and mesh.flipped_edges == 3
    finding = next(f for f in report.findings if f.code == "inconsistent_winding")
    assert finding.values["flipped_edges"] == 3


def test_inside_out_cube_is_reported_and_volume_stays_positive(tmp_path: Path) -> None:
    report = analyze(_stl(tmp_path, cube(10)[:, ::-1]))
    mesh = report.mesh
    assert mesh is not None and mesh.inverted and mesh.winding_consistent
    assert mesh.volume_mm3 == pytest.approx(1000.0)
    assert "inverted_normals" in _codes(report)


def test_two_disjoint_cubes_are_two_bodies(tmp_path: Path) -> None:
    tris = np.concatenate([cube(10), cube(5, offset=(20, 0, 0))])
    mesh = analyze(_stl(tmp_path, tris)).mesh
    assert mesh is not None and len(mesh.bodies) == 2
    volumes = sorted(b.volume_mm3 for b in mesh.bodies)
    assert volumes == pytest.approx([125.0, 1000.0])
    assert all(b.watertight for b in mesh.bodies)
    assert mesh.volume_mm3 == pytest.approx(1125.0)


def test_cube_with_a_missing_face_is_not_watertight(tmp_path: Path) -> None:
    report = analyze(_stl(tmp_path, cube(10)[:-1]))
    mesh = report.mesh
    assert mesh is not None and not mesh.watertight and mesh.boundary_edges == 3
    assert report.blocking
    assert "not_watertight" in {f.code for f in report.errors()}


def test_duplicate_and_degenerate_faces_are_counted(tmp_path: Path) -> None:
    sliver = np.array([[[0, 0, 0], [5, 0, 0], [10, 0, 0]]], dtype=np.float32)
    tris = np.concatenate([cube(10), cube(10)[:1], sliver])
    report = analyze(_stl(tmp_path, tris))
    mesh = report.mesh
    assert mesh is not None
    assert mesh.duplicate_faces == 1
    assert mesh.degenerate_faces == 1
    assert {"duplicate_faces", "degenerate_faces"} <= _codes(report)


def test_non_manifold_edge_is_reported(tmp_path: Path) -> None:
    fin = np.array([[[0, 0, 0], [10, 0, 0], [5, -5, 5]]], dtype=np.float32)  # on a cube edge
    report = analyze(_stl(tmp_path, np.concatenate([cube(10), fin])))
    assert report.mesh is not None and report.mesh.non_manifold_edges == 1
    assert "non_manifold_edges" in _codes(report)


def test_fit_keeps_orientation_when_it_fits(tmp_path: Path) -> None:
    report = analyze(_stl(tmp_path, box((100, 50, 20))), material=Material())
    assert report.mesh is not None and report.mesh.fit is not None
    assert report.mesh.fit.fits and report.mesh.fit.orientation == "as is"


def test_fit_finds_the_rotation_that_fits(tmp_path: Path) -> None:
    material = Material(build_volume_mm=(250.0, 200.0, 100.0))
    report = analyze(_stl(tmp_path, box((50, 90, 240))), material=material)
    fit = report.mesh.fit if report.mesh else None
    assert fit is not None and fit.fits
    assert fit.orientation != "as is"
    assert fit.placed_mm[0] <= 250 and fit.placed_mm[1] <= 200 and fit.placed_mm[2] <= 100
    assert "fits_rotated" in _codes(report) and not report.blocking


def test_too_large_for_any_orientation_is_an_error(tmp_path: Path) -> None:
    report = analyze(_stl(tmp_path, box((400, 20, 20))), material=Material())
    assert "too_large_for_build_volume" in {f.code for f in report.errors()}
    finding = report.errors()[0]
    assert finding.values["build_volume_mm"] == [300.0, 300.0, 300.0]


def test_thin_part_warns_for_sls(tmp_path: Path) -> None:
    report = analyze(_stl(tmp_path, box((50, 50, 0.4))), material=Material())
    thin = next(f for f in report.findings if f.code == "thin_walls")
    assert thin.severity == "warning" and thin.values["thinnest_mm"] == pytest.approx(0.4, rel=0.05)
    thick = analyze(_stl(tmp_path, box((50, 50, 5)), "thick.stl"), material=Material())
    assert "thin_walls" not in _codes(thick)


def test_material_min_wall_overrides_the_default(tmp_path: Path) -> None:
    path = _stl(tmp_path, box((50, 50, 1.5)))
    assert "thin_walls" not in _codes(analyze(path, material=Material()))
    assert "thin_walls" in _codes(analyze(path, material=Material(min_wall_mm=2.0)))


def test_cnc_warns_for_a_tiny_part(tmp_path: Path) -> None:
    cnc = Material(id="al6061", name="Aluminium", process="cnc")
    assert "cnc_volume_too_small" in _codes(analyze(_stl(tmp_path, cube(3)), material=cnc))
    assert "cnc_volume_too_small" not in _codes(
        analyze(_stl(tmp_path, cube(20), "big.stl"), material=cnc))


def test_scale_multiplies_every_number(tmp_path: Path) -> None:
    report = analyze(_stl(tmp_path, cube(1)), scale=25.4)
    mesh = report.mesh
    assert mesh is not None
    assert mesh.dimensions_mm == pytest.approx((25.4, 25.4, 25.4))
    assert mesh.volume_mm3 == pytest.approx(25.4**3, rel=1e-6)
    assert mesh.scale == 25.4


def test_json_round_trip(tmp_path: Path) -> None:
    report = analyze(_stl(tmp_path, np.concatenate([cube(10), cube(5, (20, 0, 0))])),
                     material=Material())
    again = DesignReport.from_json(report.to_json())
    assert again == report
    assert again.to_json() == report.to_json()


def test_progress_and_cancel(tmp_path: Path) -> None:
    from concurrent.futures import CancelledError

    class State:
        def __init__(self, cancel_after: int) -> None:
            self.calls: list[tuple[float, str]] = []
            self.cancel_after = cancel_after

        def report_progress(self, fraction: float, message: str) -> None:
            self.calls.append((fraction, message))

        def is_cancelled(self) -> bool:
            return len(self.calls) >= self.cancel_after

    path = _stl(tmp_path, cube(10))
    state = State(cancel_after=10**6)
    analyze(path, state=state)
    fractions = [f for f, _ in state.calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    with pytest.raises(CancelledError):
        analyze(path, state=State(cancel_after=2))


def test_many_bodies_keep_the_stored_report_small(tmp_path: Path) -> None:
    from wyntek_desktop.design.report import MAX_LISTED_BODIES

    cubes = [cube(1 + (i % 7) * 0.1, offset=(3 * (i % 40), 3 * (i // 40), 0))
             for i in range(1200)]
    report = analyze(_stl(tmp_path, np.concatenate(cubes)))
    mesh = report.mesh
    assert mesh is not None and mesh.body_count == 1200
    assert len(mesh.bodies) == MAX_LISTED_BODIES
    assert min(b.volume_mm3 for b in mesh.bodies) >= 1.0 ** 3 - 1e-6
    assert len(report.to_json().encode()) < 512 * 1024
    assert DesignReport.from_json(report.to_json()) == report


def test_overhang_share_for_fdm(tmp_path: Path) -> None:
    fdm = Material(id="pla", name="PLA", process="fdm")
    # a table: a slab lifted on one thin leg -> its underside overhangs
    table = np.concatenate([box((2, 2, 20)), box((60, 60, 2)) + np.float32([-29, -29, 20])])
    report = analyze(_stl(tmp_path, table), material=fdm)
    support = next(f for f in report.findings if f.code == "needs_support")
    assert support.severity == "info"
    assert support.values["overhang_area_mm2"] == pytest.approx(60 * 60, rel=0.01)
    assert "needs_support" not in _codes(analyze(_stl(tmp_path, cube(10), "c.stl"),
                                                 material=fdm))


def test_one_inside_out_body_still_counts_its_volume(tmp_path: Path) -> None:
    tris = np.concatenate([cube(10), cube(5, offset=(20, 0, 0))[:, ::-1]])
    report = analyze(_stl(tmp_path, tris))
    mesh = report.mesh
    assert mesh is not None and mesh.inverted
    assert mesh.volume_mm3 == pytest.approx(1125.0)
    assert next(f for f in report.findings if f.code == "inverted_normals").values["bodies"]


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan"), float("inf"), 1e9])
def test_invalid_scale_is_refused_before_reading(tmp_path: Path, scale: float) -> None:
    from wyntek_desktop.core.errors import FileError

    with pytest.raises(FileError, match="scale factor"):
        analyze(_stl(tmp_path, cube(10)), scale=scale)

"""Every shared sample loads and its report matches the facts in samples/README.md."""

from __future__ import annotations

from functools import cache

import pytest

from tests.design.meshes import SAMPLES
from wyntek_desktop.design import analyze, classify, load_preview
from wyntek_desktop.design.png import png_size
from wyntek_desktop.design.report import DesignReport

# file: (triangles, watertight, bodies, dimensions mm (as the file's numbers), volume)
MESH_FACTS = {
    "featuretype.STL": (3476, True, 1, (5.0, 2.5, 1.375), 11.628),
    "plate_holes.STL": (1252, True, 1, (203.2, 304.8, 12.7), None),
    "counter.unitsmm.STL": (83750, True, 6, (304.8, 304.41, None), 888809),
    "busted.STL": (3878, True, 1, (10.7, 11.4, 9.6), None),
    "teapot.stl": (894, False, 4, (63.2, 39.3, 29.5), None),
    "1002_tray_bottom.STL": (4520, True, 1, (355.6, 3.175, 355.6), 347866),
    "fandisk.obj": (5750, True, 1, (1.69, 0.86, 1.56), None),
    "octagonal_pocket.ply": (3262, True, 1, (0.2286, 0.1647, 0.0159), None),
    "shell.prusa-slicer-project.3mf": (15272, True, 1, (33.0, 33.0, 100.0), 14618),
    "pins.glb": (3408, True, 7, (254.0, 254.0, None), None),
    "featuretype.STEP": (8326, True, 1, (127.0, 63.5, 34.925), 190470),
    "box_sides.STEP": (3940, True, 10, (184.15, 114.3, 95.25), None),
}


@cache
def _report(name: str) -> DesignReport:
    """Each sample analysed once per test run (STEP conversion takes a second or two)."""
    return analyze(SAMPLES / name)


def _close(actual: float, expected: float) -> bool:
    """Equal to the digits the README prints (10.7 means 10.65..10.75)."""
    decimals = len(repr(expected).split(".")[1]) if "." in repr(expected) else 0
    return abs(actual - expected) <= 0.51 * 10.0 ** -decimals


@pytest.mark.parametrize("name", sorted(MESH_FACTS))
def test_mesh_sample_matches_readme(name: str) -> None:
    triangles, watertight, bodies, dims, volume = MESH_FACTS[name]
    report = _report(name)
    mesh = report.mesh
    assert report.kind == "model" and mesh is not None
    assert mesh.triangles == triangles
    assert mesh.watertight is watertight
    assert len(mesh.bodies) == bodies
    for actual, expected in zip(mesh.dimensions_mm, dims, strict=True):
        if expected is not None:
            assert _close(actual, expected), (actual, dims)
    if volume is not None:
        assert mesh.volume_mm3 == pytest.approx(volume, rel=0.001)
    if watertight:
        assert all(b.watertight for b in mesh.bodies)
        assert not report.blocking
    assert report.to_json()


def test_teapot_reports_its_holes() -> None:
    report = _report("teapot.stl")
    assert report.mesh is not None and report.mesh.boundary_edges == 64
    hole = next(f for f in report.findings if f.code == "not_watertight")
    assert hole.severity == "error" and hole.values["boundary_edges"] == 64
    assert report.blocking


def test_binary_stl_whose_header_starts_with_solid_is_read_as_binary() -> None:
    assert (SAMPLES / "plate_holes.STL").read_bytes()[:5] == b"solid"
    report = _report("plate_holes.STL")
    assert report.mesh is not None and report.mesh.encoding == "binary"


def test_ascii_stl_is_read_as_ascii() -> None:
    report = _report("1002_tray_bottom.STL")
    assert report.mesh is not None and report.mesh.encoding == "ascii"


def test_counter_bodies_are_each_watertight_and_add_up() -> None:
    mesh = _report("counter.unitsmm.STL").mesh
    assert mesh is not None
    assert sum(b.triangles for b in mesh.bodies) == mesh.triangles
    assert sum(b.volume_mm3 for b in mesh.bodies) == pytest.approx(mesh.volume_mm3, rel=1e-6)
    small = sorted(mesh.bodies, key=lambda b: b.volume_mm3)[:5]
    for body in small:
        assert sorted(body.dimensions_mm) == pytest.approx([12.1, 12.1, 25.4], abs=0.1)


def test_inch_part_gets_a_rescale_suggestion_and_rescales() -> None:
    report = _report("featuretype.STL")
    warning = next(f for f in report.findings if f.code == "units_suspect")
    assert warning.severity == "warning"
    assert report.suggested_scale() == 25.4
    rescaled = analyze(SAMPLES / "featuretype.STL", scale=25.4)
    assert rescaled.mesh is not None
    assert rescaled.mesh.dimensions_mm == pytest.approx((127.0, 63.5, 34.925), abs=0.01)
    assert rescaled.volume_cm3 == pytest.approx(190.55, abs=0.01)
    assert not any(f.code == "units_suspect" for f in rescaled.findings)


def test_metre_numbers_in_a_ply_are_suspected() -> None:
    report = _report("octagonal_pocket.ply")
    assert report.suggested_scale() == 1000.0


def test_declared_units_are_honoured() -> None:
    step = _report("featuretype.STEP").mesh
    glb = _report("pins.glb").mesh
    threemf = _report("shell.prusa-slicer-project.3mf").mesh
    assert step is not None and step.source_unit == "meters" and step.scale == 1000.0
    assert glb is not None and glb.source_unit == "mm"
    assert threemf is not None and threemf.source_unit == "millimeter"


def test_step_and_stl_of_the_same_part_agree() -> None:
    step = _report("featuretype.STEP")
    stl = analyze(SAMPLES / "featuretype.STL", scale=25.4)
    assert step.volume_cm3 == pytest.approx(stl.volume_cm3, rel=0.002)


def test_3mf_embedded_thumbnail_is_exposed() -> None:
    preview = load_preview(SAMPLES / "shell.prusa-slicer-project.3mf")
    assert preview.thumbnail_png is not None
    assert png_size(preview.thumbnail_png) == (256, 256)


@pytest.mark.parametrize("name", ["dimtad-dimjust.pdf", "underlay.pdf"])
def test_pdf_samples_are_one_page_drawings(name: str) -> None:
    report = _report(name)
    assert report.kind == "drawing"
    assert report.drawing is not None and report.drawing.pages == 1
    assert not report.blocking


def test_classify_every_sample() -> None:
    kinds = {p.name: classify(p) for p in SAMPLES.iterdir() if p.name != "README.md"}
    assert kinds["esp-rgb-driver-gerbers.zip"] == "gerber"
    assert kinds["underlay.pdf"] == "drawing"
    assert kinds["box_sides.STEP"] == "model"
    assert sum(k == "model" for k in kinds.values()) == 12
    assert classify(SAMPLES / "README.md") == "other"

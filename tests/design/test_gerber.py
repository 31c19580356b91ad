"""Gerber/Excellon archives: layer recognition, outline size, used and ignored files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.design.meshes import SAMPLES
from tests.support.gerber import COPPER, DRILL, OUTLINE
from wyntek_desktop.design import DesignReport, analyze
from wyntek_desktop.design.gerber import recognise


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _codes(report: DesignReport) -> set[str]:
    return {f.code for f in report.findings}


def test_kicad_archive_in_a_subfolder() -> None:
    report = analyze(SAMPLES / "esp-rgb-driver-gerbers.zip")
    info = report.gerber
    assert report.kind == "gerber" and info is not None
    assert info.outline_mm == pytest.approx((66.05, 32.05), abs=0.005)
    assert info.copper_layers == 2
    roles = {(x.role, x.side) for x in info.layers}
    assert roles == {("copper", "top"), ("copper", "bottom"), ("soldermask", "top"),
                     ("soldermask", "bottom"), ("silkscreen", "top"),
                     ("silkscreen", "bottom"), ("paste", "top"), ("paste", "bottom"),
                     ("outline", ""), ("drill", "")}
    assert all(x.file.startswith("gerber/") for x in info.layers)
    ignored = {Path(x.file).name: x.reason for x in info.ignored}
    assert set(ignored) == {"esp-rgb-driver.gbrjob", "esp-rgb-driver-CmtUser.gbr",
                            "esp-rgb-driver-drl_map.pdf", "drill_report.rpt"}
    assert "Comment" in ignored["esp-rgb-driver-CmtUser.gbr"]
    assert not report.blocking


def test_eagle_archive_with_x2_attributes_and_xln_drill() -> None:
    report = analyze(SAMPLES / "eagle9-dallamcsengo-gerbers.zip")
    info = report.gerber
    assert info is not None
    assert len(info.layers) == 10 and [x.file for x in info.ignored] == ["gerber_job.gbrjob"]
    assert info.outline_mm == pytest.approx((62.21, 21.26), abs=0.005)
    drill = next(x for x in info.layers if x.role == "drill")
    assert drill.file == "drills.xln" and drill.recognised_by == "content"
    with zipfile.ZipFile(SAMPLES / "eagle9-dallamcsengo-gerbers.zip") as archive:
        lines = archive.read("drills.xln").decode().splitlines()
    assert info.drill_holes == sum(1 for ln in lines if ln.startswith(("X", "Y")))
    assert not report.blocking


def test_names_alone_are_enough(tmp_path: Path) -> None:
    path = _zip(tmp_path / "board.zip", {"pcb/board.GTL": COPPER, "pcb/board.gbl": COPPER,
                                         "pcb/board.gko": OUTLINE, "pcb/board.txt": DRILL,
                                         "pcb/readme.md": b"hello"})
    report = analyze(path)
    info = report.gerber
    assert info is not None
    assert info.copper_layers == 2
    assert info.outline_mm == pytest.approx((50.1, 20.1))  # centre line + 0.1 mm stroke
    assert info.drill_holes == 2
    assert {x.recognised_by for x in info.layers if x.role == "copper"} == {"name"}
    assert [x.file for x in info.ignored] == ["pcb/readme.md"]
    assert not report.blocking


def test_inch_outline_with_trailing_zero_format(tmp_path: Path) -> None:
    outline = (b"%FSTAX24Y24*%\n%MOIN*%\n%ADD10C,0.0*%\nD10*\nX0Y0D02*\nX02D01*\n"
               b"Y01D01*\nX0D01*\nY0D01*\nM02*\n")
    info = analyze(_zip(tmp_path / "in.zip", {"b.gm1": outline, "b.gtl": COPPER})).gerber
    assert info is not None and info.outline_mm == pytest.approx((50.8, 25.4))


def test_circular_outline_counts_the_arc_bulge(tmp_path: Path) -> None:
    circle = (b"%FSLAX46Y46*%\n%MOMM*%\n%ADD10C,0*%\nD10*\nG75*\nX10000000Y0D02*\n"
              b"G03X10000000Y0I-10000000J0D01*\nM02*\n")
    info = analyze(_zip(tmp_path / "round.zip", {"r.gm1": circle, "r.gtl": COPPER})).gerber
    assert info is not None and info.outline_mm == pytest.approx((20.0, 20.0))


def test_missing_outline_is_an_error(tmp_path: Path) -> None:
    report = analyze(_zip(tmp_path / "no_outline.zip", {"b.gtl": COPPER, "b.drl": DRILL}))
    assert "gerber_no_outline" in {f.code for f in report.errors()}
    assert report.blocking


def test_missing_copper_is_an_error(tmp_path: Path) -> None:
    report = analyze(_zip(tmp_path / "no_copper.zip", {"b.gm1": OUTLINE, "b.drl": DRILL}))
    assert "gerber_no_copper" in {f.code for f in report.errors()}


def test_archive_without_any_gerber(tmp_path: Path) -> None:
    report = analyze(_zip(tmp_path / "photos.zip", {"a.jpg": b"\xff\xd8", "b.txt": b"hi"}))
    assert "gerber_no_layers" in {f.code for f in report.errors()}
    assert report.gerber is not None and len(report.gerber.ignored) == 2


def test_missing_drill_is_a_warning(tmp_path: Path) -> None:
    report = analyze(_zip(tmp_path / "nodrill.zip", {"b.gtl": COPPER, "b.gm1": OUTLINE}))
    assert "gerber_no_drill" in {f.code for f in report.warnings()}
    assert not report.blocking


def test_gerber_with_a_non_pcb_material_is_refused(tmp_path: Path) -> None:
    class Resin:
        id, name, process, build_volume_mm = "resin", "Resin", "sla", (100, 100, 100)

    path = _zip(tmp_path / "b.zip", {"b.gtl": COPPER, "b.gm1": OUTLINE, "b.drl": DRILL})
    assert "gerber_wrong_process" in _codes(analyze(path, material=Resin()))


@pytest.mark.parametrize("name,role,side", [
    ("x/board-F_Cu.gbr", "copper", "top"), ("board-B_Mask.gbr", "soldermask", "bottom"),
    ("board-Edge_Cuts.gbr", "outline", ""), ("b.GBO", "silkscreen", "bottom"),
    ("b.g2", "copper", "inner"), ("b.cmp", "copper", "top"), ("b.sts", "soldermask", "bottom"),
])
def test_recognise_by_name(name: str, role: str, side: str) -> None:
    assert recognise(name, COPPER)[:3] == (role, side, "name")


def test_content_beats_name() -> None:
    x2 = b"%TF.FileFunction,Copper,L2,Bot*%\n" + COPPER
    assert recognise("misleading.gtl", x2)[:3] == ("copper", "bottom", "content")
    kicad = b"G04 #@! TF.FileFunction,Soldermask,Top*\n" + COPPER
    assert recognise("whatever.gbr", kicad)[:3] == ("soldermask", "top", "content")


def test_long_ignored_list_is_summarised(tmp_path: Path) -> None:
    from wyntek_desktop.design.report import MAX_LISTED_FILES

    entries = {"b.gtl": COPPER, "b.gm1": OUTLINE} | {f"junk/{i}.txt": b"x" for i in range(600)}
    info = analyze(_zip(tmp_path / "junk.zip", entries)).gerber
    assert info is not None and len(info.ignored) == MAX_LISTED_FILES + 1
    assert info.ignored[-1].reason == f"and {600 - MAX_LISTED_FILES} more files"

"""DipTrace's file names and layers assigned by hand."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.support.gerber import COPPER, DRILL, OUTLINE
from wyntek_desktop.core.errors import UsageError
from wyntek_desktop.design import analyze
from wyntek_desktop.design.gerber import recognise

DIPTRACE = {
    "board_Top.gbr": ("copper", "top"), "board_Bottom.gbr": ("copper", "bottom"),
    "board_TopMask.gbr": ("soldermask", "top"),
    "board_BottomMask.gbr": ("soldermask", "bottom"),
    "board_TopSilk.gbr": ("silkscreen", "top"),
    "board_BottomSilk.gbr": ("silkscreen", "bottom"),
    "board_TopPaste.gbr": ("paste", "top"), "board_BottomPaste.gbr": ("paste", "bottom"),
    "board_BoardOutline.gbr": ("outline", ""), "board_Inner1.gbr": ("copper", "inner"),
    "My Board_Top.gbr": ("copper", "top"),
}


@pytest.mark.parametrize(("name", "expected"), sorted(DIPTRACE.items()))
def test_diptrace_names_are_recognised(name: str, expected: tuple[str, str]) -> None:
    data = OUTLINE if expected[0] == "outline" else COPPER
    role, side, how, _ = recognise(name, data)
    assert (role, side, how) == (*expected, "name")


@pytest.mark.parametrize("name", ["board_TopAssy.gbr", "board_BottomAssy.gbr"])
def test_diptrace_assembly_drawings_are_not_fabrication_data(name: str) -> None:
    role, _, _, why = recognise(name, COPPER)
    assert role is None and "assembly" in why


@pytest.mark.parametrize("name", ["laptop.gbr", "desktop.gbr", "stop.gbr"])
def test_words_ending_in_top_are_not_layers(name: str) -> None:
    assert recognise(name, COPPER)[0] is None


def _archive(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def test_a_diptrace_board_can_be_made(tmp_path: Path) -> None:
    zip_path = _archive(tmp_path / "diptrace.zip", {
        "board_Top.gbr": COPPER, "board_Bottom.gbr": COPPER, "board_TopMask.gbr": COPPER,
        "board_TopSilk.gbr": COPPER, "board_BoardOutline.gbr": OUTLINE,
        "board_Through.drl": DRILL})
    report = analyze(zip_path)
    assert not report.blocking, report.findings
    assert report.gerber is not None and report.gerber.copper_layers == 2
    assert report.gerber.outline_mm == (50.1, 20.1)  # includes the 0.1 mm line


def test_layers_assigned_by_hand_win_and_are_kept_in_the_report(tmp_path: Path) -> None:
    zip_path = _archive(tmp_path / "odd.zip", {
        "l1.gbr": COPPER, "l2.gbr": COPPER, "shape.gbr": OUTLINE, "holes.drl": DRILL,
        "notes.gbr": COPPER})
    before = analyze(zip_path)
    assert before.blocking  # nothing says which file is which
    report = analyze(zip_path, gerber_layers={"l1.gbr": "copper top",
                                              "l2.gbr": "copper bottom",
                                              "shape.gbr": "outline", "holes.drl": "not used"})
    assert report.gerber is not None
    layers = {x.file: (x.role, x.side, x.recognised_by) for x in report.gerber.layers}
    assert layers["l1.gbr"] == ("copper", "top", "user")
    assert layers["l2.gbr"] == ("copper", "bottom", "user")
    assert layers["shape.gbr"] == ("outline", "", "user")
    assert "holes.drl" not in layers
    assert not report.blocking
    assert report.gerber.outline_mm == (50.1, 20.1)  # includes the 0.1 mm line
    stored = report.to_dict()["gerber"]["layers"]
    assert {"file": "l1.gbr", "role": "copper", "side": "top", "recognised_by": "user"} in stored


def test_an_unknown_assignment_is_refused_with_the_choices(tmp_path: Path) -> None:
    zip_path = _archive(tmp_path / "odd.zip", {"l1.gbr": COPPER})
    with pytest.raises(UsageError, match="copper top"):
        analyze(zip_path, gerber_layers={"l1.gbr": "copper middle"})

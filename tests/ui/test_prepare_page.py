"""The Prepare page with real widgets (offscreen), real files and the real helper
process: reports checked again when the process changes, the estimate, finishes per
process, Gerber layers assigned by hand, re-opened files, fields of the last job."""

from __future__ import annotations

import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.design.meshes import cube, write_binary_stl
from tests.support.gerber import COPPER, DRILL, OUTLINE
from tests.ui.journey_support import SAMPLES, start_app, stop_app, wait_reports
from wyntek_desktop.core.models import Material

pytestmark = pytest.mark.timeout(300)

MATERIALS = [
    Material(id="fdm-pla", process="fdm", name="PLA", tokens_per_cm3=Decimal("1.20"),
             setup_tokens=15, build_volume_mm=[250, 210, 220]),
    Material(id="sla-grey", process="sla", name="Standard Resin Grey",
             tokens_per_cm3=Decimal("3.50"), setup_tokens=30, build_volume_mm=[145, 145, 185]),
    Material(id="cnc-al-6061", process="cnc", name="Aluminium 6061-T6",
             tokens_per_cm3=Decimal("28.00"), setup_tokens=400, build_volume_mm=[600, 400, 300]),
    Material(id="pcb-fr4-2l", process="pcb", name="FR-4 1.6 mm, 2 layers",
             tokens_per_cm3=Decimal("12.00"), setup_tokens=150, build_volume_mm=[500, 400, 3]),
]


@pytest.fixture
def app(qtbot: Any) -> Any:
    app = start_app(qtbot, None)
    app.window.prepare.spec.set_materials(MATERIALS)
    yield app
    stop_app(qtbot, app)


def _codes(pf: Any) -> set[str]:
    return {f.code for f in pf.report.findings}


def test_a_gerber_report_is_checked_again_when_the_process_changes(qtbot: Any, app: Any
                                                                   ) -> None:
    page = app.window.prepare
    assert page.spec.select_material("sla-grey")
    page.open_paths([str(SAMPLES / "eagle9-dallamcsengo-gerbers.zip")])
    wait_reports(qtbot, app, 1)
    assert "gerber_wrong_process" in _codes(page.files[0])
    assert "not with SLA" in page.report.text()
    assert page.spec.select_material("pcb-fr4-2l")
    assert "not with SLA" not in page.report.text()  # at once, not after the check
    qtbot.waitUntil(lambda: page.files[0].report is not None
                    and "gerber_wrong_process" not in _codes(page.files[0]), timeout=60_000)
    assert "not with SLA" not in page.report.text()
    assert page.files[0].report.material_id == "pcb-fr4-2l"
    assert not page.files[0].blocking
    # a board is priced by its area, as the service prices it
    from wyntek_desktop.design.estimate import estimate_tokens
    expected = estimate_tokens(page.files[0].report, MATERIALS[3], 1, "0.2")
    assert page.spec.estimate.text().startswith(f"Estimate: {expected:,} tokens (board ")


def test_finish_options_follow_the_process(app: Any) -> None:
    spec = app.window.prepare.spec

    def finishes() -> list[str]:
        return [spec.finish.itemText(i) for i in range(spec.finish.count())]

    assert spec.select_material("pcb-fr4-2l")
    assert "ENIG" in finishes() and any(f.startswith("HASL") for f in finishes())
    assert "Anodised" not in finishes()
    assert spec.select_material("cnc-al-6061")
    assert "Anodised" in finishes() and "ENIG" not in finishes()
    spec.finish.setCurrentText("Anodised")
    assert spec.select_material("fdm-pla")
    assert "Anodised" not in finishes() and spec.finish.currentText() != "Anodised"


def test_estimate_waits_for_the_measurement_and_names_files_it_cannot_price(
        qtbot: Any, app: Any, tmp_path: Path) -> None:
    page = app.window.prepare
    assert page.spec.select_material("fdm-pla")
    small = write_binary_stl(tmp_path / "small.stl", cube(20))        # 8 cm³
    huge = write_binary_stl(tmp_path / "huge.stl", cube(2700))        # 19.7 million cm³
    page._add_files([small])  # what opening does once the worker has expanded the paths
    assert "estimating" in page.spec.estimate.text()
    assert "0.00" not in page.spec.estimate.text()
    wait_reports(qtbot, app, 1)
    assert page.spec.estimate.text() == "Estimate: 25 tokens (8.00 cm³)"
    page.open_paths([str(huge)])
    wait_reports(qtbot, app, 2)
    problems = page.spec.problems.text()
    assert "huge.stl cannot be priced" in problems, problems
    assert "19,683,000 cm³" in problems and "10,000,000 cm³" in problems
    assert page.spec.estimate.text() == "Estimate: —"
    assert not page.spec.submit_button.isEnabled()
    page.file_list.setCurrentRow(1)
    page.remove_selected()
    assert page.spec.estimate.text() == "Estimate: 25 tokens (8.00 cm³)"


def test_reopening_a_listed_file_says_so_and_selects_it(qtbot: Any, app: Any) -> None:
    page = app.window.prepare
    page.open_paths([str(SAMPLES / "plate_holes.STL"), str(SAMPLES / "underlay.pdf")])
    qtbot.waitUntil(lambda: len(page.files) == 2, timeout=30_000)
    page.file_list.setCurrentRow(1)
    page.open_paths([str(SAMPLES / "plate_holes.STL")])
    qtbot.waitUntil(lambda: "already in the list" in page.banner.text(), timeout=30_000)
    assert "plate_holes.STL" in page.banner.text()
    assert len(page.files) == 2 and page.file_list.currentRow() == 0
    wait_reports(qtbot, app, 2)


def _odd_archive(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in {"layer1.gbr": COPPER, "layer2.gbr": COPPER, "shape.gbr": OUTLINE,
                           "holes.drl": DRILL}.items():
            archive.writestr(name, data)
    return path


def test_layers_assigned_by_hand_are_checked_and_go_into_the_job(qtbot: Any, app: Any,
                                                                 tmp_path: Path) -> None:
    page = app.window.prepare
    assert page.spec.select_material("pcb-fr4-2l")
    page.open_paths([str(_odd_archive(tmp_path / "board.zip"))])
    wait_reports(qtbot, app, 1)
    assert page.files[0].blocking  # no copper, no outline recognised by name
    assert page.report.assign_layers.isVisibleTo(page.report)
    page.assign_layers()
    dialog = page.layer_dialog
    assert dialog is not None and set(dialog.combos) >= {"layer1.gbr", "shape.gbr"}
    dialog.set_layer("layer1.gbr", "copper top")
    dialog.set_layer("layer2.gbr", "copper bottom")
    dialog.set_layer("shape.gbr", "outline")
    dialog.accept()
    qtbot.waitUntil(lambda: page.files[0].report is not None
                    and not page.files[0].blocking, timeout=60_000)
    assert "assigned by you" in page.report.text()
    page.spec.delivery.setPlainText("Dock 4")
    page.spec.notes.setPlainText("Green mask")
    qtbot.waitUntil(page.spec.add_button.isEnabled, timeout=30_000)
    page.queue_job(submit=False)
    qtbot.waitUntil(lambda: not page.files, timeout=30_000)
    # the next job starts without the last one's delivery and notes
    assert page.spec.delivery.toPlainText() == "" and page.spec.notes.toPlainText() == ""
    assert page.spec.selected_material().id == "pcb-fr4-2l"
    job = app.services.outbox.jobs()[-1]
    layers = {x["file"]: x for x in job.files[0].analysis["gerber"]["layers"]}
    assert layers["layer1.gbr"]["recognised_by"] == "user"
    assert (layers["shape.gbr"]["role"], layers["shape.gbr"]["recognised_by"]) == (
        "outline", "user")


def test_a_file_without_a_3d_view_is_named_by_its_kind(qtbot: Any, app: Any) -> None:
    page = app.window.prepare
    page.open_paths([str(SAMPLES / "underlay.pdf")])
    wait_reports(qtbot, app, 1)
    # a drawing is shown as its pages where the 3D view would be, named as a drawing
    qtbot.waitUntil(lambda: page.sheet.mode() == "pdf", timeout=60_000)
    assert page.view_stack.currentWidget() is page.sheet
    text = page.sheet.caption.text()
    assert "a other" not in text and "drawing" in text and "underlay.pdf" in text


def test_long_texts_do_not_move_the_layout(qtbot: Any, app: Any, tmp_path: Path) -> None:
    w = app.window
    page = w.prepare
    w.resize(1280, 780)
    w.show()
    qtbot.waitExposed(w)
    w.show_page("prepare")
    long_name = tmp_path / ("bracket-for-the-left-hand-door-hinge-revision-c-final-really-"
                            "final-2026-11-30.stl")
    write_binary_stl(long_name, cube(20))
    assert page.spec.select_material("fdm-pla")
    page.open_paths([str(long_name)])
    wait_reports(qtbot, app, 1)
    qtbot.wait(50)
    sizes = page.splitter.sizes()
    page.spec.estimate.setText("Estimate: 2,147,483,000 tokens (9,999,999.99 cm³) "
                               "for 10,000 copies at the tightest tolerance")
    page.spec.set_problems(["bracket-for-the-left-hand-door-hinge-revision-c-final.stl "
                            "cannot be priced: its volume is more than one job can hold."])
    qtbot.wait(50)
    assert page.splitter.sizes() == sizes, "a long estimate widened the job panel"
    # the name is shortened in the list (whole path in the tooltip), no scroll bar
    assert not page.file_list.horizontalScrollBar().isVisible()
    item = page.file_list.item(0)
    assert item.toolTip() == str(long_name)
    rect = page.file_list.visualItemRect(item)
    assert rect.right() <= page.file_list.viewport().width() + 1

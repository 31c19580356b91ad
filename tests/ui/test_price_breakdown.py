"""The Prepare page's price, readable: setup, each file and part, the factors, the
quantity and the one rounding, adding up to what the service charges; PCB options
(layers, thickness, finish) in the form for boards only, priced and sent in the spec."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.support.samples import SAMPLES
from tests.ui.journey_support import start_app, stop_app, wait_reports
from wyntek_desktop.core.models import Material
from wyntek_desktop.core.pricing import quote

MATERIALS = [
    Material(id="fdm-pla", process="fdm", name="PLA", tokens_per_cm3=Decimal("1.20"),
             setup_tokens=15, build_volume_mm=[400, 400, 400]),
    Material(id="pcb-fr4-4l", process="pcb", name="FR-4 1.6 mm, 4 layers",
             tokens_per_cm3=Decimal("20.00"), setup_tokens=250, build_volume_mm=[500, 400, 3],
             copper_layers=4),
]


@pytest.fixture
def app(qtbot: Any) -> Any:
    app = start_app(qtbot, None)
    app.window.prepare.spec.set_materials(MATERIALS)
    yield app
    stop_app(qtbot, app)


def lines(page: Any) -> list[tuple[str, str, str]]:
    return [(x.label, x.detail, x.tokens) for x in page.last_estimate.lines]


def test_a_multi_body_part_is_broken_down_per_file_and_part(qtbot: Any, app: Any) -> None:
    page = app.window.prepare
    spec = page.spec
    assert spec.select_material("fdm-pla")
    spec.quantity.setValue(3)
    spec.tolerance.setValue(0.1)
    page.open_paths([str(SAMPLES / "counter.unitsmm.STL"), str(SAMPLES / "plate_holes.STL")])
    wait_reports(qtbot, app, 2, timeout=120_000)
    assert not spec.board_layers.isVisible() and not spec.board_thickness.isVisible()
    volume = sum(f.report.volume_cm3 for f in page.files)
    expected = quote(MATERIALS[0], Decimal(str(round(volume, 6))), 3, Decimal("0.1"))
    assert page.estimate_tokens == expected
    got = lines(page)
    assert got[0] == ("Setup", "once per job", "15")
    assert got[-1][0] == "Total" and got[-1][2] == f"{expected:,}"
    names = [label for label, _, _ in got]
    assert "counter.unitsmm.STL" in names and "plate_holes.STL" in names
    assert sum(1 for n in names if n.startswith("part ")) == 6   # the counter's 6 bodies
    assert any("1.25 tolerance" in detail for _, detail, _ in got)
    copies = next(x for x in got if x[0] == "× 3 copies")  # noqa: RUF001
    assert int(copies[2].replace(",", "")) + 15 == expected
    text = spec.breakdown.text()
    assert "Setup" in text and "Total" in text and f"{expected:,}" in text


def test_board_options_are_in_the_form_priced_and_sent(qtbot: Any, app: Any) -> None:
    page = app.window.prepare
    spec = page.spec
    assert spec.select_material("pcb-fr4-4l")
    page.open_paths([str(SAMPLES / "esp-rgb-driver-gerbers.zip")])
    wait_reports(qtbot, app, 1)
    qtbot.waitUntil(lambda: page.files[0].report.material_id == "pcb-fr4-4l", timeout=60_000)
    assert spec.form.isRowVisible(spec.board_layers)
    layers = [spec.board_layers.itemText(i) for i in range(spec.board_layers.count())]
    assert layers == ["As in the archive", "1 layer (×0.85)", "2 layers (×0.85)",  # noqa: RUF001
                      "4 layers"]
    assert not spec.finish.isEditable()  # a board's finish is priced: chosen, not typed
    area, copper = page.board()
    assert copper == 2 and area == pytest.approx(66.05 * 32.05 / 100, abs=0.001)
    standard = page.estimate_tokens
    assert standard == quote(MATERIALS[1], 0, 1, "0.2", area, copper)
    spec.board_layers.setCurrentIndex(spec.board_layers.findData(2))
    spec.board_thickness.setCurrentIndex(spec.board_thickness.findData("0.8"))
    spec.finish.setCurrentText("ENIG")
    expected = quote(MATERIALS[1], 0, 1, "0.2", area, copper, 2, "0.8", "ENIG")
    assert page.estimate_tokens == expected != standard
    detail = next(d for label, d, _ in lines(page) if label.endswith(".zip"))
    assert "0.85 2 layers, fewer than the material's" in detail
    assert "1.10 0.8 mm thick" in detail and "1.20 ENIG" in detail
    job = page.job_spec()
    assert (job["board_layers"], job["board_thickness_mm"], job["finish"]) == (2, 0.8, "ENIG")
    # one layer is refused for a two-layer archive, in a sentence
    spec.board_layers.setCurrentIndex(spec.board_layers.findData(1))
    assert page.estimate_tokens is None
    assert "needs at least 2 layers" in spec.problems.text()
    # other processes hide the options and send none of them
    assert spec.select_material("fdm-pla")
    assert not spec.form.isRowVisible(spec.board_layers)
    assert "board_layers" not in page.job_spec() and spec.finish.isEditable()

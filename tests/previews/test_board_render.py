"""The rendered board of the real sample archives: copper inside the outline, drills as
holes, nothing outside the board, the bottom seen from below, EAGLE's clear polarity."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.support.samples import SAMPLES
from wyntek_desktop.core.errors import FileError
from wyntek_desktop.design import board_render
from wyntek_desktop.design.board_render import (
    FINISH,
    MASK,
    MASK_ON_COPPER,
    SILK,
    SUPERSAMPLE,
    board_grid,
    board_images,
    read_layers,
    render_side,
)
from wyntek_desktop.design.png import png_size

KICAD = SAMPLES / "esp-rgb-driver-gerbers.zip"
EAGLE = SAMPLES / "eagle9-dallamcsengo-gerbers.zip"
SIZE = 600


@pytest.fixture(scope="module")
def kicad():
    layers = read_layers(KICAD)
    return layers, {side: render_side(layers, side, SIZE) for side in ("top", "bottom")}


def pixel(layers, side, x_mm, y_mm):
    """Row and column of a board point in the output image."""
    grid = board_grid(layers, side, SIZE)
    px, py = grid.to_pixels(np.array([[x_mm, y_mm]]))[0] / SUPERSAMPLE
    return int(py), int(px)


def colour_share(image, rgb):
    hit = np.all(image[..., :3] == rgb, axis=-1) & (image[..., 3] == 255)
    return hit.sum() / max(1, (image[..., 3] > 0).sum())


def test_the_board_is_drawn_at_its_size_with_copper_and_mask_inside_the_outline(kicad):
    layers, images = kicad
    top = images["top"]
    h, w = top.shape[:2]
    assert max(h, w) == SIZE
    assert w / h == pytest.approx(66.05 / 32.05, rel=0.05)  # the outline's proportions
    # most of the board is green mask, over bare board or over copper pours
    assert colour_share(top, MASK) + colour_share(top, MASK_ON_COPPER) > 0.6
    assert colour_share(top, MASK) > 0.05
    assert colour_share(top, FINISH) > 0.02         # pads: copper in mask openings
    assert colour_share(top, SILK) > 0.005          # the legend
    # the outline has rounded corners: the very corner of its box is not board
    x0, y0, x1, y1 = layers.bounds()
    row, col = pixel(layers, "top", x0 + 0.05, y1 - 0.05)
    assert top[row, col, 3] == 0
    row, col = pixel(layers, "top", (x0 + x1) / 2, y0 + 3)
    assert top[row, col, 3] == 255


def test_drills_are_holes_through_both_sides(kicad):
    layers, images = kicad
    mounting = [h for h in layers.holes if h.diameter >= 3.0]
    assert len(mounting) == 4 and len(layers.holes) > 100
    for side in ("top", "bottom"):
        for hole in mounting:
            row, col = pixel(layers, side, hole.x, hole.y)
            assert images[side][row, col, 3] == 0, (side, hole)
            # the plated ring around it is copper in a mask opening (mostly: these
            # mounting holes also have a ring of small vias)
            ring = [pixel(layers, side, hole.x + (hole.diameter / 2 + 0.3) * np.cos(a),
                          hole.y + (hole.diameter / 2 + 0.3) * np.sin(a))
                    for a in np.linspace(0, 2 * np.pi, 24, endpoint=False)]
            gold = [tuple(images[side][r, c, :3]) == FINISH for r, c in ring]
            assert sum(gold) > len(ring) / 2, (side, hole)


def test_top_and_bottom_differ_and_the_bottom_is_seen_from_below(kicad):
    _layers, images = kicad
    top, bottom = images["top"], images["bottom"]
    assert top.shape == bottom.shape
    assert (np.any(top != bottom, axis=-1)).mean() > 0.1
    # the outline is the same board seen from the other side: alpha mirrors exactly,
    # apart from pixels on a hole's or the outline's edge
    mirrored = bottom[:, ::-1, 3] > 0
    assert (mirrored != (top[..., 3] > 0)).mean() < 0.01


def test_eagle_clear_polarity_cuts_the_ground_pour(tmp_path):
    layers = read_layers(EAGLE)
    bottom = layers.copper["bottom"][0]
    assert any(not run.dark for run in bottom.runs), "EAGLE pours use %LPC% clearances"
    images = board_images(EAGLE, size=400)
    assert png_size(images.top) is not None and png_size(images.bottom) is not None
    assert images.width_mm == pytest.approx(62.2, abs=0.2) and not images.notes
    side = render_side(layers, "bottom", 400)
    clearances = pixel_sets = 0
    for hole in layers.holes[:10]:
        grid = board_grid(layers, "bottom", 400)
        px, py = grid.to_pixels(np.array([[hole.x, hole.y]]))[0] / SUPERSAMPLE
        pixel_sets += 1
        clearances += side[int(py), int(px), 3] == 0
    assert clearances == pixel_sets  # every drill is a hole in the bottom view too


def test_layers_assigned_by_hand_are_drawn_as_assigned(tmp_path):
    # the KiCad comment layer assigned as top silkscreen adds its lines to the legend
    plain = render_side(read_layers(KICAD), "top", 300)
    assigned = {"gerber/esp-rgb-driver-CmtUser.gbr": "silkscreen top",
                "gerber/esp-rgb-driver-SilkTop.gto": "not used"}
    chosen = render_side(read_layers(KICAD, assigned), "top", 300)
    assert colour_share(chosen, SILK) < colour_share(plain, SILK)


def test_an_archive_without_drawable_layers_is_a_clear_error(tmp_path):
    archive = tmp_path / "notes.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "no gerbers here")
    with pytest.raises(FileError, match=r"nothing|no copper"):
        board_images(archive)
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as z, zipfile.ZipFile(KICAD) as real:
        for name in real.namelist():
            data = real.read(name)
            if name.endswith("-CuTop.gtl"):
                data = data.replace(b"%ADD", b"%ADDx", 3)[: len(data) // 3] + b"X1Y1D03*"
            z.writestr(name, data)
    images = board_images(broken, size=200)  # a damaged layer is drawn as far as it goes
    assert png_size(images.top) is not None


def test_not_a_zip_is_a_file_error(tmp_path):
    bogus = tmp_path / "board.zip"
    bogus.write_bytes(b"PK not really")
    with pytest.raises(FileError):
        board_images(bogus)


def test_macro_expressions_are_evaluated_without_eval():
    from wyntek_desktop.design.gerber_plot import GerberError, evaluate
    assert evaluate("$1+$1", {1: 0.25}) == 0.5
    assert evaluate("1.08239X$1", {1: 2.0}) == pytest.approx(2.16478)
    assert evaluate("-($2-1)/2", {2: 5.0}) == -2.0
    with pytest.raises(GerberError):
        evaluate("__import__('os')", {})


def test_module_has_no_qt():
    assert "PySide6" not in Path(board_render.__file__).read_text()


def test_hostile_layers_are_named_not_drawn(tmp_path, monkeypatch):
    """A macro nested past Python's recursion limit and a layer of more shapes than a
    preview draws (the cap made small here, to keep the test quick) are left out with a
    note; the rest of the board is still drawn."""
    from wyntek_desktop.design import gerber_plot
    monkeypatch.setattr(gerber_plot, "_MAX_POLYGONS", 2_000)
    deep = "(" * 5000 + "1" + ")" * 5000
    nested = (b"%FSLAX46Y46*%\n%MOMM*%\n%AMDEEP*\n1,1," + deep.encode() + b",0,0*%\n"
              b"%ADD10DEEP*%\nD10*\nX0Y0D03*\nM02*\n")
    flashes = b"%FSLAX46Y46*%\n%MOMM*%\n%ADD10C,0.1*%\nD10*\n" + b"".join(
        b"X%dY%dD03*\n" % (i % 50_000, i // 50_000) for i in range(2_500))
    archive = tmp_path / "hostile.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z, \
            zipfile.ZipFile(EAGLE) as real:
        for name in real.namelist():
            z.writestr(name, real.read(name))
        z.writestr("deep-F_SilkS.gbr", nested)
        z.writestr("many-B_SilkS.gbr", flashes, compress_type=zipfile.ZIP_STORED)
    images = board_images(archive, size=200)
    assert png_size(images.top) is not None
    assert any("deep-F_SilkS.gbr" in n for n in images.notes)
    assert any("many-B_SilkS.gbr" in n for n in images.notes)

"""Preview, thumbnails, level of detail, file kinds and the token estimate."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from tests.design.meshes import SAMPLES, cube, write_binary_stl
from wyntek_desktop.design import (
    FILE_DIALOG_FILTERS,
    SUPPORTED_EXTENSIONS,
    analyze,
    classify,
    decimate,
    estimate_tokens,
    load_preview,
    render_thumbnail,
)
from wyntek_desktop.design.png import png_size
from wyntek_desktop.design.thumbnail import render_rgba


def _decode_png(data: bytes) -> np.ndarray:
    """RGBA pixels of an unfiltered 8-bit RGBA PNG (what our encoder writes)."""
    width, height = png_size(data) or (0, 0)
    at, idat = 8, b""
    while at < len(data):
        length = struct.unpack(">I", data[at:at + 4])[0]
        kind = data[at + 4:at + 8]
        chunk = data[at + 8:at + 8 + length]
        crc = struct.unpack(">I", data[at + 8 + length:at + 12 + length])[0]
        assert zlib.crc32(kind + chunk) == crc
        if kind == b"IDAT":
            idat += chunk
        at += 12 + length
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, width * 4 + 1)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(height, width, 4)


def test_preview_of_binary_stl(tmp_path: Path) -> None:
    preview = load_preview(write_binary_stl(tmp_path / "c.stl", cube(10, (5, 0, 0))))
    assert preview.triangles.dtype == np.float32 and preview.triangles.shape == (12, 3, 3)
    assert preview.bounds.tolist() == [[5, 0, 0], [15, 10, 10]]
    assert np.allclose(np.linalg.norm(preview.normals, axis=1), 1)
    # normals computed from the corners point outwards even though the file stores zeros
    centres = preview.triangles.mean(axis=1) - np.array([10, 5, 5])
    assert ((preview.normals * centres).sum(axis=1) > 0).all()


def test_preview_of_every_mesh_sample_matches_the_report() -> None:
    for name in ["counter.unitsmm.STL", "fandisk.obj", "pins.glb",
                 "shell.prusa-slicer-project.3mf", "octagonal_pocket.ply"]:
        preview = load_preview(SAMPLES / name)
        report = analyze(SAMPLES / name)
        assert report.mesh is not None
        assert preview.triangle_count == report.mesh.triangles
        assert tuple(preview.dimensions) == pytest.approx(report.mesh.dimensions_mm, abs=1e-3)


def test_thumbnail_is_a_shaded_png(tmp_path: Path) -> None:
    png = render_thumbnail(cube(10), size=128)
    assert png_size(png) == (128, 128)
    pixels = _decode_png(png)
    covered = pixels[..., 3] > 0
    assert 0.15 < covered.mean() < 0.8          # the part fills a good share of the image
    assert not covered[0].any() and not covered[:, 0].any()  # with a margin
    shades = {tuple(p) for p in pixels[covered & (pixels[..., 3] == 255)][:, :3]}
    assert len(shades) >= 3                     # three visible faces, three shades


def test_thumbnail_of_flipped_faces_still_draws_them() -> None:
    normal = render_rgba(cube(10), 64)
    flipped = render_rgba(cube(10)[:, ::-1].copy(), 64)
    assert (normal[..., 3] > 0).sum() == (flipped[..., 3] > 0).sum()


def test_thumbnail_from_path_and_embedded_3mf() -> None:
    png = render_thumbnail(SAMPLES / "teapot.stl", size=96)
    assert png_size(png) == (96, 96)
    embedded = (SAMPLES / "shell.prusa-slicer-project.3mf")
    assert png_size(render_thumbnail(embedded)) == (256, 256)


def test_thumbnail_of_a_large_mesh_keeps_its_silhouette() -> None:
    rng = np.random.default_rng(3)
    many = (cube(1)[None] * 0.5 + rng.uniform(0, 20, (20_000, 1, 1, 3))).reshape(-1, 3, 3)
    image = render_rgba(many.astype(np.float32), 64)
    assert (image[..., 3] > 0).mean() > 0.2


def test_decimate_reduces_and_keeps_the_shape() -> None:
    import trimesh

    sphere = trimesh.creation.icosphere(subdivisions=6, radius=10).triangles
    reduced = decimate(sphere.astype(np.float32), target=5_000)
    assert 4_000 <= len(reduced) <= 5_000 and reduced.dtype == np.float32
    radii = np.linalg.norm(reduced.reshape(-1, 3), axis=1)
    assert np.percentile(radii, 1) > 9.5 and np.percentile(radii, 99) < 10.5
    small = cube(10)
    assert decimate(small, target=100) is small or np.array_equal(decimate(small, 100), small)


def test_decimate_clusters_very_large_meshes_first() -> None:
    import trimesh

    sphere = trimesh.creation.icosphere(subdivisions=6, radius=10).triangles
    reduced = decimate(sphere.astype(np.float32), target=1_000)
    assert 500 <= len(reduced) <= 1_000


def test_classify_and_dialog_filters() -> None:
    assert classify("part.STL") == "model" and classify("a.stp") == "model"
    assert classify("board.zip") == "gerber" and classify("drawing.PDF") == "drawing"
    assert classify("notes.txt") == "other"
    assert {".stl", ".obj", ".ply", ".off", ".3mf", ".glb", ".gltf", ".step", ".stp", ".zip",
            ".pdf"} == set(SUPPORTED_EXTENSIONS)
    patterns = {p for _, globs in FILE_DIALOG_FILTERS for p in globs}
    assert {"*.stl", "*.step", "*.zip", "*.pdf"} <= patterns


def test_other_files_are_attachments(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    report = analyze(notes)
    assert report.kind == "other" and not report.blocking


@dataclass
class PricedMaterial:
    id: str = "pla"
    tokens_per_cm3: Decimal = Decimal("1.5")
    setup_tokens: int = 10


def test_estimate_uses_the_shared_pricing_rule(tmp_path: Path) -> None:
    from wyntek_desktop.core.pricing import quote

    report = analyze(write_binary_stl(tmp_path / "c.stl", cube(20)))  # 8 cm³
    material = PricedMaterial()
    assert estimate_tokens(report, material, 3, "0.1") == quote(material, 8.0, 3, "0.1")
    # 10 + ceil(3 * 8 * 1.5 * 1.25) = 10 + 45
    assert estimate_tokens(report, material, 3, "0.1") == 55


@pytest.mark.parametrize("target", [10, 1_000, 30_000])
def test_decimate_never_exceeds_the_target(target: int) -> None:
    rng = np.random.default_rng(target)
    big_random = rng.uniform(-50, 50, (40_000, 3, 3)).astype(np.float32)  # nothing collapses
    for tris in (big_random, np.concatenate([cube(1, (3.0 * i, 0, 0)) for i in range(4_000)])):
        out = decimate(tris, target)
        assert 0 < len(out) <= target and out.dtype == np.float32 and out.shape[1:] == (3, 3)
        lo, hi = tris.reshape(-1, 3).min(axis=0), tris.reshape(-1, 3).max(axis=0)
        assert (out.reshape(-1, 3) >= lo - 1e-3).all() and (out.reshape(-1, 3) <= hi + 1e-3).all()


def test_decimate_a_speck_still_draws() -> None:
    speck = np.repeat(cube(1e-3)[None], 500, axis=0).reshape(-1, 3, 3)  # 6,000 on one spot
    assert 0 < len(decimate(speck, 100)) <= 100

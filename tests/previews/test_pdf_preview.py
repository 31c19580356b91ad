"""Page pictures of the real sample drawings, and clear sentences for bad PDFs."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from tests.support.samples import SAMPLES
from wyntek_desktop.core.errors import FileError
from wyntek_desktop.design.pdf_preview import render_page
from wyntek_desktop.design.png import png_size


def decode_png(data: bytes) -> np.ndarray:
    """RGBA of the app's own PNGs (8-bit RGBA, filter 0 on every row)."""
    width, height = png_size(data)
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    rows = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, -1)
    return rows[:, 1:].reshape(height, width, 4)


def test_a4_landscape_drawing_is_drawn_with_its_lines():
    page = render_page(SAMPLES / "dimtad-dimjust.pdf", 0, 800)
    assert (page.index, page.pages) == (0, 1)
    assert (page.width_mm, page.height_mm) == pytest.approx((297, 210), abs=1)
    image = decode_png(page.png)
    assert image.shape[1] == 800 and image.shape[0] == pytest.approx(800 * 210 / 297, abs=2)
    ink = (image[..., :3].min(axis=-1) < 128).mean()
    assert 0.001 < ink < 0.5  # lines and text on a white sheet


def test_page_index_is_clamped_to_the_document():
    page = render_page(SAMPLES / "underlay.pdf", 7, 300)
    assert (page.index, page.pages) == (0, 1)
    assert (page.width_mm, page.height_mm) == pytest.approx((203.2, 289.0), abs=1)


def test_bad_pdfs_are_one_sentence_each(tmp_path):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(FileError, match="empty"):
        render_page(empty)
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 500)
    with pytest.raises(FileError, match="damaged"):
        render_page(junk)


def test_a_multi_page_drawing_pages_through(tmp_path):
    # two sample sheets joined by pypdf (already an app dependency)
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for name in ("underlay.pdf", "dimtad-dimjust.pdf"):
        for p in PdfReader(SAMPLES / name).pages:
            writer.add_page(p)
    joined = tmp_path / "set.pdf"
    with joined.open("wb") as f:
        writer.write(f)
    first, second = render_page(joined, 0, 200), render_page(joined, 1, 200)
    assert first.pages == second.pages == 2
    assert first.height_mm > first.width_mm and second.width_mm > second.height_mm

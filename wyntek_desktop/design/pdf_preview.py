"""Pictures of a PDF drawing's pages (PDFium through pypdfium2), one page at a time.

Runs in the helper process: PDFium is C code reading a file from outside, so a crash
there costs a helper, not the window. Encrypted, damaged and oversized files get the
same sentences as the page count in ``design.pdf``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wyntek_desktop.core.errors import FileError
from wyntek_desktop.design import limits
from wyntek_desktop.design._errors import check_size, file_error
from wyntek_desktop.design.png import encode_png

MAX_PAGE_PIXELS = 4096 * 4096
# PDFium is not thread-safe: one document open at a time in this process
_PDFIUM = threading.Lock()


@dataclass(frozen=True)
class PdfPage:
    png: bytes
    index: int           # from 0
    pages: int           # in the document
    width_mm: float
    height_mm: float


def render_page(path: Path, index: int = 0, size: int = 1024) -> PdfPage:
    """Page ``index`` (clamped to the document) with its longer edge ``size`` pixels."""
    size_bytes = path.stat().st_size
    if size_bytes == 0:
        raise file_error(path, "the file is empty.")
    check_size(path, size_bytes, limits.MAX_PDF_BYTES, "PDF")
    import pypdfium2 as pdfium

    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            if "password" in str(exc).lower():
                raise file_error(path, "the PDF is encrypted; attach an unprotected copy."
                                 ) from None
            raise file_error(path, "the PDF is damaged and its pages cannot be drawn."
                             ) from None
        try:
            pages = len(document)
            if pages < 1:
                raise file_error(path, "the PDF has no pages.")
            index = min(max(int(index), 0), pages - 1)
            page = document[index]
            width_pt, height_pt = page.get_size()
            longest = max(width_pt, height_pt, 1.0)
            scale = max(16, min(int(size), 4096)) / longest
            if width_pt * height_pt * scale * scale > MAX_PAGE_PIXELS:
                scale = (MAX_PAGE_PIXELS / max(width_pt * height_pt, 1.0)) ** 0.5
            bitmap = page.render(scale=scale, rev_byteorder=True, may_draw_forms=False)
            rgb = np.asarray(bitmap.to_numpy())
        except FileError:
            raise
        except Exception:  # PDFium reports damage in many ways
            raise file_error(path, "the PDF is damaged and its pages cannot be drawn."
                             ) from None
        finally:
            document.close()
    if rgb.ndim != 3 or rgb.shape[2] not in (3, 4):
        raise file_error(path, "the PDF page could not be drawn.")
    rgba = np.empty((*rgb.shape[:2], 4), dtype=np.uint8)
    rgba[..., :3] = rgb[..., :3]
    rgba[..., 3] = 255
    to_mm = 25.4 / 72
    return PdfPage(encode_png(rgba), index, pages, round(width_pt * to_mm, 1),
                   round(height_pt * to_mm, 1))

"""PDF drawings are attachments: read the page count, nothing else."""

from __future__ import annotations

import logging
from pathlib import Path

from wyntek_desktop.core.errors import FileError
from wyntek_desktop.design import limits
from wyntek_desktop.design._errors import check_size, file_error
from wyntek_desktop.design.report import DesignReport, DrawingInfo, Finding


def page_count(path: Path) -> int:
    size = path.stat().st_size
    if size == 0:
        raise file_error(path, "the file is empty.")
    check_size(path, size, limits.MAX_PDF_BYTES, "PDF")
    with path.open("rb") as f:
        if b"%PDF-" not in f.read(1024):
            raise file_error(path, "the file is not a PDF document.")
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged files log noisily
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            raise file_error(path, "the PDF is encrypted; attach an unprotected copy.")
        pages = len(reader.pages)
    except RecursionError:
        raise file_error(path, "the PDF's page tree is nested too deeply to read.") from None
    except FileError:
        raise
    except Exception:  # pypdf raises many kinds of errors on damaged files
        raise file_error(path, "the PDF is damaged and its pages cannot be read.") from None
    if pages < 1:
        raise file_error(path, "the PDF has no pages.")
    return pages


def analyze_pdf(path: Path, material_id: str | None = None) -> DesignReport:
    pages = page_count(path)
    return DesignReport(path.name, path.stat().st_size, "drawing",
                        [Finding("info", "drawing_attached",
                                 f"PDF drawing with {pages} page{'s' if pages != 1 else ''}; "
                                 "it is attached for the manufacturer.", {"pages": pages})],
                        drawing=DrawingInfo(pages=pages), material_id=material_id)

"""Background tasks for the pictures of files that are not 3D meshes, and for the file
list's thumbnails (``fn(state, ...)``, run in the helper process by name)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from wyntek_desktop.background.cancel import Cancelled
from wyntek_desktop.core.appdirs import THUMBNAIL_SUFFIX
from wyntek_desktop.design.board_render import BoardImages, board_images
from wyntek_desktop.design.pdf_preview import PdfPage, render_page

LIST_THUMBNAIL_SIZE = 160


def board_previews(state: Any, path: Path, layers: dict[str, str] | None = None,
                   size: int = 1200) -> BoardImages:
    """Top and bottom of a Gerber archive's board."""
    if state is not None:
        state.report_progress(0.1, "Drawing the board")
    return board_images(path, layers or None, size)


def pdf_page(state: Any, path: Path, index: int = 0, size: int = 1200) -> PdfPage:
    return render_page(path, index, size)


def content_sha256(path: Path, state: Any = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
            if state is not None and state.is_cancelled():
                raise Cancelled()
    return digest.hexdigest()


def list_thumbnail(state: Any, path: Path, kind: str, cache: Path,
                   scale: float | None = None) -> bytes:
    """A small picture of an opened file, cached by its content (SHA-256) in ``cache``,
    the folder the Jobs page reads its pictures from (``AppDirs.thumbnails``).

    A model is its shaded part, a Gerber archive its board's top, a PDF its first page.
    """
    sha = content_sha256(path, state)
    # a rescaled model looks the same (the picture fits the part), so one name per file
    target = cache / f"{sha}{THUMBNAIL_SUFFIX}"
    if target.is_file():
        return target.read_bytes()
    if kind == "model":
        from wyntek_desktop.design.tasks import thumbnail
        png = thumbnail(state, path, LIST_THUMBNAIL_SIZE, scale)
    elif kind == "gerber":
        png = board_images(path, None, LIST_THUMBNAIL_SIZE).top
    elif kind == "drawing":
        png = render_page(path, 0, LIST_THUMBNAIL_SIZE).png
    else:
        raise ValueError(f"no picture for a file of kind {kind!r}")
    cache.mkdir(parents=True, exist_ok=True)
    part = target.with_suffix(".part")
    part.write_bytes(png)
    part.replace(target)
    return png

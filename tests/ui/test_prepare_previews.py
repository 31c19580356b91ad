"""The Prepare page draws what is not a mesh: a Gerber archive's board (top/bottom) and a
PDF's pages where the 3D view would be, and every file gets its own picture in the list
(cached by content hash), all made in the helper process."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from tests.support.samples import SAMPLES
from tests.ui.journey_support import start_app, stop_app, wait_reports
from wyntek_desktop.core.appdirs import AppDirs


def shown_image(page) -> QImage:
    return page.sheet.image.pixmap().toImage()


def test_board_and_pdf_previews_and_list_thumbnails(qtbot, tmp_path: Path) -> None:
    board = shutil.copy(SAMPLES / "esp-rgb-driver-gerbers.zip", tmp_path)
    drawing = shutil.copy(SAMPLES / "dimtad-dimjust.pdf", tmp_path)
    part = shutil.copy(SAMPLES / "featuretype.STL", tmp_path)
    app = start_app(qtbot, None)
    page = app.window.prepare
    try:
        app.window.resize(1280, 800)
        app.window.show()
        page.open_paths([str(board), str(drawing), str(part)])
        wait_reports(qtbot, app, 3, timeout=120_000)
        # the board, where a mesh would be
        page.file_list.setCurrentRow(0)
        qtbot.waitUntil(lambda: page.sheet.mode() == "board", timeout=60_000)
        assert page.view_stack.currentWidget() is page.sheet
        assert page.sheet.top_button.isChecked() and "66.05 × 32.05 mm" in \
            page.sheet.caption.text()  # noqa: RUF001
        top = shown_image(page)
        assert not top.isNull() and top.width() > 100
        qtbot.mouseClick(page.sheet.bottom_button, Qt.MouseButton.LeftButton)
        assert page.sheet.side() == "bottom" and "seen from below" in page.sheet.caption.text()
        assert shown_image(page) != top
        # the PDF: page 1 of 1, paging is off at both ends
        page.file_list.setCurrentRow(1)
        qtbot.waitUntil(lambda: page.sheet.mode() == "pdf", timeout=60_000)
        assert page.sheet.page_label.text() == "Page 1 of 1"
        assert not page.sheet.previous_button.isEnabled()
        assert not page.sheet.next_button.isEnabled()
        assert "297 × 210 mm" in page.sheet.caption.text()  # noqa: RUF001
        # back to the part: the 3D view again
        page.file_list.setCurrentRow(2)
        qtbot.waitUntil(lambda: page.view_stack.currentWidget() is page.view, timeout=10_000)
        # every file's own picture in the list, kept by content hash for next time
        qtbot.waitUntil(lambda: all(
            page.file_list.item(i).data(Qt.ItemDataRole.UserRole) == "thumbnail"
            for i in range(3)), timeout=120_000)
        cached = list(AppDirs.default().thumbnails.glob("*.png"))
        assert len(cached) == 3
        # the board comes back from the page's cache when selected again
        page.file_list.setCurrentRow(0)
        assert page.sheet.mode() == "board"
    finally:
        stop_app(qtbot, app)


def test_a_multi_page_drawing_pages_forward_and_back(qtbot, tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for name in ("underlay.pdf", "dimtad-dimjust.pdf", "underlay.pdf"):
        for p in PdfReader(SAMPLES / name).pages:
            writer.add_page(p)
    drawing = tmp_path / "set.pdf"
    with drawing.open("wb") as f:
        writer.write(f)
    app = start_app(qtbot, None)
    page = app.window.prepare
    try:
        page.open_paths([str(drawing)])
        wait_reports(qtbot, app, 1)
        qtbot.waitUntil(lambda: page.sheet.page_label.text() == "Page 1 of 3", timeout=60_000)
        portrait = shown_image(page)
        assert portrait.height() > portrait.width()
        qtbot.mouseClick(page.sheet.next_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.sheet.page_label.text() == "Page 2 of 3", timeout=60_000)
        assert shown_image(page).width() > shown_image(page).height()  # the A4 landscape
        assert page.sheet.previous_button.isEnabled() and page.sheet.next_button.isEnabled()
        qtbot.mouseClick(page.sheet.previous_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.sheet.page_label.text() == "Page 1 of 3", timeout=60_000)
    finally:
        stop_app(qtbot, app)

"""The Prepare page's file list: Retry a failed check, Delete key, context menu."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu

from tests.design.meshes import cube, write_binary_stl
from tests.ui.journey_support import start_app, stop_app, wait_reports


def test_a_file_whose_check_failed_can_be_retried(qtbot, tmp_path: Path) -> None:
    part = tmp_path / "part.stl"
    part.write_text("solid x\nfacet garbage\n")  # truncated: the check fails
    app = start_app(qtbot, None)
    page = app.window.prepare
    try:
        page.open_paths([str(part)])
        wait_reports(qtbot, app, 1)
        assert page.files[0].status == "Cannot be read"
        assert page.retry_button.isEnabled()
        write_binary_stl(part, cube())  # the user fixed the file
        qtbot.mouseClick(page.retry_button, Qt.MouseButton.LeftButton)
        assert not page.retry_button.isEnabled()
        wait_reports(qtbot, app, 1)
        assert page.files[0].error is None and page.files[0].report is not None
        assert "Watertight" in page.report.text()
        assert not page.retry_button.isEnabled()
    finally:
        stop_app(qtbot, app)


def test_delete_key_and_context_menu_remove_a_file(qtbot, tmp_path: Path) -> None:
    a = write_binary_stl(tmp_path / "a.stl", cube())
    b = write_binary_stl(tmp_path / "b.stl", cube())
    app = start_app(qtbot, None)
    page = app.window.prepare
    try:
        app.window.activateWindow()
        page.open_paths([str(a), str(b)])
        wait_reports(qtbot, app, 2)
        page.file_list.setCurrentRow(0)
        page.file_list.setFocus()
        qtbot.waitUntil(page.file_list.hasFocus, timeout=5_000)
        qtbot.keyClick(page.file_list, Qt.Key.Key_Delete)
        assert [f.path.name for f in page.files] == ["b.stl"]
        rect = page.file_list.visualItemRect(page.file_list.item(0))
        page.file_list.customContextMenuRequested.emit(rect.center())
        menu = page.file_list.findChild(QMenu, "file-menu")
        assert menu is not None and menu.isVisible()
        texts = [a.text() for a in menu.actions() if not a.isSeparator()]
        assert texts == ["Re&try the check", "Show in &folder", "&Remove from the job"]
        assert not menu.actions()[0].isEnabled()  # nothing failed
        menu.actions()[-1].trigger()
        menu.close()
        assert page.files == []
        QApplication.processEvents()
        assert page.file_list.findChild(QMenu, "file-menu") is None or not menu.isVisible()
    finally:
        stop_app(qtbot, app)

"""The Prepare page's file list by keyboard and context menu: Delete, Retry, Open folder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from wyntek_desktop.ui.pages.prepare import PreparePage


def file_actions(page: PreparePage) -> None:
    """Delete/Backspace remove the selected file; right-click offers the same actions."""
    files = page.file_list
    remove = QAction("&Remove from the job", files)
    remove.setObjectName("file-remove")
    remove.setShortcuts([QKeySequence(QKeySequence.StandardKey.Delete),
                         QKeySequence(Qt.Key.Key_Backspace)])
    remove.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # not while typing notes
    remove.triggered.connect(page.remove_selected)
    files.addAction(remove)
    retry = QAction("Re&try the check", files)
    retry.setObjectName("file-retry")
    retry.triggered.connect(page.retry_selected)
    folder = QAction("Show in &folder", files)
    folder.setObjectName("file-folder")
    folder.triggered.connect(lambda: _open_folder(page))
    files.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def menu_at(pos: QPoint) -> None:
        item = files.itemAt(pos)
        if item is None:
            return
        files.setCurrentItem(item)
        pf = page.current()
        menu = QMenu(files)
        menu.setObjectName("file-menu")
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addAction(retry)
        retry.setEnabled(bool(pf is not None and pf.error))
        menu.addAction(folder)
        menu.addSeparator()
        menu.addAction(remove)
        menu.popup(files.viewport().mapToGlobal(pos))
    files.customContextMenuRequested.connect(menu_at)


def _open_folder(page: PreparePage) -> None:
    pf = page.current()
    if pf is not None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(pf.path.parent)))

"""Right-click (or the Menu key) on a table row: the row is selected, then a menu of
what can be done with it, built fresh so every entry is enabled exactly when it applies."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractItemView, QMenu


def attach(view: QAbstractItemView, build: Callable[[QMenu], None]) -> None:
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def show(pos: QPoint) -> None:
        index = view.indexAt(pos)
        if not index.isValid():
            return
        view.selectRow(index.row()) if hasattr(view, "selectRow") else view.setCurrentIndex(index)
        menu = QMenu(view)
        menu.setObjectName("context-menu")
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        build(menu)
        if menu.actions():
            menu.popup(view.viewport().mapToGlobal(pos))
        else:
            menu.deleteLater()
    view.customContextMenuRequested.connect(show)

"""Keyboard shortcuts: one sheet, made from the window's own actions so it never drifts."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

# Keys that belong to one list or field rather than to a menu action.
WIDGET_KEYS = (
    ("Prepare: 3D view", "1-7, F", "Standard views, fit (while the view has the focus)"),
    ("Prepare: 3D view", "P, T, W, B", "Problems on the part, wall-thickness map, triangle "
     "edges, build plate: on or off"),
    ("Prepare: 3D view", "M, Esc", "Measure: click two points on the part; Esc ends"),
    ("Prepare: 3D view", "X, [ / ]", "Section plane: next axis (X, Y, Z, off); move it"),
    ("Prepare: report", "Tab, Return", "Go to a finding; show it on the part"),
    ("Prepare: file list", "Delete / Backspace", "Remove the selected file"),
    ("Prepare: file list", "Menu key / right-click", "Retry the check, show in folder, remove"),
    ("Jobs, Outbox", "Menu key / right-click", "What can be done with the selected job"),
    ("Any list", "Up / Down, Home / End", "Move the selection"),
    ("Dialogs", "Escape", "Close without doing anything"),
)


def _plain(text: str) -> str:
    """A menu text without its mnemonic marker ('&&' is a literal '&')."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…")


def action_rows(actions: Iterable[QAction]) -> list[tuple[str, str, str]]:
    """(menu, keys, what) for every action that has a shortcut."""
    rows = []
    for action in actions:
        keys = action.shortcut()
        if keys.isEmpty():
            continue
        menus = [m for m in action.associatedObjects() if isinstance(m, QMenu)]
        where = f"{_plain(menus[0].title())} menu" if menus else "Everywhere"
        rows.append((where, keys.toString(QKeySequence.SequenceFormat.NativeText),
                     _plain(action.text())))
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, actions: Iterable[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setAccessibleName("Keyboard shortcuts")
        layout = QVBoxLayout(self)
        rows = action_rows(actions) + list(WIDGET_KEYS)
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.setHorizontalHeaderLabels(["Where", "Keys", "What it does"])
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, 620)

    def rows(self) -> list[tuple[str, ...]]:
        items = ((self.table.item(r, c) for c in range(3)) for r in range(self.table.rowCount()))
        return [tuple(item.text() if item is not None else "" for item in row) for row in items]

"""Keyboard shortcuts: one searchable sheet, made from the window's own actions (so it
never drifts) and the keys that belong to one list, view or field."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

# Keys that belong to one list or field rather than to a menu action.
WIDGET_KEYS = (
    ("Prepare: 3D view", "1-7, F", "Standard views, fit (while the view has the focus)"),
    ("Prepare: 3D view", "Drag / right-drag / wheel", "Orbit, pan, zoom"),
    ("Prepare: drawing", "Page Up / Page Down", "Previous / next page of a PDF drawing"),
    ("Prepare: board", "Top / Bottom buttons", "The board from above / from below"),
    ("Prepare: 3D view", "P, T, W, B", "Problems on the part, wall-thickness map, triangle "
     "edges, build plate: on or off"),
    ("Prepare: 3D view", "M, Esc", "Measure: click two points on the part; Esc ends"),
    ("Prepare: 3D view", "X, [ / ]", "Section plane: next axis (X, Y, Z, off); move it"),
    ("Prepare: report", "Tab, Return", "Go to a finding; show it on the part"),
    ("Prepare: file list", "Delete / Backspace", "Remove the selected file"),
    ("Prepare: file list", "Menu key / right-click", "Retry the check, show in folder, remove"),
    ("Prepare: job", "Alt+P, M, T, Q, I", "Go to Process, Material, Tolerance, Quantity, Finish"),
    ("Prepare: job", "Alt+L, K", "Go to a board's Layers, Thickness (PCB materials)"),
    ("Prepare: job", "Alt+D, N", "Go to Delivery, Notes"),
    ("Jobs, Outbox", "Menu key / right-click", "What can be done with the selected job"),
    ("Any list", "Up / Down, Home / End", "Move the selection"),
    ("Any page", "Tab / Shift+Tab", "Next / previous field or button"),
    ("Dialogs", "Enter", "The highlighted button"),
    ("Dialogs", "Escape", "Close without doing anything"),
    ("This sheet", "Type", "Show only the shortcuts that match"),
)


def _plain(text: str) -> str:
    """A menu text without its mnemonic marker ('&&' is a literal '&')."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…")


def action_rows(actions: Iterable[QAction]) -> list[tuple[str, str, str]]:
    """(menu, keys, what) for every action that has a shortcut."""
    rows = []
    for action in actions:
        keys = [k for k in action.shortcuts() if not k.isEmpty()]
        if not keys:
            continue
        menus = [m for m in action.associatedObjects() if isinstance(m, QMenu)]
        where = f"{_plain(menus[0].title())} menu" if menus else "Everywhere"
        rows.append((where, " or ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                                        for k in keys), _plain(action.text())))
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, actions: Iterable[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setAccessibleName("Keyboard shortcuts")
        layout = QVBoxLayout(self)
        self.search = QLineEdit(self)
        self.search.setAccessibleName("Search shortcuts")
        self.search.setPlaceholderText("Search: a key or what it does…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter)
        layout.addWidget(self.search)
        self.nothing = QLabel("No shortcut matches; try another word.", self)
        self.nothing.hide()
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
        layout.addWidget(self.nothing)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, 620)

    def filter(self, text: str) -> None:
        """Keep the rows where every typed word is found (any column, any case)."""
        words = text.lower().split()
        shown = 0
        for r, row in enumerate(self.rows()):
            line = " ".join(row).lower()
            match = all(w in line for w in words)
            self.table.setRowHidden(r, not match)
            shown += match
        self.nothing.setVisible(shown == 0)

    def visible_rows(self) -> list[tuple[str, ...]]:
        return [row for r, row in enumerate(self.rows()) if not self.table.isRowHidden(r)]

    def rows(self) -> list[tuple[str, ...]]:
        items = ((self.table.item(r, c) for c in range(3)) for r in range(self.table.rowCount()))
        return [tuple(item.text() if item is not None else "" for item in row) for row in items]

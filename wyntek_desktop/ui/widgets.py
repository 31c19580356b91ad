"""Small shared widgets: the inline message banner and helpers."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractItemModel, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

_STYLES = {
    "error": "background:#5c1f1f;color:#ffe9e9;border:1px solid #a33;",
    "warning": "background:#5a4712;color:#fff4d6;border:1px solid #b8902a;",
    "info": "background:#173d5c;color:#e4f1ff;border:1px solid #2f6fa3;",
}


class Banner(QFrame):
    """An inline message above a page's content: errors never open a modal dialog.

    A newer message replaces the older one (no storms); info messages fade by themselves.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Message")
        self.setObjectName("banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action = QPushButton(self)
        self.action.hide()
        close = QToolButton(self)
        close.setText("✕")
        close.setAccessibleName("Dismiss message")
        close.setAutoRaise(True)
        close.clicked.connect(self.dismiss)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action)
        layout.addWidget(close)
        self.kind = ""
        self._callback: Callable[[], None] | None = None
        self.action.clicked.connect(self._run_action)
        self._fade = QTimer(self)
        self._fade.setObjectName("banner-fade")
        self._fade.setSingleShot(True)
        self._fade.timeout.connect(self.dismiss)
        self.hide()

    def show_message(self, text: str, kind: str = "error", action: str | None = None,
                     callback: Callable[[], None] | None = None) -> None:
        self.kind = kind
        self.label.setText(text)
        self.setStyleSheet(f"QFrame#banner{{{_STYLES.get(kind, _STYLES['info'])}"
                           "border-radius:4px;} QLabel{border:none;background:transparent;}")
        self._callback = callback
        self.action.setVisible(bool(action and callback))
        if action:
            self.action.setText(action)
        self.show()
        if kind == "info":
            self._fade.start(6000)
        else:
            self._fade.stop()

    def text(self) -> str:
        return "" if self.isHidden() else self.label.text()

    def _run_action(self) -> None:
        callback = self._callback
        self.dismiss()
        if callback:
            callback()

    def dismiss(self) -> None:
        self._fade.stop()
        self.hide()


class Page(QWidget):
    """A main screen: a banner on top, the content below."""

    title = ""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.title)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        self.banner = Banner(self)
        outer.addWidget(self.banner)
        self.body = QVBoxLayout()
        outer.addLayout(self.body, 1)

    def show_error(self, err: object) -> None:
        self.banner.show_message(str(err), "error")

    def show_info(self, text: str) -> None:
        self.banner.show_message(text, "info")

    def page_shown(self) -> None:
        """Called when the page becomes visible (start polling, refresh)."""

    def page_hidden(self) -> None:
        """Called when another page is shown (stop polling)."""

    def shutdown(self) -> None:
        """Stop timers before the window closes."""


def heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.25)
    font.setBold(True)
    label.setFont(font)
    return label


def record_table(parent: QWidget, model: QAbstractItemModel, name: str) -> QTableView:
    """A read-only list of records: whole-row selection, no row numbers, last column fills."""
    table = QTableView(parent)
    table.setAccessibleName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.horizontalHeader().setResizeContentsPrecision(200)  # rows read to size a column

    def fit_columns(*args: object) -> None:
        for col in range(model.columnCount() - 1):  # the last one stretches
            table.resizeColumnToContents(col)
    # the first load is a reset, later ones insert rows: both size the columns to the text
    model.modelReset.connect(fit_columns)
    model.rowsInserted.connect(fit_columns)
    return table

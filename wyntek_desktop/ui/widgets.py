"""Small shared widgets: the inline message banner and helpers."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractItemModel, QEvent, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

# background, text, border per theme; every text/background pair meets WCAG AA (4.5:1),
# which tests/ui/test_banner_contrast.py measures on the rendered banner
BANNER_COLORS: dict[str, dict[str, tuple[str, str, str]]] = {
    "light": {
        "error": ("#fdecea", "#5f2120", "#d9534f"),
        "warning": ("#fff4e5", "#5c3b00", "#e0a030"),
        "info": ("#e8f2fb", "#0b3a5e", "#5b9bd5"),
        "success": ("#edf7ed", "#1e4620", "#6fbf73"),
    },
    "dark": {
        "error": ("#5c1f1f", "#ffe9e9", "#aa3333"),
        "warning": ("#5a4712", "#fff4d6", "#b8902a"),
        "info": ("#173d5c", "#e4f1ff", "#2f6fa3"),
        "success": ("#1f4a22", "#e6f4e6", "#4caf50"),
    },
}


def banner_style(kind: str, theme: str) -> str:
    """The banner's stylesheet: its colours reach the label and the close button too
    (a stylesheet colour on the frame alone does not: the label kept the palette's)."""
    colors = BANNER_COLORS.get(theme, BANNER_COLORS["light"])
    background, text, border = colors.get(kind, colors["info"])
    return (f"QFrame#banner{{background:{background};color:{text};"
            f"border:1px solid {border};border-radius:4px;}}"
            f"QFrame#banner QLabel, QFrame#banner QToolButton{{color:{text};"
            "border:none;background:transparent;}")


def current_theme() -> str:
    """``dark`` or ``light``, from the application palette the theme set."""
    from PySide6.QtGui import QGuiApplication, QPalette

    window = QGuiApplication.palette().color(QPalette.ColorRole.Window)
    return "dark" if window.lightness() < 128 else "light"


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
        self.close_button = QToolButton(self)
        self.close_button.setText("✕")
        self.close_button.setAccessibleName("Dismiss message")
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self.dismiss)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action)
        layout.addWidget(self.close_button)
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
        self._style()
        self._callback = callback
        self.action.setVisible(bool(action and callback))
        if action:
            self.action.setText(action)
        self.show()
        if kind == "info" and not action:  # a message with something to do stays
            self._fade.start(6000)
        else:
            self._fade.stop()

    def _style(self) -> None:
        self.setStyleSheet(banner_style(self.kind, current_theme()))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.ApplicationPaletteChange and self.kind:
            self._style()  # the theme changed in Settings
        super().changeEvent(event)

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
    # a page taller than a small laptop screen scrolls instead of forcing the window's height
    scrolls = False

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.title)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        self.banner = Banner(self)
        outer.addWidget(self.banner)
        if self.scrolls:
            area = QScrollArea(self)
            area.setWidgetResizable(True)
            area.setFrameShape(QFrame.Shape.NoFrame)
            content = QWidget(area)
            self.body = QVBoxLayout(content)
            self.body.setContentsMargins(0, 0, 0, 0)
            area.setWidget(content)
            outer.addWidget(area, 1)
        else:
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

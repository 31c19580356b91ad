"""The picture of a file that is not a 3D mesh: a Gerber archive's board (top/bottom)
or a PDF drawing's pages (previous/next). The pictures are made in the helper process;
this widget only shows them, scaled to fit, and asks for another page."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeySequence, QPixmap, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)


class FittedImage(QLabel):
    """A picture that keeps its proportions and fits the space it gets."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap = QPixmap()
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(QSize(80, 60))

    def set_png(self, png: bytes) -> bool:
        pixmap = QPixmap()
        if not pixmap.loadFromData(png, "PNG"):
            return False
        self._pixmap = pixmap
        self._fit()
        return True

    def source_size(self) -> QSize:
        return self._pixmap.size()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._pixmap.isNull():
            self.clear()
            return
        self.setPixmap(self._pixmap.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation))


class SheetPreview(QWidget):
    """Board sides or PDF pages, with the controls that fit what is shown."""

    page_requested = Signal(int)      # a PDF page index (from 0)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sheet-preview")
        self._board: dict[str, bytes] = {}
        self._board_caption = ""
        self._page, self._pages = 0, 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.caption = QLabel(self)
        self.caption.setAccessibleName("Preview caption")
        self.caption.setWordWrap(True)
        self.image = FittedImage(self)
        self.image.setAccessibleName("Preview picture")
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        controls = QHBoxLayout()
        self.top_button = QPushButton("Top", self)
        self.bottom_button = QPushButton("Bottom", self)
        self.top_button.setAccessibleName("Show the top of the board")
        self.bottom_button.setAccessibleName("Show the bottom of the board (seen from below)")
        self.sides = QButtonGroup(self)
        for button in (self.top_button, self.bottom_button):
            button.setCheckable(True)
            self.sides.addButton(button)
            controls.addWidget(button)
        self.top_button.setChecked(True)
        self.top_button.clicked.connect(lambda: self.show_side("top"))
        self.bottom_button.clicked.connect(lambda: self.show_side("bottom"))
        self.previous_button = QPushButton("◀ Previous page", self)
        self.next_button = QPushButton("Next page ▶", self)
        self.previous_button.setToolTip("Page Up")
        self.next_button.setToolTip("Page Down")
        self.previous_button.setAccessibleName("Previous page")
        self.next_button.setAccessibleName("Next page")
        self.page_label = QLabel(self)
        self.page_label.setAccessibleName("Page number")
        self.previous_button.clicked.connect(lambda: self._go(self._page - 1))
        self.next_button.clicked.connect(lambda: self._go(self._page + 1))
        controls.addWidget(self.previous_button)
        controls.addWidget(self.page_label)
        controls.addWidget(self.next_button)
        controls.addStretch(1)
        layout.addLayout(controls)
        layout.addWidget(self.caption)
        layout.addWidget(self.image, 1)
        layout.addWidget(self.message, 1)
        # Page Up / Page Down page through a drawing while the preview has focus
        for key, step in ((QKeySequence.StandardKey.MoveToPreviousPage, -1),
                          (QKeySequence.StandardKey.MoveToNextPage, 1)):
            shortcut = QShortcut(key, self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda s=step: self._go(self._page + s))
        self._controls(board=False, pages=False)
        self.show_message("")

    # -- what is shown ------------------------------------------------------------------
    def _controls(self, board: bool, pages: bool) -> None:
        self.top_button.setVisible(board)
        self.bottom_button.setVisible(board)
        for w in (self.previous_button, self.next_button, self.page_label):
            w.setVisible(pages)

    def mode(self) -> str:
        return "board" if self.top_button.isVisible() else \
            "pdf" if self.page_label.isVisible() else "message"

    def show_message(self, text: str) -> None:
        self._controls(board=False, pages=False)
        self.caption.clear()
        self.image.hide()
        self.message.setText(text)
        self.message.show()

    def show_board(self, name: str, top: bytes, bottom: bytes, width_mm: float,
                   height_mm: float, notes: tuple[str, ...] = ()) -> None:
        self._board = {"top": top, "bottom": bottom}
        self._board_caption = (f"{name}: board {width_mm:.2f} × {height_mm:.2f} mm"  # noqa: RUF001
                               + ("".join(f" {n}" for n in notes)))
        self._controls(board=True, pages=False)
        side = "bottom" if self.bottom_button.isChecked() else "top"
        self.show_side(side)

    def show_side(self, side: str) -> None:
        png = self._board.get(side)
        if png is None:
            return
        (self.top_button if side == "top" else self.bottom_button).setChecked(True)
        seen = "top" if side == "top" else "bottom, seen from below"
        self.caption.setText(f"{self._board_caption} · {seen}")
        self._show_png(png)

    def side(self) -> str:
        return "bottom" if self.bottom_button.isChecked() else "top"

    def show_page(self, name: str, png: bytes, index: int, pages: int, width_mm: float,
                  height_mm: float) -> None:
        self._page, self._pages = index, pages
        self._controls(board=False, pages=True)
        self.page_label.setText(f"Page {index + 1} of {pages}")
        self.previous_button.setEnabled(index > 0)
        self.next_button.setEnabled(index + 1 < pages)
        self.caption.setText(f"{name}: drawing, {width_mm:.0f} × {height_mm:.0f} mm")  # noqa: RUF001
        self._show_png(png)

    def page(self) -> tuple[int, int]:
        return self._page, self._pages

    def _show_png(self, png: bytes) -> None:
        self.message.hide()
        self.image.show()
        if not self.image.set_png(png):
            self.show_message("The picture could not be shown.")

    def _go(self, index: int) -> None:
        if self.mode() == "pdf" and 0 <= index < self._pages and index != self._page:
            self.previous_button.setEnabled(False)
            self.next_button.setEnabled(False)
            self.page_label.setText(f"Page {index + 1} of {self._pages}…")
            self.page_requested.emit(index)

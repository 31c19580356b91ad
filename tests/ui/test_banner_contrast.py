"""Banner text is readable in both themes: WCAG AA contrast, measured on rendered pixels."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QToolButton, QWidget

from wyntek_desktop.ui.theme import apply_theme, contrast_ratio
from wyntek_desktop.ui.widgets import BANNER_COLORS, Banner

AA = 4.5


@pytest.fixture
def restore_theme(qapp: QApplication) -> Iterator[QApplication]:
    palette, sheet, style = qapp.palette(), qapp.styleSheet(), qapp.style().name()
    yield qapp
    qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.setStyleSheet(sheet)


def rendered_contrast(banner: Banner, widget: QWidget) -> float:
    """Contrast between the background under ``widget`` (the most common pixel) and the
    pixel that differs from it most (the core of a glyph), as the banner paints them."""
    image = banner.grab(widget.geometry()).toImage().convertToFormat(QImage.Format.Format_RGB32)
    pixels = Counter(image.pixel(x, y) for x in range(image.width())
                     for y in range(image.height()))
    background = QColor.fromRgb(pixels.most_common(1)[0][0])
    return max(contrast_ratio(background, QColor.fromRgb(p)) for p in pixels)


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("kind", ["error", "warning", "info", "success"])
def test_banner_text_meets_wcag_aa(qtbot, restore_theme: QApplication, theme: str,
                                   kind: str) -> None:
    assert apply_theme(restore_theme, theme) == theme
    banner = Banner()
    qtbot.addWidget(banner)
    banner.resize(700, 60)
    banner.show_message("The checking process stopped unexpectedly: press Retry.", kind,
                        "Retry", lambda: None)
    banner.show()
    qtbot.waitExposed(banner)
    background, text, _ = BANNER_COLORS[theme][kind]
    assert contrast_ratio(QColor(background), QColor(text)) >= AA
    label = rendered_contrast(banner, banner.label)
    close = rendered_contrast(banner, banner.findChildren(QToolButton)[0])
    assert label >= AA, f"{theme} {kind}: the message's contrast is {label:.2f}:1"
    assert close >= AA, f"{theme} {kind}: the close button's contrast is {close:.2f}:1"
    banner.dismiss()

"""Grey hint text (placeholders, explanations) is readable in both themes: WCAG AA
contrast computed from the theme's palette, and measured on rendered pixels."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QVBoxLayout, QWidget

from wyntek_desktop.ui.theme import (
    HINT_BACKGROUNDS,
    HINT_TEXT,
    apply_theme,
    contrast_ratio,
    hint_css,
    mark_hint,
)

AA = 4.5


@pytest.fixture
def restore_theme(qapp: QApplication) -> Iterator[QApplication]:
    palette, sheet, style = qapp.palette(), qapp.styleSheet(), qapp.style().name()
    yield qapp
    qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.setStyleSheet(sheet)


def over(color: QColor, background: QColor) -> QColor:
    """``color`` as seen on ``background`` (a translucent placeholder is blended)."""
    a = color.alphaF()
    return QColor.fromRgbF(*(a * c + (1 - a) * b for c, b in zip(
        (color.redF(), color.greenF(), color.blueF()),
        (background.redF(), background.greenF(), background.blueF()), strict=True)))


def rendered_contrast(widget: QWidget, inset: int = 0) -> float:
    """Background (the most common pixel) against the pixel that differs most from it,
    inside ``inset`` pixels (a field's frame is not its text)."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    pixels = Counter(image.pixel(x, y) for x in range(inset, image.width() - inset)
                     for y in range(inset, image.height() - inset))
    background = QColor.fromRgb(pixels.most_common(1)[0][0])
    return max(contrast_ratio(background, QColor.fromRgb(p)) for p in pixels)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_placeholder_and_hint_colours_meet_aa_on_every_background(
        restore_theme: QApplication, theme: str) -> None:
    assert apply_theme(restore_theme, theme) == theme
    palette = restore_theme.palette()
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        placeholder = palette.color(group, QPalette.ColorRole.PlaceholderText)
        for role in HINT_BACKGROUNDS:
            background = palette.color(group, role)
            seen = over(placeholder, background)
            ratio = contrast_ratio(seen, background)
            assert ratio >= AA, f"{theme} placeholder on {role.name}: {ratio:.2f}:1"
            ratio = contrast_ratio(HINT_TEXT[theme], background)
            assert ratio >= AA, f"{theme} hint on {role.name}: {ratio:.2f}:1"


def test_the_light_theme_no_longer_uses_half_transparent_black(
        restore_theme: QApplication) -> None:
    """Fusion's own light placeholder (black at 50 %) was 3.4:1 on the Window grey: the
    case the contrast check above has to catch."""
    apply_theme(restore_theme, "light")
    standard = restore_theme.style().standardPalette()
    old = over(standard.color(QPalette.ColorRole.PlaceholderText),
               standard.color(QPalette.ColorRole.Window))
    assert contrast_ratio(old, standard.color(QPalette.ColorRole.Window)) < AA
    assert restore_theme.palette().color(QPalette.ColorRole.PlaceholderText).alpha() == 255


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_rendered_placeholder_and_hint_label_meet_aa(qtbot, restore_theme: QApplication,
                                                     theme: str) -> None:
    apply_theme(restore_theme, theme)
    host = QWidget()
    qtbot.addWidget(host)
    layout = QVBoxLayout(host)
    field = QLineEdit(host)
    field.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # no text cursor in the picture
    field.setPlaceholderText("you@company.com")
    hint = QLabel("Receipts and security emails are always sent.", host)
    mark_hint(hint)
    layout.addWidget(field)
    layout.addWidget(hint)
    host.resize(420, 90)
    host.show()
    qtbot.waitExposed(host)
    label_ratio = rendered_contrast(hint)
    field_ratio = rendered_contrast(field, inset=4)
    assert label_ratio >= AA, f"{theme}: the hint label is {label_ratio:.2f}:1"
    assert field_ratio >= AA, f"{theme}: the placeholder is {field_ratio:.2f}:1"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_rich_text_hints_use_the_themes_readable_grey(restore_theme: QApplication,
                                                     theme: str) -> None:
    """The report, job and work-sheet views colour their hints with the theme's grey, and
    no page hard-codes the old greys (#888 is 3.1:1 on the light window grey)."""
    from pathlib import Path

    import wyntek_desktop.ui as ui

    apply_theme(restore_theme, theme)
    assert hint_css() == HINT_TEXT[theme].name()
    sources = {p: p.read_text() for p in Path(ui.__file__).parent.rglob("*.py")}
    greys = [str(p) for p, text in sources.items()
             if "color:#888" in text or "color:#999" in text]
    assert greys == []

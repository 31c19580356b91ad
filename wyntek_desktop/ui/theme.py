"""Themes: system, light or dark (Fusion palettes plus a small stylesheet per theme).

Hint text (placeholders, explanations under a setting) is grey but must still be read:
``HINT_TEXT`` is chosen so it meets WCAG AA (4.5:1) on every background it is drawn on
(``Base`` for fields, ``Window`` for labels), which tests/ui/test_hint_contrast.py
computes from the palette. Label hints use it through ``mark_hint``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

# grey for hints per theme: light #5c6166 is 5.4:1 on the Window grey (#efefef) and 6.3:1
# on white; dark #a3a8ae is 5.5:1 on the dark Window and 6.3:1 on the fields' Base
HINT_TEXT: dict[str, QColor] = {"light": QColor(92, 97, 102), "dark": QColor(163, 168, 174)}
# backgrounds hint text is drawn on (fields, labels, tooltips, list stripes)
HINT_BACKGROUNDS = (QPalette.ColorRole.Base, QPalette.ColorRole.AlternateBase,
                    QPalette.ColorRole.Window, QPalette.ColorRole.ToolTipBase,
                    QPalette.ColorRole.Button)


def _dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor(35, 38, 42), QColor(45, 48, 53), QColor(225, 228, 232)
    roles = {
        QPalette.ColorRole.Window: window, QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base, QPalette.ColorRole.AlternateBase: window,
        QPalette.ColorRole.ToolTipBase: window, QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.Text: text, QPalette.ColorRole.Button: window,
        QPalette.ColorRole.ButtonText: text, QPalette.ColorRole.BrightText: QColor("red"),
        QPalette.ColorRole.Highlight: QColor(47, 111, 163),
        QPalette.ColorRole.HighlightedText: QColor("white"),
        QPalette.ColorRole.Link: QColor(106, 166, 224),
        QPalette.ColorRole.PlaceholderText: HINT_TEXT["dark"],
    }
    for role, color in roles.items():
        p.setColor(role, color)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                 QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 123, 128))
    return p


def _light_palette(standard: QPalette) -> QPalette:
    """Fusion's light palette; its placeholder (black at half opacity) was 3.4:1 on the
    Window grey: an opaque grey that meets AA instead."""
    p = QPalette(standard)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        p.setColor(group, QPalette.ColorRole.PlaceholderText, HINT_TEXT["light"])
    return p


def palette_for(theme: str, standard: QPalette) -> QPalette:
    """The palette of ``light`` or ``dark`` (``standard``: the style's own palette)."""
    return _dark_palette() if theme == "dark" else _light_palette(standard)


def hint_stylesheet(theme: str) -> str:
    """Application stylesheet rule for labels marked with ``mark_hint``."""
    return f'QLabel[hint="true"] {{ color: {HINT_TEXT.get(theme, HINT_TEXT["light"]).name()}; }}\n'


def hint_css() -> str:
    """The hint grey of the theme in use, for rich text (``style='color:…'``), which the
    application stylesheet does not reach."""
    return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText).name()


def mark_hint(widget: QWidget) -> QWidget:
    """Show ``widget``'s text as a hint (the theme's readable grey)."""
    widget.setProperty("hint", True)
    return widget


def effective_theme(choice: str) -> str:
    if choice in ("light", "dark"):
        return choice
    hints = QGuiApplication.styleHints()
    if hints is None:  # no GUI application yet
        return "light"
    return "dark" if hints.colorScheme() == Qt.ColorScheme.Dark else "light"


def apply_theme(app: QApplication, choice: str) -> str:
    """Apply ``system``/``light``/``dark``; returns the theme actually used."""
    from wyntek_desktop.ui.resources import resources_folder

    app.setStyle("Fusion")
    theme = effective_theme(choice)
    app.setPalette(palette_for(theme, app.style().standardPalette()))
    qss = resources_folder() / "styles" / f"{theme}.qss"
    app.setStyleSheet((qss.read_text("utf-8") if qss.is_file() else "") + hint_stylesheet(theme))
    return theme


def relative_luminance(color: QColor) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4
    return (0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF())
            + 0.0722 * channel(color.blueF()))


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio, 1 to 21 (AA asks 4.5 for body text)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)

"""The 3D view's inspection tool bar: problems, thickness map, edges, build plate,
measuring and the section plane. Every button has the view's key in its tooltip and
can be reached with Tab; the view's keys and the buttons stay in step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QToolButton, QWidget

if TYPE_CHECKING:
    from wyntek_desktop.ui.viewer import GLMeshView

# tool name, button text, key, what it does
TOOLS = (("problems", "Problems", "P", "Show open edges, non-manifold edges, inverted "
          "faces and faces without area on the part"),
         ("thickness", "Thickness", "T", "Colour the part by wall thickness against the "
          "chosen process's minimum wall"),
         ("edges", "Edges", "W", "Draw the triangle edges (wireframe)"),
         ("plate", "Plate", "B", "Draw the chosen machine's build plate and volume"),
         ("measure", "Measure", "M", "Click two points on the part to measure the "
          "distance (Esc ends)"))
SECTION_AXES = (("No section", None), ("Section X", "x"), ("Section Y", "y"),
                ("Section Z", "z"))


class ViewerTools(QWidget):
    def __init__(self, view: GLMeshView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 2, 0, 2)
        self.buttons: dict[str, QToolButton] = {}
        for name, text, key, tip in TOOLS:
            button = QToolButton(self)
            button.setText(text)
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.setToolTip(f"{tip} ({key})")
            button.setAccessibleName(f"{text} ({key})")
            button.toggled.connect(lambda on, n=name: self.view.set_tool(n, on))
            row.addWidget(button)
            self.buttons[name] = button
        self.axis = QComboBox(self)
        self.axis.setAccessibleName("Section plane axis (X cycles)")
        self.axis.setToolTip("Cut the part with a plane across an axis (X cycles, [ and ] "
                             "move it)")
        for text, axis in SECTION_AXES:
            self.axis.addItem(text, axis)
        self.axis.currentIndexChanged.connect(
            lambda i: self.view.set_section(self.axis.itemData(i)))
        row.addWidget(self.axis)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setAccessibleName("Section plane position")
        self.slider.setToolTip("Where the section plane cuts ([ and ] move it)")
        self.slider.setRange(0, 100)
        self.slider.setValue(50)
        self.slider.setPageStep(5)
        self.slider.valueChanged.connect(
            lambda v: self.view.set_section(self.view.section_axis, v / 100))
        row.addWidget(self.slider, 1)
        self.distance = QLabel(self)
        self.distance.setAccessibleName("Measured distance")
        row.addWidget(self.distance)
        view.tools_changed.connect(self.sync)
        view.measured.connect(lambda d: self.distance.setText(f"{d:.3f} mm"))
        self.sync()

    def sync(self) -> None:
        """Buttons, axis and slider as the view has them (a key may have switched one)."""
        for name, button in self.buttons.items():
            on = self.view.tool_on(name)
            if button.isChecked() != on:
                button.blockSignals(True)
                button.setChecked(on)
                button.blockSignals(False)
        self.buttons["thickness"].setEnabled(self.view.has_thickness
                                             or self.view.show_thickness)
        index = [a for _, a in SECTION_AXES].index(self.view.section_axis)
        for widget, value in ((self.axis, index),
                              (self.slider, round(self.view.section_fraction * 100))):
            widget.blockSignals(True)
            if isinstance(widget, QComboBox):
                widget.setCurrentIndex(value)
            else:
                widget.setValue(value)
            widget.blockSignals(False)
        self.slider.setEnabled(self.view.section_axis is not None)
        if not self.view.measure_points:
            self.distance.clear()

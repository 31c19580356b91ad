"""The job spec form: process, material, tolerance, quantity, finish, delivery, notes.

Validated as you type; the estimate and the two actions live below the fields.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

FINISHES = ("Standard", "Smooth", "Bead blasted", "Polished", "Painted", "Anodised")
PROCESS_NAMES = {"fdm": "FDM", "sla": "SLA", "sls": "SLS", "mjf": "MJF", "cnc": "CNC",
                 "sheet": "Sheet metal", "pcb": "PCB"}
MAX_DELIVERY = 2000
MAX_NOTES = 5000


def material_label(m: Any) -> str:
    bv = m.build_volume_mm
    volume = f", build {bv[0]:g}×{bv[1]:g}×{bv[2]:g} mm" if bv else ""  # noqa: RUF001
    return f"{m.name}{volume}, {m.tokens_per_cm3} tokens/cm³ + {m.setup_tokens} setup"


class SpecForm(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._materials: list[Any] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.process = QComboBox(self)
        self.process.setAccessibleName("Process")
        self.material = QComboBox(self)
        self.material.setAccessibleName("Material")
        self.material.setMinimumContentsLength(18)
        self.material.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.tolerance = QDoubleSpinBox(self)
        self.tolerance.setAccessibleName("Tolerance in millimetres")
        self.tolerance.setRange(0.01, 5.0)
        self.tolerance.setDecimals(2)
        self.tolerance.setSingleStep(0.05)
        self.tolerance.setValue(0.2)
        self.tolerance.setSuffix(" mm")
        self.quantity = QSpinBox(self)
        self.quantity.setAccessibleName("Quantity")
        self.quantity.setRange(1, 10_000)
        self.finish = QComboBox(self)
        self.finish.setAccessibleName("Finish")
        self.finish.setEditable(True)
        self.finish.addItems(FINISHES)
        self.delivery = QPlainTextEdit(self)
        self.delivery.setAccessibleName("Delivery instructions")
        self.delivery.setPlaceholderText("Address, contact, deadline…")
        self.delivery.setFixedHeight(60)
        self.notes = QPlainTextEdit(self)
        self.notes.setAccessibleName("Notes")
        self.notes.setPlaceholderText("Anything the operator should know")
        self.notes.setFixedHeight(60)
        form.addRow("&Process", self.process)
        form.addRow("&Material", self.material)
        self.material_info = QLabel(self)
        self.material_info.setWordWrap(True)
        self.material_info.setStyleSheet("color:#888")
        form.addRow("", self.material_info)
        form.addRow("&Tolerance", self.tolerance)
        form.addRow("&Quantity", self.quantity)
        form.addRow("F&inish", self.finish)
        form.addRow("&Delivery", self.delivery)
        form.addRow("&Notes", self.notes)
        outer.addLayout(form)
        self.problems = QLabel(self)
        self.problems.setAccessibleName("Spec problems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color:#e05555")
        outer.addWidget(self.problems)
        self.estimate = QLabel("Estimate: —", self)
        self.estimate.setAccessibleName("Token estimate")
        font = self.estimate.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.estimate.setFont(font)
        outer.addWidget(self.estimate)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add to outbox", self)
        self.add_button.setAccessibleName("Add to outbox")
        self.submit_button = QPushButton("Submit now", self)
        self.submit_button.setAccessibleName("Submit now")
        self.submit_button.setDefault(True)
        self.submit_button.setToolTip("Ctrl+Return")
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.submit_button)
        outer.addLayout(buttons)
        outer.addStretch(1)
        self.process.currentIndexChanged.connect(self._fill_materials)
        for signal in (self.material.currentIndexChanged, self.tolerance.valueChanged,
                       self.quantity.valueChanged, self.finish.currentTextChanged,
                       self.delivery.textChanged, self.notes.textChanged):
            signal.connect(self._on_edit)
        self.set_materials([])

    # -- catalogue ------------------------------------------------------------------------
    def set_materials(self, materials: list[Any]) -> None:
        self._materials = [m for m in materials if getattr(m, "active", True)]
        current = self.process.currentData()
        current_material = self.material.currentData()
        self.process.blockSignals(True)
        self.process.clear()
        for proc in dict.fromkeys(m.process for m in self._materials):
            self.process.addItem(PROCESS_NAMES.get(proc, proc), proc)
        if current is not None and self.process.findData(current) >= 0:
            self.process.setCurrentIndex(self.process.findData(current))
        self.process.blockSignals(False)
        self._fill_materials()
        if current_material is not None and self.material.findData(current_material) >= 0:
            self.material.setCurrentIndex(self.material.findData(current_material))

    def _fill_materials(self) -> None:
        proc = self.process.currentData()
        self.material.blockSignals(True)
        self.material.clear()
        for m in self._materials:
            if m.process == proc:
                self.material.addItem(m.name, m.id)
                self.material.setItemData(self.material.count() - 1, material_label(m),
                                          Qt.ItemDataRole.ToolTipRole)
        self.material.blockSignals(False)
        self._on_edit()

    def selected_material(self) -> Any:
        mid = self.material.currentData()
        return next((m for m in self._materials if m.id == mid), None)

    def select_material(self, material_id: str) -> bool:
        m = next((m for m in self._materials if m.id == material_id), None)
        if m is None:
            return False
        self.process.setCurrentIndex(self.process.findData(m.process))
        self.material.setCurrentIndex(self.material.findData(material_id))
        return True

    # -- values ---------------------------------------------------------------------------
    def _on_edit(self) -> None:
        m = self.selected_material()
        self.material_info.setText(material_label(m) if m else "")
        self.changed.emit()

    def problems_list(self) -> list[str]:
        out = []
        if not self._materials:
            out.append("The materials catalogue is not loaded yet: sign in once to get it.")
        elif self.selected_material() is None:
            out.append("Choose a material.")
        if len(self.delivery.toPlainText()) > MAX_DELIVERY:
            out.append(f"Delivery instructions are limited to {MAX_DELIVERY} characters "
                       f"({len(self.delivery.toPlainText())} now).")
        if len(self.notes.toPlainText()) > MAX_NOTES:
            out.append(f"Notes are limited to {MAX_NOTES} characters.")
        return out

    def spec(self, volume_cm3: float) -> dict[str, Any]:
        return {
            "material_id": self.material.currentData(),
            "quantity": self.quantity.value(),
            "tolerance_mm": round(self.tolerance.value(), 2),
            "volume_cm3": round(volume_cm3, 6),
            "finish": self.finish.currentText().strip() or None,
            "delivery_instructions": self.delivery.toPlainText().strip() or None,
            "notes": self.notes.toPlainText().strip() or None,
        }

    def set_problems(self, problems: list[str]) -> None:
        self.problems.setText("\n".join(problems))
        ok = not problems
        self.add_button.setEnabled(ok)
        self.submit_button.setEnabled(ok)

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
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

# What each process can offer (the field stays editable for anything else).
FINISHES: dict[str, tuple[str, ...]] = {
    "fdm": ("Standard", "Sanded", "Primed", "Painted"),
    "sla": ("Standard", "Sanded", "Primed", "Painted", "Clear coat"),
    "sls": ("Standard", "Bead blasted", "Dyed black", "Vapour smoothed"),
    "mjf": ("Standard", "Bead blasted", "Dyed black", "Vapour smoothed"),
    "cnc": ("As machined", "Bead blasted", "Anodised", "Powder coated", "Polished"),
    "sheet": ("As cut", "Deburred", "Powder coated", "Anodised"),
    "pcb": ("HASL (lead-free)", "ENIG", "OSP", "Immersion silver", "Hard gold"),
}
DEFAULT_FINISHES = ("Standard",)
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
        self.finish.addItems(DEFAULT_FINISHES)
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
        # a long estimate wraps instead of widening the job panel (and squeezing the view)
        self.estimate.setWordWrap(True)
        self.estimate.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.problems.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
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
        self._fill_finishes(proc)
        self.material.blockSignals(True)
        self.material.clear()
        for m in self._materials:
            if m.process == proc:
                self.material.addItem(m.name, m.id)
                self.material.setItemData(self.material.count() - 1, material_label(m),
                                          Qt.ItemDataRole.ToolTipRole)
        self.material.blockSignals(False)
        self._on_edit()

    def _fill_finishes(self, process: str | None) -> None:
        """The finishes this process offers; a typed-in finish the new process does not
        list is dropped (an anodised PCB would be refused by the operator)."""
        options = FINISHES.get(process or "", DEFAULT_FINISHES)
        current = self.finish.currentText().strip()
        self.finish.blockSignals(True)
        self.finish.clear()
        self.finish.addItems(options)
        if current in options:
            self.finish.setCurrentIndex(options.index(current))
        self.finish.blockSignals(False)

    def clear_job_fields(self) -> None:
        """After a job is queued: what belongs to that job only (delivery, notes) goes;
        process, material, tolerance, quantity and finish stay for the next one."""
        self.delivery.clear()
        self.notes.clear()

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

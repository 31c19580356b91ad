"""The job spec form: process, material, tolerance, quantity, finish, the board options of
a PCB (layers, thickness), delivery, notes.

Validated as you type; the estimate and the two actions live below the fields.
"""

from __future__ import annotations

import html
from decimal import Decimal
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

from wyntek_desktop.ui.theme import hint_css, mark_hint

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
# PCB thickness choices (mm); 1.6 mm is the standard board
BOARD_THICKNESSES = ("1.6", "0.8", "1.0", "1.2", "2.0")
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
        self.board_layers = QComboBox(self)
        self.board_layers.setAccessibleName("Board layers")
        self.board_layers.setToolTip("How many copper layers the board is made with")
        self.board_thickness = QComboBox(self)
        self.board_thickness.setAccessibleName("Board thickness")
        self._fill_thicknesses()
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
        mark_hint(self.material_info)
        form.addRow("", self.material_info)
        form.addRow("&Tolerance", self.tolerance)
        form.addRow("&Quantity", self.quantity)
        form.addRow("F&inish", self.finish)
        form.addRow("&Layers", self.board_layers)
        form.addRow("Thic&kness", self.board_thickness)
        self.form = form
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
        self.breakdown = QLabel(self)
        self.breakdown.setAccessibleName("Price breakdown")
        self.breakdown.setTextFormat(Qt.TextFormat.RichText)
        self.breakdown.setWordWrap(True)
        self.breakdown.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        outer.addWidget(self.breakdown)
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
                       self.board_layers.currentIndexChanged,
                       self.board_thickness.currentIndexChanged,
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

    def _fill_thicknesses(self) -> None:
        from wyntek_desktop.core.pricing import BOARD_THICKNESS_FACTORS

        for mm in BOARD_THICKNESSES:
            factor = BOARD_THICKNESS_FACTORS[Decimal(mm)]
            note = "standard" if factor == 1 else f"×{factor}"  # noqa: RUF001
            self.board_thickness.addItem(f"{mm} mm ({note})", mm)

    def _fill_board_layers(self, material: Any) -> None:
        """'As in the archive' or 1, 2, 4 … up to what the material makes."""
        from wyntek_desktop.core.pricing import FEWER_LAYERS_FACTOR

        current = self.board_layers.currentData()
        known = getattr(material, "copper_layers", None)   # None: the catalogue does not say
        most = int(known or 2)
        self.board_layers.blockSignals(True)
        self.board_layers.clear()
        self.board_layers.addItem("As in the archive", None)
        for n in [1, *range(2, most + 1, 2)]:
            note = f" (×{FEWER_LAYERS_FACTOR})" if known and n < most else ""  # noqa: RUF001
            self.board_layers.addItem(f"{n} layer{'s' if n > 1 else ''}{note}", n)
        index = self.board_layers.findData(current)
        self.board_layers.setCurrentIndex(max(index, 0))
        self.board_layers.blockSignals(False)

    def _show_board_options(self, visible: bool) -> None:
        for field in (self.board_layers, self.board_thickness):
            self.form.setRowVisible(field, visible)

    def _fill_finishes(self, process: str | None) -> None:
        """The finishes this process offers; a typed-in finish the new process does not
        list is dropped (an anodised PCB would be refused by the operator)."""
        options = FINISHES.get(process or "", DEFAULT_FINISHES)
        current = self.finish.currentText().strip()
        # a board's finish is priced: it is chosen from the list, never typed
        self.finish.setEditable(process != "pcb")
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
        is_pcb = getattr(m, "process", None) == "pcb"
        if is_pcb and self.board_layers.property("material") != m.id:
            self.board_layers.setProperty("material", m.id)
            self._fill_board_layers(m)
        self._show_board_options(is_pcb)
        self.changed.emit()

    def is_pcb(self) -> bool:
        return getattr(self.selected_material(), "process", None) == "pcb"

    def board_options(self) -> tuple[int | None, float | None, str | None]:
        """(layers, thickness mm, finish) of a PCB job; all None for other processes."""
        if not self.is_pcb():
            return None, None, None
        layers = self.board_layers.currentData()
        thickness = self.board_thickness.currentData()
        return (None if layers is None else int(layers),
                None if thickness is None else float(thickness),
                self.finish.currentText().strip() or None)

    def set_breakdown(self, lines: Any) -> None:
        """The price's parts as a small table (empty when there is no price)."""
        if not lines:
            self.breakdown.clear()
            return
        rows = []
        for line in lines:
            indent = "&nbsp;&nbsp;&nbsp;" if line.level else ""
            weight = "font-weight:bold;" if line.label == "Total" else ""
            rows.append(f"<tr style='{weight}'><td>{indent}{html.escape(line.label)}</td>"
                        f"<td align='right'>{html.escape(line.tokens)}</td></tr>")
            if line.detail:  # how it is counted, small and grey under its line
                rows.append(f"<tr><td colspan='2' style='color:{hint_css()};font-size:small'>"
                            f"{indent}&nbsp;&nbsp;{html.escape(line.detail)}</td></tr>")
        self.breakdown.setText("<table cellspacing='0' cellpadding='1' width='100%'>"
                               + "".join(rows) + "</table>")

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
        spec = self._spec(volume_cm3)
        layers, thickness, _finish = self.board_options()
        if layers is not None:
            spec["board_layers"] = layers
        if thickness is not None:
            spec["board_thickness_mm"] = thickness
        return spec

    def _spec(self, volume_cm3: float) -> dict[str, Any]:
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

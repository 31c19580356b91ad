"""Assign a Gerber archive's files to layers by hand, when their names say nothing."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

# the design package's ASSIGNABLE keys, with the words shown for them (the GUI thread
# does not import the design package: it loads numpy)
LAYER_CHOICES: dict[str, str] = {
    "copper top": "Copper, top", "copper bottom": "Copper, bottom",
    "copper inner": "Copper, inner", "soldermask top": "Solder mask, top",
    "soldermask bottom": "Solder mask, bottom", "silkscreen top": "Silkscreen, top",
    "silkscreen bottom": "Silkscreen, bottom", "paste top": "Paste, top",
    "paste bottom": "Paste, bottom", "outline": "Board outline", "drill": "Drill (Excellon)",
    "not used": "Not used",
}


def choice_of(role: str, side: str) -> str:
    key = f"{role} {side}".strip()
    return key if key in LAYER_CHOICES else "not used"


class LayerDialog(QDialog):
    """One row per archive file: what it was recognised as, changeable."""

    def __init__(self, report: Any, assigned: dict[str, str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Assign layers")
        self.setAccessibleName("Assign Gerber layers")
        self.resize(620, 420)
        layout = QVBoxLayout(self)
        note = QLabel("Choose what each file of the archive is. Your choice is kept with "
                      "the job's report.", self)
        note.setWordWrap(True)
        layout.addWidget(note)
        gerber = report.gerber
        rows: list[tuple[str, str]] = [(x.file, choice_of(x.role, x.side))
                                       for x in gerber.layers]
        rows += [(x.file, "not used") for x in gerber.ignored if x.file != "…"]
        rows.sort()
        self.table = QTableWidget(len(rows), 2, self)
        self.table.setAccessibleName("Archive files and their layers")
        self.table.setHorizontalHeaderLabels(["File", "Layer"])
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.combos: dict[str, QComboBox] = {}
        self._initial: dict[str, str] = {}
        for row, (name, choice) in enumerate(rows):
            item = QTableWidgetItem(name)
            item.setToolTip(name)
            self.table.setItem(row, 0, item)
            combo = QComboBox(self.table)
            combo.setAccessibleName(f"Layer of {name}")
            for key, label in LAYER_CHOICES.items():
                combo.addItem(label, key)
            combo.setCurrentIndex(combo.findData(assigned.get(name, choice)))
            self.table.setCellWidget(row, 1, combo)
            self.combos[name] = combo
            self._initial[name] = choice
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._previous = dict(assigned)

    def set_layer(self, file_name: str, key: str) -> None:
        combo = self.combos[file_name]
        combo.setCurrentIndex(combo.findData(key))

    def assignments(self) -> dict[str, str]:
        """Every file whose layer differs from what recognition said, plus earlier
        choices that were kept."""
        out: dict[str, str] = {}
        for name, combo in self.combos.items():
            key = str(combo.currentData())
            if key != self._initial[name] or name in self._previous:
                out[name] = key
        return out

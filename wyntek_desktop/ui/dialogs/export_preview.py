"""What "Export my data" will contain, counted by the service, before anything is
written; then Export… saves it as a JSON file.

The page asks for the counts first and opens this dialog with them, so it opens whole
(rows that arrived after it was shown would not fit its first size)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wyntek_desktop.core.account import ExportPreview
from wyntek_desktop.core.errors import WyntekError
from wyntek_desktop.ui.dialogs.account_form import fit_height
from wyntek_desktop.ui.theme import mark_hint
from wyntek_desktop.ui.widgets import Banner

# the export's sections in words; a section the service adds later is shown by its key
SECTION_NAMES: dict[str, str] = {
    "profile": "Profile (email, display name, balance, email choices)",
    "jobs": "Jobs and their specs",
    "files": "File records (names, sizes, checksums)",
    "job_events": "Job history (each status change)",
    "ledger": "Token ledger entries",
    "purchases": "Token purchases",
    "support_messages": "Support messages",
    "deletion_requests": "Account deletion requests",
    "policy_acknowledgements": "Privacy policy versions shown to you",
}


def section_name(key: str) -> str:
    return SECTION_NAMES.get(key, key.replace("_", " ").capitalize())


def preview_counts(preview: ExportPreview) -> dict[str, int]:
    """The preview as {section: count}: the sections named above in that order (the
    profile first), then any others."""
    known = [k for k in SECTION_NAMES if k in preview.sections]
    others = sorted(k for k in preview.sections if k not in SECTION_NAMES)
    return {k: int(preview.sections[k]) for k in known + others}


class ExportPreviewDialog(QDialog):
    def __init__(self, services: Any, preview: ExportPreview,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setWindowTitle("Export my data")
        self.setAccessibleName("Export my data")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        self.intro = QLabel("The export is one JSON file with these sections, as the "
                            "service holds them now (entries in each):", self)
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.note = mark_hint(QLabel(
            "The design files themselves are not in the export: it lists each one's name, "
            "size and checksum. The export is written only to the place you choose.",
            self, wordWrap=True))
        layout.addWidget(self.note)
        self.banner = Banner(self)
        layout.addWidget(self.banner)
        self.buttons = QDialogButtonBox(self)
        self.export_button: QPushButton = self.buttons.addButton(
            "Export…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setAccessibleName("Export to a file")
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.buttons.accepted.connect(self.choose_file)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.result_info: Any = None
        self.counts = preview_counts(preview)
        self.count_labels: dict[str, QLabel] = {}
        for key, count in self.counts.items():
            label = QLabel(f"{count:,}", self)
            label.setAccessibleName(section_name(key))
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.count_labels[key] = label
            self.form.addRow(section_name(key), label)

    def choose_file(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export my data", "wyntek-export.json",
                                              "JSON (*.json)")
        if name:
            self.export_to(Path(name))

    def export_to(self, path: Path) -> None:
        api = self.services.api
        if api is None:
            return
        self.export_button.setEnabled(False)
        self.export_button.setText("Exporting…")
        self.banner.dismiss()

        def done(result: Any) -> None:
            self.result_info = result
            self.export_button.setText("Export…")
            self.export_button.setEnabled(True)
            self.banner.show_message(f"Saved to {result.path}.", "success")
            fit_height(self)

        def failed(err: WyntekError) -> None:
            self.export_button.setText("Export…")
            self.export_button.setEnabled(True)
            self.banner.show_message(str(err), "error")
            fit_height(self)
        self.services.call(lambda state: api.export_my_data(path), on_result=done,
                           on_error=failed)

    def done(self, result: int) -> None:
        self.banner.dismiss()
        super().done(result)

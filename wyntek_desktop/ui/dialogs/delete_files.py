"""Delete my files: what will go (count, size, active jobs), then progress and result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLayout,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from wyntek_desktop.core.errors import WyntekError
from wyntek_desktop.core.models import FINAL_STATUSES
from wyntek_desktop.ui.models import fmt_bytes


@dataclass(frozen=True)
class DeletionPlan:
    files: int
    size: int
    active_jobs: list[str]


def plan_deletion(state: Any, api: Any) -> DeletionPlan:
    """Worker: what "Delete my files" would remove, from the job list."""
    jobs = api.list_jobs()
    files = [f for j in jobs for f in j.files if f.deleted_at is None]
    active = [j.id for j in jobs if j.status not in FINAL_STATUSES
              and any(f.deleted_at is None for f in j.files)]
    return DeletionPlan(len(files), sum(f.size_bytes for f in files), active)


class DeleteFilesDialog(QDialog):
    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setWindowTitle("Delete my files")
        self.setAccessibleName("Delete my files")
        layout = QVBoxLayout(self)
        # the dialog grows with its text (the plan arrives after it opened), never clips it
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        self.text = QLabel("Counting your stored files…", self)
        self.text.setWordWrap(True)
        self.text.setMinimumWidth(460)
        self.text.setAccessibleName("What will be deleted")
        layout.addWidget(self.text)
        # a busy bar while something runs (counting, deleting); hidden otherwise: there is
        # no percentage to show, and "0 %" before anything started says something false
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName("Working")
        layout.addWidget(self.progress)
        self.buttons = QDialogButtonBox(self)
        self.delete_button = self.buttons.addButton(
            "Delete files", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.delete_button.setAccessibleName("Confirm deleting my files")
        self.delete_button.setEnabled(False)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        layout.addWidget(self.buttons)
        self.delete_button.clicked.connect(self.delete)
        self.close_button.clicked.connect(self.reject)
        self.plan: DeletionPlan | None = None
        self.report: Any = None
        api = services.api
        if api is None:
            self._failed(WyntekError("Sign in first: your stored files are listed from the "
                                     "WYNTEK service."))
            return
        services.call(plan_deletion, api, on_result=self._got_plan, on_error=self._failed)

    def _set_text(self, text: str) -> None:
        self.text.setText(text)
        self.adjustSize()  # a longer text makes the dialog taller

    def _got_plan(self, plan: DeletionPlan) -> None:
        self.plan = plan
        self.progress.hide()
        if plan.files == 0:
            self._set_text("You have no stored design files. Nothing to delete.")
            return
        active = (f"\n\nThe files of the {len(plan.active_jobs)} job(s) still in progress "
                  "are kept until those jobs are finished."
                  if plan.active_jobs else "")
        self._set_text(
            f"This permanently deletes {plan.files} stored file(s), {fmt_bytes(plan.size)}, "
            f"from the WYNTEK service. Job records and the ledger are kept.{active}")
        self.delete_button.setEnabled(True)

    def delete(self) -> None:
        self.delete_button.setEnabled(False)
        self.progress.show()
        self._set_text("Deleting your files…")
        api = self.services.api
        self.services.call(lambda state: api.delete_my_files(), on_result=self._done,
                           on_error=self._failed)

    def _done(self, report: Any) -> None:
        self.report = report
        self.progress.hide()
        text = (f"Deleted {report.files_removed} file(s), {fmt_bytes(report.bytes_removed)}.")
        if report.kept:
            text += f" Kept {len(report.kept)} file(s) of jobs still in progress."
        if report.failed:
            text += (f" {len(report.failed)} file(s) could not be deleted; try again later.")
        self._set_text(text)
        self.close_button.setText("Close")

    def _failed(self, err: Any) -> None:
        self.progress.hide()
        self._set_text(str(err))
        self.close_button.setText("Close")

"""An operator's next step on a job: advance it with a note, or reject it with a reason.

Keyboard first: the text field has the focus, Enter sends (once the field says enough),
Escape closes without changing anything. The dialog stays open while the service
answers, and shows its refusal in its own words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wyntek_desktop.core.models import Job
from wyntek_desktop.core.operations import OperatorJob
from wyntek_desktop.ui.models import status_label

MAX_NOTE = 2000  # job_events.note


class JobStepDialog(QDialog):
    """The shared frame: a sentence, one line of text, Send / Cancel, an error line."""

    submitted = Signal()
    required = False

    def __init__(self, job: OperatorJob, title: str, text: str, field: str, action: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self.setWindowTitle(title)
        self.setObjectName("job-step")
        layout = QVBoxLayout(self)
        intro = QLabel(text, self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.text = QLineEdit(self)
        self.text.setAccessibleName(field.replace("&", ""))
        self.text.setMaxLength(MAX_NOTE)
        self.text.setMinimumWidth(420)
        form.addRow(field, self.text)
        layout.addLayout(form)
        self.error = QLabel("", self)
        self.error.setObjectName("job-step-error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#e05555")
        self.error.hide()
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(self)
        self.ok: QPushButton = self.buttons.addButton(action,
                                                      QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("confirm")
        self.ok.setDefault(True)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("cancel")
        self.buttons.accepted.connect(self._send)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.text.textChanged.connect(self._validate)
        self._busy = False
        self._validate()
        self.text.setFocus()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.text.setFocus()  # typing goes to the note at once

    def _validate(self) -> None:
        self.ok.setEnabled(not self._busy and (not self.required
                                               or bool(self.text.text().strip())))

    def _send(self) -> None:
        if self.ok.isEnabled():
            self.error.hide()
            self.submitted.emit()

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.text.setReadOnly(busy)
        self._validate()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        self.text.setFocus()

    def request(self) -> Callable[[Any], Job]:
        """The call to make with what was typed (runs in a worker)."""
        raise NotImplementedError

    def done_text(self, job: OperatorJob) -> str:
        raise NotImplementedError


class AdvanceDialog(JobStepDialog):
    def __init__(self, job: OperatorJob, target: str, parent: QWidget | None = None) -> None:
        self.target = target
        super().__init__(
            job, "Advance the job",
            f"Move job {job.id[:8]} from {status_label(job.status)} to "
            f"{status_label(target)}? The customer sees the note in the job's history.",
            "&Note for the customer", f"Move to {status_label(target)}", parent)
        self.text.setPlaceholderText("Optional, e.g. 'Printing starts tomorrow.'")

    def request(self) -> Callable[[Any], Job]:
        job_id, target, note = self.job.id, self.target, self.text.text().strip()
        return lambda ops: ops.advance(job_id, target, note or None)

    def done_text(self, job: OperatorJob) -> str:
        return f"Job {job.id[:8]} is now {status_label(job.status)}."


class RejectDialog(JobStepDialog):
    required = True

    def __init__(self, job: OperatorJob, parent: QWidget | None = None) -> None:
        super().__init__(
            job, "Reject the job",
            f"Reject job {job.id[:8]}? WYNTEK will not make it; the tokens it cost are "
            "refunded to the customer, who sees the reason in the job's history.",
            "&Reason", "Reject the job", parent)
        self.text.setPlaceholderText("Required, e.g. 'The walls are thinner than 0.8 mm.'")

    def request(self) -> Callable[[Any], Job]:
        job_id, reason = self.job.id, self.text.text().strip()
        return lambda ops: ops.reject(job_id, reason)

    def done_text(self, job: OperatorJob) -> str:
        return f"Job {job.id[:8]} is rejected; the customer's tokens are refunded."

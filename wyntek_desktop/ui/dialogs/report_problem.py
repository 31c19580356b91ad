"""Report a problem with a shipped or completed job: a warranty message to support,
linked to the job. Ctrl+Return sends, Escape closes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wyntek_desktop.core.errors import WyntekError
from wyntek_desktop.core.models import Job
from wyntek_desktop.ui.models import status_label

MAX_SUBJECT, MAX_BODY = 200, 5000
WARRANTY = "warranty"
REPORTABLE = ("shipped", "completed")

Send = Callable[[str, str], Any]  # subject, body -> the message (blocking: a worker)


class ReportProblemDialog(QDialog):
    sent = Signal(object)  # the support message

    def __init__(self, services: Any, job: Job, send: Send,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services, self.job, self._send = services, job, send
        self.message_sent: Any = None
        self.setWindowTitle("Report a problem")
        self.setObjectName("report-problem")
        layout = QVBoxLayout(self)
        intro = QLabel(f"Tell WYNTEK what is wrong with job {job.id[:8]} "
                       f"({status_label(job.status)}). The message goes to support as a "
                       "warranty claim about this job; they answer by email.", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.subject = QLineEdit(f"Problem with job {job.id[:8]}", self)
        self.subject.setAccessibleName("Subject")
        self.subject.setMaxLength(MAX_SUBJECT)
        form.addRow("&Subject", self.subject)
        self.body = QPlainTextEdit(self)
        self.body.setAccessibleName("What is wrong")
        self.body.setPlaceholderText("What is wrong, how many parts, what you expected…")
        self.body.setTabChangesFocus(True)
        self.body.setMinimumSize(460, 140)
        form.addRow("&What is wrong", self.body)
        layout.addLayout(form)
        self.error = QLabel("", self)
        self.error.setObjectName("report-problem-error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#e05555")
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(self)
        self.ok: QPushButton = buttons.addButton("Send to support",
                                                 QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("confirm")
        self.ok.setToolTip("Ctrl+Return")
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("cancel")
        buttons.accepted.connect(self.confirm)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.confirm,
                      context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._busy = False
        self.subject.textChanged.connect(self._validate)
        self.body.textChanged.connect(self._validate)
        self._validate()
        self.body.setFocus()

    def _validate(self) -> None:
        body = self.body.toPlainText().strip()
        self.ok.setEnabled(not self._busy and bool(self.subject.text().strip())
                           and 0 < len(body) <= MAX_BODY)

    def confirm(self) -> None:
        if not self.ok.isEnabled():
            return
        subject, body, send = self.subject.text().strip(), self.body.toPlainText().strip(), \
            self._send
        self._busy = True
        self._validate()

        def done(message: Any) -> None:
            self._busy = False
            self.message_sent = message
            self.sent.emit(message)
            self.accept()

        def failed(err: WyntekError) -> None:
            self._busy = False
            self._validate()
            self.error.setText(err.message)
            self.error.show()
        self.services.call(lambda state: send(subject, body), on_result=done, on_error=failed)

"""Help: how-to pages, the shortcuts sheet, contact support (optionally about one job),
past messages, logs, About."""

from __future__ import annotations

import heapq
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from wyntek_desktop.core.errors import WyntekError
from wyntek_desktop.ui.models import MessagesModel, material_text, status_label
from wyntek_desktop.ui.theme import hint_css
from wyntek_desktop.ui.widgets import Page, record_table

MAX_BODY = 5000


JOB_CHOICES = 200  # the most recently changed jobs offered in the message form
_EPOCH = datetime.fromtimestamp(0, UTC)


def job_choice(job: Any, names: dict[str, str] | None = None) -> str:
    """How a job is offered in the message form: id, material and process, status."""
    return f"{job.id[:8]} · {material_text(job, names)} · {status_label(job.status)}"


def _last_change(job: Any) -> datetime:
    return job.updated_at or job.created_at or _EPOCH


class HelpPage(Page):
    title = "Help"
    scrolls = True
    shortcuts_requested = Signal()

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        # two tabs, no heading above them: the page is only as tall as the taller tab
        # (the window cannot be made smaller than its tallest page)
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Help sections")
        self.body.addWidget(self.tabs, 1)
        self._build_howtos()
        support = QWidget(self.tabs)
        self.support_layout = QVBoxLayout(support)
        self.support_layout.setContentsMargins(4, 4, 4, 0)
        self.tabs.addTab(support, "&Contact support")
        box = QGroupBox("Contact support", self)
        form = QFormLayout(box)
        self.subject = QLineEdit(box)
        self.subject.setAccessibleName("Subject")
        self.subject.setMaxLength(200)
        self._jobs: list[Any] = []
        self._jobs_stale = False
        self.job = QComboBox(box)
        self.job.setAccessibleName("About job (optional)")
        self.job.addItem("No particular job", None)
        self.message = QPlainTextEdit(box)
        self.message.setAccessibleName("Message")
        self.message.setFixedHeight(110)
        self.counter = QLabel(f"0 / {MAX_BODY}", box)
        self.send = QPushButton("Send to support", box)
        self.send.setAccessibleName("Send to support")
        self.send.clicked.connect(self.send_message)
        form.addRow("&Subject", self.subject)
        form.addRow("&Job", self.job)
        form.addRow("&Message", self.message)
        row = QHBoxLayout()
        row.addWidget(self.counter)
        row.addStretch(1)
        row.addWidget(self.send)
        form.addRow("", row)
        self.support_layout.addWidget(box)
        self.support_layout.addWidget(QLabel("Your messages"))
        self.model = MessagesModel(self)
        self.table = record_table(self, self.model, "Past support messages")
        self.support_layout.addWidget(self.table, 1)
        logs_box = QGroupBox("Logs and app folders", self)
        lv = QVBoxLayout(logs_box)
        from wyntek_desktop.core.appdirs import AppDirs
        logs = AppDirs.default().log
        self.logs_path = str(logs)
        self.logs_label = QLabel(f"Logs are written to {logs}. Attach the newest log "
                                 "file when you report a problem; it never contains your "
                                 "password or tokens.", logs_box)
        self.logs_label.setWordWrap(True)
        lv.addWidget(self.logs_label)
        lrow = QHBoxLayout()
        open_logs = QPushButton("Open logs folder", logs_box)
        open_logs.setAccessibleName("Open logs folder")
        open_logs.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(self.logs_path)))
        self.about_button = QPushButton("About WYNTEK Desktop", logs_box)
        self.about_button.setAccessibleName("About WYNTEK Desktop")
        lrow.addWidget(open_logs)
        lrow.addWidget(self.about_button)
        lrow.addStretch(1)
        lv.addLayout(lrow)
        self.support_layout.addWidget(logs_box)
        self.message.textChanged.connect(self._validate)
        self.subject.textChanged.connect(self._validate)
        services.signed_in_changed.connect(lambda e: self._validate())
        services.signed_in_changed.connect(self._on_sign_in)
        self._validate()

    def _build_howtos(self) -> None:
        box = QWidget(self.tabs)
        row = QHBoxLayout(box)
        side = QVBoxLayout()
        self.howto_list = QListWidget(box)
        self.howto_list.setAccessibleName("How-to pages")
        self.howto_list.setFixedWidth(230)
        self.howto_list.currentRowChanged.connect(self._show_howto)
        side.addWidget(self.howto_list, 1)
        self.shortcuts_button = QPushButton("Keyboard shortcuts (F1)", box)
        self.shortcuts_button.setAccessibleName("Show the keyboard shortcuts")
        self.shortcuts_button.clicked.connect(self.shortcuts_requested.emit)
        side.addWidget(self.shortcuts_button)
        row.addLayout(side)
        self.howto_text = QTextBrowser(box)
        self.howto_text.setAccessibleName("How-to page")
        self.howto_text.setOpenExternalLinks(True)
        row.addWidget(self.howto_text, 1)
        self.tabs.addTab(box, "How to…")
        self._howtos: list[Any] = []
        # the pages are files: read in a worker, shown when they arrive
        self.services.call_named("wyntek_desktop.ui.howto:read_howtos",
                                 on_result=self._got_howtos, on_error=self.show_error)

    def _got_howtos(self, pages: list[Any]) -> None:
        self._howtos = pages
        self.howto_list.clear()
        for page in pages:
            self.howto_list.addItem(page.title)
        if pages:
            self.howto_list.setCurrentRow(0)

    def _show_howto(self, row: int) -> None:
        if 0 <= row < len(self._howtos):
            self.howto_text.setMarkdown(self._howtos[row].markdown)

    def howto_titles(self) -> list[str]:
        return [page.title for page in self._howtos]

    def _validate(self) -> None:
        n = len(self.message.toPlainText())
        self.counter.setText(f"{n} / {MAX_BODY}")
        self.counter.setStyleSheet("color:#e05555" if n > MAX_BODY else f"color:{hint_css()}")
        ok = (self.services.signed_in and bool(self.subject.text().strip())
              and 0 < len(self.message.toPlainText().strip()) <= MAX_BODY)
        self.send.setEnabled(ok)
        self.send.setToolTip("" if self.services.signed_in else "Sign in to contact support.")

    def _on_sign_in(self, email: str | None) -> None:
        if email is None:
            self.model.clear()
        elif self.isVisible():  # the page a relaunch restored: load what it lists
            self.refresh()

    def set_jobs(self, jobs: list[Any]) -> None:
        """The jobs a message can be about; the list is rebuilt when the page is seen."""
        self._jobs = jobs
        self._jobs_stale = True
        if self.isVisible():
            self._fill_jobs()

    def _fill_jobs(self) -> None:
        self._jobs_stale = False
        current = self.job.currentData()
        recent = heapq.nlargest(JOB_CHOICES, self._jobs, key=_last_change)
        if current is not None and all(j.id != current for j in recent):
            recent += [j for j in self._jobs if j.id == current]  # keep what was chosen
        names = self._names()
        self.job.clear()
        self.job.addItem("No particular job", None)
        for j in recent:
            self.job.addItem(job_choice(j, names), j.id)
        index = self.job.findData(current)
        self.job.setCurrentIndex(max(index, 0))

    def _names(self) -> dict[str, str]:
        from wyntek_desktop.ui.pages.jobs import material_names
        return material_names(self.services.catalogue)

    def show_support(self) -> None:
        self.tabs.setCurrentIndex(1)

    def choose_job(self, job_id: str) -> None:
        """Write about this job (the Jobs page's context menu)."""
        self.show_support()
        if self._jobs_stale:
            self._fill_jobs()
        index = self.job.findData(job_id)
        if index < 0:
            job = next((j for j in self._jobs if j.id == job_id), None)
            if job is None:
                return
            self.job.addItem(job_choice(job, self._names()), job.id)
            index = self.job.count() - 1
        self.job.setCurrentIndex(index)

    def send_message(self) -> None:
        api = self.services.api
        subject, body = self.subject.text(), self.message.toPlainText()
        job_id = self.job.currentData()
        self.send.setEnabled(False)

        def done(msg: Any) -> None:
            self.subject.clear()
            self.message.clear()
            self.show_info("Your message was sent; support answers by email.")
            self.refresh()
        def failed(err: WyntekError) -> None:
            self.show_error(err)
            self._validate()
        self.services.call(lambda state: api.create_support_message(subject, body, job_id),
                           on_result=done, on_error=failed)

    def refresh(self) -> None:
        api = self.services.api
        if api is None or not self.services.signed_in:
            return
        self.services.call(lambda state: api.support_messages(),
                           on_result=self.model.set_records, on_error=self.show_error,
                           latest="messages")

    def page_shown(self) -> None:
        if self._jobs_stale:
            self._fill_jobs()
        self.refresh()

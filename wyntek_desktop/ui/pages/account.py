"""Account & Privacy: profile, sign out, delete my files, export, retention, deletion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wyntek_desktop.core.errors import WyntekError
from wyntek_desktop.ui.dialogs.confirm import confirm
from wyntek_desktop.ui.dialogs.delete_files import DeleteFilesDialog
from wyntek_desktop.ui.widgets import Page, heading


class AccountPage(Page):
    title = "Account & Privacy"
    files_deleted = Signal()   # stored files went: job details must say so

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.body.addWidget(heading("Account & Privacy"))
        profile = QGroupBox("Profile", self)
        form = QFormLayout(profile)
        self.email = QLabel("Not signed in", profile)
        self.email.setAccessibleName("Signed-in email")
        form.addRow("Email", self.email)
        name_row = QHBoxLayout()
        self.display_name = QLineEdit(profile)
        self.display_name.setAccessibleName("Display name")
        self.display_name.setMaxLength(100)
        self.save_name = QPushButton("Save", profile)
        self.save_name.setAccessibleName("Save display name")
        self.save_name.clicked.connect(self.save_display_name)
        name_row.addWidget(self.display_name, 1)
        name_row.addWidget(self.save_name)
        form.addRow("Display name", name_row)
        self.job_emails = QCheckBox("Email me when a job's status changes", profile)
        self.job_emails.setAccessibleName("Job status emails")
        self.job_emails.setToolTip("Receipts and account emails are always sent.")
        self.job_emails.setChecked(True)
        self.job_emails.clicked.connect(self.save_job_emails)
        form.addRow("Email", self.job_emails)
        self.sign_out_button = QPushButton("Sign out on this device", profile)
        self.sign_out_button.setAccessibleName("Sign out")
        self.sign_out_button.clicked.connect(services.sign_out)
        form.addRow("", self.sign_out_button)
        self.body.addWidget(profile)
        privacy = QGroupBox("Your data", self)
        pv = QVBoxLayout(privacy)
        pv.addWidget(QLabel("Design files are kept for 12 months after a job is completed, "
                            "then deleted. Each job's retention date is in its details on "
                            "the Jobs page.", privacy, wordWrap=True))
        row = QHBoxLayout()
        self.delete_files_button = QPushButton("Delete my files…", privacy)
        self.delete_files_button.setAccessibleName("Delete my files")
        self.delete_files_button.clicked.connect(self.delete_files)
        self.export_button = QPushButton("Export my data…", privacy)
        self.export_button.setAccessibleName("Export my data")
        self.export_button.clicked.connect(self.export_dialog)
        self.delete_account_button = QPushButton("Delete my account…", privacy)
        self.delete_account_button.setAccessibleName("Request deletion of my account")
        self.delete_account_button.clicked.connect(self.delete_account)
        for b in (self.delete_files_button, self.export_button, self.delete_account_button):
            row.addWidget(b)
        row.addStretch(1)
        pv.addLayout(row)
        self.result = QLabel("", privacy)
        self.result.setAccessibleName("Privacy action result")
        self.result.setWordWrap(True)
        pv.addWidget(self.result)
        self.body.addWidget(privacy)
        self.body.addStretch(1)
        services.signed_in_changed.connect(self._on_sign_in)
        services.profile_changed.connect(self._on_profile)
        self.last_dialog: DeleteFilesDialog | None = None
        self.confirmation: QMessageBox | None = None
        self._on_sign_in(services.email)

    def _on_sign_in(self, email: str | None) -> None:
        signed = email is not None
        self.email.setText(email or "Not signed in")
        for w in (self.display_name, self.save_name, self.sign_out_button, self.job_emails,
                  self.delete_files_button, self.export_button, self.delete_account_button):
            w.setEnabled(signed)
        if not signed:
            self.display_name.clear()

    def _on_profile(self, profile: Any) -> None:
        if not self.display_name.hasFocus():
            self.display_name.setText(profile.display_name or "")
        self.job_emails.setChecked(bool(getattr(profile, "email_job_updates", True)))

    def save_job_emails(self, checked: bool) -> None:
        api = self.services.api
        if api is None:
            return

        def done(profile: Any) -> None:
            self.services.profile_changed.emit(profile)
            self.show_info("Job status emails are " + ("on." if checked else
                           "off. Receipts and account emails still come."))

        def failed(err: object) -> None:
            self.job_emails.setChecked(not checked)
            self.show_error(err)
        self.services.call(lambda state: api.set_email_job_updates(checked), on_result=done,
                           on_error=failed)

    def save_display_name(self) -> None:
        api = self.services.api
        name = self.display_name.text()

        def done(profile: Any) -> None:
            self.services.profile_changed.emit(profile)
            self.show_info("Display name saved.")
        self.services.call(lambda state: api.update_display_name(name), on_result=done,
                           on_error=self.show_error)

    def delete_files(self) -> None:
        dialog = DeleteFilesDialog(self.services, self)
        self.last_dialog = dialog
        dialog.finished.connect(lambda _: self._after_delete(dialog))
        dialog.open()

    def _after_delete(self, dialog: DeleteFilesDialog) -> None:
        if dialog.report is not None:
            self.files_deleted.emit()
            r = dialog.report
            self.result.setText(f"Deleted {r.files_removed} file(s)."
                                + (f" {len(r.failed)} could not be deleted." if r.failed
                                   else ""))

    def export_dialog(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export my data", "wyntek-export.json",
                                              "JSON (*.json)")
        if name:
            self.export_to(Path(name))

    def export_to(self, path: Path) -> None:
        api = self.services.api
        self.result.setText("Exporting…")

        def done(res: Any) -> None:
            self.result.setText(f"Exported {res.jobs} job(s), {res.files} file record(s) and "
                                f"{res.ledger_entries} ledger entries to {res.path}.")
        def failed(err: WyntekError) -> None:
            self.result.setText("")
            self.show_error(err)
        self.services.call(lambda state: api.export_my_data(path), on_result=done,
                           on_error=failed)

    def delete_account(self) -> None:
        self.confirmation = confirm(
            self, "Delete my account",
            "Request deletion of your WYNTEK account?", "Request account deletion",
            self.request_account_deletion, destructive=True, keep="Keep my account",
            informative="WYNTEK deletes the account and its data after checking open jobs "
                        "and legal retention. You are signed out on this device.")

    def request_account_deletion(self) -> None:
        api = self.services.api

        def done(_: Any) -> None:
            self.services.sign_out()
            self.result.setText("Your account deletion request was recorded.")
        self.services.call(lambda state: api.request_account_deletion(), on_result=done,
                           on_error=self.show_error)

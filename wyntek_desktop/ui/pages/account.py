"""Account & Privacy: profile, email and password, email choices and the right to object,
delete my files, export (with a preview), retention, the account deletion request."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
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

from wyntek_desktop.core.account import DeletionRequest, ExportPreview, PrivacyPreferences
from wyntek_desktop.core.errors import WyntekError
from wyntek_desktop.ui.dialogs.change_email import ChangeEmailDialog
from wyntek_desktop.ui.dialogs.change_password import ChangePasswordDialog
from wyntek_desktop.ui.dialogs.confirm import confirm
from wyntek_desktop.ui.dialogs.delete_files import DeleteFilesDialog
from wyntek_desktop.ui.dialogs.export_preview import ExportPreviewDialog
from wyntek_desktop.ui.theme import mark_hint
from wyntek_desktop.ui.widgets import Page, heading

JOB_EMAILS_HINT = ("An email when a job is accepted, made, shipped or needs you; receipts "
                   "and security emails are always sent.")
OBJECTION_HINT = ("WYNTEK then uses your data only to make and bill your jobs: no "
                  "status-update emails, and a completed job's files are removed at once "
                  "instead of being kept 12 months for reorders.")


def long_date(value: datetime | None) -> str:
    """``9 December 2026, 14:05`` in the computer's time zone."""
    if value is None:
        return "a date not yet set"
    local = value.astimezone()
    return f"{local.day} {local:%B %Y, %H:%M}"


def deletion_text(request: DeletionRequest) -> str:
    """The open request in words: when it was asked for, when it is carried out."""
    asked, when = long_date(request.requested_at), long_date(request.scheduled_for)
    if request.status == "processing":
        text = f"Your account is being deleted now (asked for on {asked})."
    else:
        text = (f"You asked on {asked} for your account to be deleted. It will be carried "
                f"out on {when}; until then you can cancel the request and keep everything.")
    return f"{text} {request.note}" if request.note else text


def is_open(request: DeletionRequest | None) -> bool:
    return request is not None and request.status in ("pending", "processing")


class AccountPage(Page):
    title = "Account & Privacy"
    files_deleted = Signal()   # stored files went: job details must say so

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.body.addWidget(heading("Account & Privacy"))
        self.body.addWidget(self._profile_group())
        self.body.addWidget(self._emails_group())
        self.body.addWidget(self._data_group())
        self.body.addStretch(1)
        services.signed_in_changed.connect(self._on_sign_in)
        services.profile_changed.connect(self._on_profile)
        self.last_dialog: DeleteFilesDialog | None = None
        self.account_dialog: Any = None
        self.confirmation: QMessageBox | None = None
        self.preferences: PrivacyPreferences | None = None
        self.deletion: DeletionRequest | None = None
        self._on_sign_in(services.email)

    # -- structure ------------------------------------------------------------------------
    def _profile_group(self) -> QGroupBox:
        profile = QGroupBox("Profile", self)
        form = QFormLayout(profile)
        email_row = QHBoxLayout()
        self.email = QLabel("Not signed in", profile)
        self.email.setAccessibleName("Signed-in email")
        self.email.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.change_email_button = QPushButton("Change email…", profile)
        self.change_email_button.setAccessibleName("Change email")
        self.change_email_button.clicked.connect(self.change_email)
        email_row.addWidget(self.email, 1)
        email_row.addWidget(self.change_email_button)
        form.addRow("Email", email_row)
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
        password_row = QHBoxLayout()
        self.change_password_button = QPushButton("Change password…", profile)
        self.change_password_button.setAccessibleName("Change password")
        self.change_password_button.clicked.connect(self.change_password)
        self.sign_out_button = QPushButton("Sign out on this device", profile)
        self.sign_out_button.setAccessibleName("Sign out")
        self.sign_out_button.clicked.connect(self.services.sign_out)
        password_row.addWidget(self.change_password_button)
        password_row.addWidget(self.sign_out_button)
        password_row.addStretch(1)
        form.addRow("Password", password_row)
        return profile

    def _emails_group(self) -> QGroupBox:
        group = QGroupBox("Emails and the right to object", self)
        column = QVBoxLayout(group)
        self.job_emails = QCheckBox("Email me when a job's status changes", group)
        self.job_emails.setAccessibleName("Job status emails")
        self.job_emails.setToolTip("Receipts and account emails are always sent.")
        self.job_emails.setChecked(True)
        self.job_emails.clicked.connect(self.save_job_emails)
        self.objection = QCheckBox("I object to processing of my data beyond my jobs", group)
        self.objection.setAccessibleName("Object to processing")
        self.objection.clicked.connect(self.save_objection)
        for box, hint in ((self.job_emails, JOB_EMAILS_HINT),
                          (self.objection, OBJECTION_HINT)):
            column.addWidget(box)
            label = mark_hint(QLabel(hint, group, wordWrap=True))
            label.setContentsMargins(24, 0, 0, 6)  # under the box's text, not its tick
            column.addWidget(label)
        return group

    def _data_group(self) -> QGroupBox:
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
        self.deletion_box = QGroupBox("Account deletion requested", privacy)
        self.deletion_box.setObjectName("deletion-request")
        box = QHBoxLayout(self.deletion_box)
        self.deletion_label = QLabel("", self.deletion_box)
        self.deletion_label.setAccessibleName("Account deletion request")
        self.deletion_label.setWordWrap(True)
        self.cancel_deletion_button = QPushButton("Cancel deletion", self.deletion_box)
        self.cancel_deletion_button.setAccessibleName("Cancel the account deletion")
        self.cancel_deletion_button.clicked.connect(self.cancel_deletion)
        box.addWidget(self.deletion_label, 1)
        box.addWidget(self.cancel_deletion_button, 0, Qt.AlignmentFlag.AlignTop)
        self.deletion_box.hide()
        pv.addWidget(self.deletion_box)
        self.result = QLabel("", privacy)
        self.result.setAccessibleName("Privacy action result")
        self.result.setWordWrap(True)
        pv.addWidget(self.result)
        return privacy

    # -- state ------------------------------------------------------------------------------
    def _on_sign_in(self, email: str | None) -> None:
        signed = email is not None
        self.email.setText(email or "Not signed in")
        for w in (self.display_name, self.save_name, self.sign_out_button, self.job_emails,
                  self.objection, self.change_email_button, self.change_password_button,
                  self.delete_files_button, self.export_button, self.delete_account_button):
            w.setEnabled(signed)
        if not signed:
            self.display_name.clear()
            self.preferences = self.deletion = None
            self.deletion_box.hide()
        else:
            self.reload()

    def _on_profile(self, profile: Any) -> None:
        if not self.display_name.hasFocus():
            self.display_name.setText(profile.display_name or "")
        self.job_emails.setChecked(bool(getattr(profile, "email_job_updates", True)))
        if hasattr(profile, "processing_objection"):
            self.objection.setChecked(bool(profile.processing_objection))

    def page_shown(self) -> None:
        if self.services.signed_in:
            self.reload()

    def reload(self) -> None:
        """The email choices and the deletion request, as the service holds them."""
        self.services.account_call(lambda account: account.privacy_preferences(),
                                   self._got_preferences, self.show_error,
                                   latest="account-preferences")
        self.services.account_call(lambda account: account.deletion_request(),
                                   self._got_deletion, self.show_error,
                                   latest="account-deletion")

    def _got_preferences(self, preferences: PrivacyPreferences) -> None:
        self.preferences = preferences
        objecting = preferences.processing_objection
        self.job_emails.setChecked(preferences.email_job_updates and not objecting)
        self.objection.setChecked(objecting)
        # while objecting no status emails are sent: the service refuses them
        self.job_emails.setEnabled(self.services.signed_in and not objecting)
        self.job_emails.setToolTip("Off while you object to processing." if objecting else
                                   "Receipts and account emails are always sent.")

    def _got_deletion(self, request: DeletionRequest | None) -> None:
        self.deletion = request if is_open(request) else None
        if request is None or self.deletion is None:
            self.deletion_box.hide()
            self.delete_account_button.setEnabled(self.services.signed_in)
            return
        self.deletion_label.setText(deletion_text(request))
        self.cancel_deletion_button.setVisible(request.can_cancel)
        self.cancel_deletion_button.setEnabled(True)
        self.delete_account_button.setEnabled(False)  # one request at a time
        self.deletion_box.show()

    # -- email choices ----------------------------------------------------------------------
    def save_job_emails(self, checked: bool) -> None:
        def done(preferences: PrivacyPreferences) -> None:
            self._got_preferences(preferences)
            self.show_info("Job status emails are " + ("on." if checked else
                           "off. Receipts and account emails still come."))

        def failed(err: WyntekError) -> None:
            self.job_emails.setChecked(not checked)
            self.show_error(err)
        self.services.account_call(
            lambda account: account.set_privacy_preferences(email_job_updates=checked), done,
            failed)

    def save_objection(self, checked: bool) -> None:
        def done(preferences: PrivacyPreferences) -> None:
            self._got_preferences(preferences)
            self.show_info("Your objection is recorded: your data is used only for your "
                           "jobs." if checked else "Your objection is withdrawn.")

        def failed(err: WyntekError) -> None:
            self.objection.setChecked(not checked)
            self.show_error(err)
        self.services.account_call(
            lambda account: account.set_privacy_preferences(processing_objection=checked),
            done, failed)

    # -- profile ----------------------------------------------------------------------------
    def save_display_name(self) -> None:
        api = self.services.api
        name = self.display_name.text()

        def done(profile: Any) -> None:
            self.services.profile_changed.emit(profile)
            self.show_info("Display name saved.")
        self.services.call(lambda state: api.update_display_name(name), on_result=done,
                           on_error=self.show_error)

    def change_email(self) -> None:
        dialog = ChangeEmailDialog(self.services, self)
        self.account_dialog = dialog
        dialog.accepted.connect(lambda: self.show_info(
            f"You now sign in with {dialog.changed_to}."))
        dialog.open()

    def change_password(self) -> None:
        dialog = ChangePasswordDialog(self.services, self)
        self.account_dialog = dialog
        dialog.accepted.connect(lambda: self.show_info("Your password was changed."))
        dialog.open()

    # -- your data --------------------------------------------------------------------------
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
        """What the export contains first (counted by the service), then Export…"""
        self.export_button.setEnabled(False)
        self.export_button.setText("Counting…")

        def counted(preview: ExportPreview) -> None:
            self._export_button_back()
            dialog = ExportPreviewDialog(self.services, preview, self)
            self.account_dialog = dialog
            dialog.open()

        def failed(err: WyntekError) -> None:
            self._export_button_back()
            self.show_error(err)
        self.services.account_call(lambda account: account.export_preview(), counted, failed)

    def _export_button_back(self) -> None:
        self.export_button.setText("Export my data…")
        self.export_button.setEnabled(self.services.signed_in)

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
            informative="The request waits a grace period first; its date is shown here "
                        "and you can cancel until then. Then WYNTEK deletes your files, "
                        "profile and messages; invoices and the token ledger are kept 7 "
                        "years without your name or email address.")

    def request_account_deletion(self) -> None:
        def done(request: DeletionRequest) -> None:
            self._got_deletion(request)
            self.result.setText("Your account deletion request was recorded.")
        self.services.account_call(lambda account: account.request_deletion(), done,
                                   self.show_error)

    def cancel_deletion(self) -> None:
        self.cancel_deletion_button.setEnabled(False)

        def done(request: DeletionRequest) -> None:
            self._got_deletion(request)
            self.result.setText("Your account deletion request was cancelled; your account "
                                "stays as it is.")

        def failed(err: WyntekError) -> None:
            self.cancel_deletion_button.setEnabled(True)
            self.show_error(err)
        self.services.account_call(lambda account: account.cancel_deletion(), done, failed)

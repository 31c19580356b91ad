"""The notice that the privacy policy changed: a strip above the pages, never a modal.

After sign-in ``Services.check_policy`` asks the service (in a worker) for a version the
user has not been shown; the notice shows what changed and records at once that it was
shown, so each version is shown once. It stays until dismissed (a change of the policy
must not fade while someone looks elsewhere), and goes away on sign-out.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from wyntek_desktop.core.account import PolicyVersion
from wyntek_desktop.ui.widgets import Banner

SHORT = 280  # characters of the summary in the strip; Details… has the rest


def published(version: PolicyVersion) -> str:
    if version.published_at is None:
        return ""
    local = version.published_at.astimezone()
    return f", published {local.day} {local:%B %Y}"


def notice_text(version: PolicyVersion) -> str:
    summary = " ".join(version.summary.split())
    if len(summary) > SHORT:
        summary = summary[:SHORT].rsplit(" ", 1)[0] + "…"
    return (f"The privacy policy changed (version {version.version}{published(version)}). "
            f"What changed: {summary}")


class PolicyNotice(Banner):
    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")  # the banner's colours
        self.setAccessibleName("Privacy policy notice")
        self.services = services
        self.version: PolicyVersion | None = None
        self.shown_versions: list[str] = []
        self.details: QMessageBox | None = None
        services.policy_notice.connect(self.show_version)
        services.signed_in_changed.connect(self._on_sign_in)

    def show_version(self, version: PolicyVersion) -> None:
        if self.version is not None and self.version.version == version.version \
                and not self.isHidden():
            return
        self.version = version
        self.show_message(notice_text(version), "info", "Details…", self.show_details)
        self.shown_versions.append(version.version)
        self.services.acknowledge_policy(version)

    def _on_sign_in(self, email: str | None) -> None:
        if email is None:
            self.version = None
            self.dismiss()

    def show_details(self) -> None:
        version = self.version
        if version is None:
            return
        box = QMessageBox(QMessageBox.Icon.Information, "Privacy policy changed",
                          f"Version {version.version}{published(version)}",
                          QMessageBox.StandardButton.Close, self.window())
        box.setInformativeText(version.summary)
        url = version.url
        if url:
            read = box.addButton("Read the policy", QMessageBox.ButtonRole.ActionRole)
            read.clicked.connect(lambda: QDesktopServices.openUrl(QUrl(url)))
        box.finished.connect(box.deleteLater)
        self.details = box
        box.open()

    def _run_action(self) -> None:
        # Details… leaves the notice in place; only ✕ (or sign-out) dismisses it
        if self._callback is not None:
            self._callback()

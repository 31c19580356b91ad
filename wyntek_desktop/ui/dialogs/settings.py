"""Settings: backend URL, anon key, CA bundle, proxy, theme (saved to the settings file)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wyntek_desktop.core.settings import THEMES, Settings, apply_overrides, save_settings


def validate_and_save(state: Any, base: Settings, values: dict[str, str | None],
                      path: Any) -> Settings:
    """Worker: validate (the CA bundle is read) and write the settings file."""
    checked = apply_overrides(Settings(), {}, {k: v for k, v in values.items() if v})
    # a field left empty clears the connection settings and keeps the others
    changes: dict[str, Any] = {
        k: getattr(checked, k) if values.get(k) else
        (None if k in ("ca_bundle", "proxy", "supabase_url", "anon_key") else getattr(base, k))
        for k in values}
    new = replace(base, **changes)
    save_settings(path, new)
    return new


class SettingsDialog(QDialog):
    saved = Signal(object)   # the new Settings

    def __init__(self, services: Any, settings: Settings, settings_path: Any,
                 parent: QWidget | None = None, *, demo: Any = None) -> None:
        """``demo``: the embedded demo service in use (``--local``): its address is shown,
        read-only; what is saved for the backend stays the settings file's."""
        super().__init__(parent)
        self.services = services
        self.base = settings
        self.path = settings_path
        self.demo = demo
        self.setWindowTitle("Settings")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        intro = QLabel("Connect to your WYNTEK service. Your administrator gives you the "
                       "backend URL and the public anon key. Use a CA bundle and proxy only "
                       "if your network requires them.", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.url = QLineEdit(settings.supabase_url or "", self)
        self.url.setAccessibleName("Backend URL")
        self.url.setPlaceholderText("https://your-project.supabase.co")
        self.anon_key = QLineEdit(settings.anon_key or "", self)
        self.anon_key.setAccessibleName("Anon key")
        self.ca_bundle = QLineEdit(settings.ca_bundle or "", self)
        self.ca_bundle.setAccessibleName("CA bundle file")
        self.ca_bundle.setPlaceholderText("System certificates")
        browse = QPushButton("Browse…", self)
        browse.setAccessibleName("Choose CA bundle file")
        browse.clicked.connect(self._browse_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_bundle, 1)
        ca_row.addWidget(browse)
        self.proxy = QLineEdit(settings.proxy or "", self)
        self.proxy.setAccessibleName("Proxy")
        self.proxy.setPlaceholderText("http://proxy.example.com:3128 (optional)")
        self.theme = QComboBox(self)
        self.theme.setAccessibleName("Theme")
        for t in THEMES:
            self.theme.addItem(t.capitalize(), t)
        self.theme.setCurrentIndex(max(self.theme.findData(settings.theme), 0))
        form.addRow("Backend &URL", self.url)
        form.addRow("&Anon key", self.anon_key)
        form.addRow("CA bundle", ca_row)
        form.addRow("&Proxy", self.proxy)
        form.addRow("&Theme", self.theme)
        layout.addLayout(form)
        if demo is not None:
            self.url.setText(demo.url)
            self.anon_key.setText(demo.anon_key)
            for field in (self.url, self.anon_key):
                field.setReadOnly(True)
                field.setToolTip("The demo service this window started (--local)")
            self.demo_note = QLabel(
                "The app runs on its embedded demo service (--local): the backend URL and "
                "anon key above are that service's and cannot be changed here. Without "
                "--local the app uses the service saved in the settings file"
                + (f" ({settings.supabase_url})." if settings.supabase_url else
                   " (none is saved yet)."), self)
            self.demo_note.setWordWrap(True)
            self.demo_note.setAccessibleName("Demo service note")
            layout.addWidget(self.demo_note)
        self.error = QLabel("", self)
        self.error.setAccessibleName("Settings error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#e05555")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        layout.addWidget(buttons)

    def _browse_ca(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "CA bundle", "",
                                              "Certificates (*.pem *.crt);;All files (*)")
        if name:
            self.ca_bundle.setText(name)

    def values(self) -> dict[str, str | None]:
        if self.demo is not None:  # the demo's address is never written to the file
            url, key = self.base.supabase_url, self.base.anon_key
        else:
            url, key = self.url.text().strip() or None, self.anon_key.text().strip() or None
        return {"supabase_url": url, "anon_key": key,
                "ca_bundle": self.ca_bundle.text().strip() or None,
                "proxy": self.proxy.text().strip() or None,
                "theme": self.theme.currentData()}

    def save(self) -> None:
        values = self.values()
        if bool(values["supabase_url"]) != bool(values["anon_key"]):
            self.error.setText("Enter both the backend URL and the anon key (or neither, to "
                               "work offline).")
            return
        self.save_button.setEnabled(False)
        self.services.call(validate_and_save, self.base, values, self.path,
                           on_result=self._saved, on_error=self._failed)

    def _saved(self, settings: Settings) -> None:
        self.saved.emit(settings)
        self.accept()

    def _failed(self, err: Any) -> None:
        self.save_button.setEnabled(True)
        self.error.setText(str(err))

"""Helpers to drive the real window against the real local stack."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QApplication

from tests.support.samples import SAMPLES as SAMPLES
from wyntek_desktop.core.appdirs import AppDirs
from wyntek_desktop.core.settings import Settings
from wyntek_desktop.ui.app import DesktopApp


def start_app(qtbot: Any, stack: Any | None = None) -> DesktopApp:
    """The desktop app against ``stack`` (None: the settings file, if any), booted."""
    settings = None
    if stack is not None:
        settings = Settings(supabase_url=stack.url, anon_key=stack.anon_key,
                            ca_bundle=str(stack.ca_path) if stack.ca_path else None)
    qapp = QApplication.instance()
    app = DesktopApp(qapp, dirs=AppDirs.default(), settings=settings)  # type: ignore[arg-type]
    qtbot.addWidget(app.window)
    app.start()
    qtbot.waitUntil(lambda: app.booted, timeout=60_000)
    return app


def stop_app(qtbot: Any, app: DesktopApp) -> None:
    app.window.close()
    app.shutdown()
    qtbot.wait(10)


def wait_reports(qtbot: Any, app: DesktopApp, n: int, timeout: int = 60_000) -> None:
    page = app.window.prepare
    qtbot.waitUntil(lambda: len(page.files) == n and all(
        f.report is not None or f.error for f in page.files), timeout=timeout)

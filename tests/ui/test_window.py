"""The main window offscreen: first run, shortcuts, accessible names, settings, layout."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QPlainTextEdit

from tests.ui.journey_support import SAMPLES, start_app, stop_app, wait_reports
from wyntek_desktop.core.appdirs import AppDirs
from wyntek_desktop.ui.main_window import PAGES


def test_first_run_without_a_backend_explains_and_allows_offline_preparation(qtbot) -> None:
    app = start_app(qtbot, None)
    w = app.window
    try:
        assert w.connection_label.text() == "● No service configured"
        assert "No WYNTEK service is configured" in w.prepare.banner.text()
        assert w.prepare.banner.action.text() == "Settings…"
        w.prepare.open_paths([str(SAMPLES / "plate_holes.STL")])
        wait_reports(qtbot, app, 1)
        assert "Watertight" in w.prepare.report.text()
        assert w.balance_label.text() == "Tokens: —"
        # the thumbnail stands in for the 3D view offscreen
        qtbot.waitUntil(lambda: not w.prepare.view.thumb.pixmap().isNull(), timeout=60_000)
        assert "unavailable" in w.prepare.view.note.text()
    finally:
        stop_app(qtbot, app)


def test_keyboard_shortcuts_reach_every_page_and_action(qtbot) -> None:
    app = start_app(qtbot, None)
    w = app.window
    try:
        w.activateWindow()
        qtbot.waitUntil(w.isActiveWindow, timeout=5_000)
        for i, key in enumerate(PAGES):
            if key == "operations":  # offered to operator accounts only
                assert not w.actions_by_name["page-operations"].isVisible()
                continue
            qtbot.keyClick(w, Qt.Key(Qt.Key.Key_1 + i), Qt.KeyboardModifier.ControlModifier)
            assert w.current_page() is w.pages[key]
        shortcuts = {name: a.shortcut().toString() for name, a in w.actions_by_name.items()}
        assert shortcuts["open"] == "Ctrl+O"
        assert shortcuts["submit"] == "Ctrl+Return"
        assert shortcuts["refresh"] == "F5"
        assert shortcuts["settings"] == "Ctrl+,"
        assert shortcuts["find"] == "Ctrl+F"
        w.show_page("prepare")
        qtbot.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        assert w.current_page() is w.jobs
        qtbot.waitUntil(w.jobs.search.hasFocus, timeout=5_000)
        qtbot.keyClick(w, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: hasattr(app, "settings_dialog"), timeout=5_000)
        assert app.settings_dialog.isVisible()
        app.settings_dialog.reject()
    finally:
        stop_app(qtbot, app)


def test_controls_have_accessible_names(qtbot) -> None:
    app = start_app(qtbot, None)
    try:
        missing = []
        for page in app.window.pages.values():
            widgets = [w for kind in (QAbstractButton, QLineEdit, QPlainTextEdit)
                       for w in page.findChildren(kind)]
            for widget in widgets:
                if widget.objectName().startswith("qt_") or not widget.isVisibleTo(page):
                    continue
                label = widget.accessibleName() or getattr(widget, "text", lambda: "")()
                if not label:
                    missing.append(f"{page.title}: {type(widget).__name__}")
        assert not missing, missing
    finally:
        stop_app(qtbot, app)


def test_settings_dialog_validates_and_saves(qtbot) -> None:
    app = start_app(qtbot, None)
    try:
        app.open_settings()
        dialog = app.settings_dialog
        dialog.url.setText("http://example.com")
        dialog.anon_key.setText("anon")
        dialog.save()
        qtbot.waitUntil(lambda: bool(dialog.error.text()), timeout=10_000)
        assert "https://" in dialog.error.text() and dialog.isVisible()
        dialog.url.setText("https://wyntek.example.com")
        dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
        with qtbot.waitSignal(dialog.saved, timeout=10_000):
            dialog.save()
        saved = json.loads(AppDirs.default().settings_file.read_text())
        assert saved["supabase_url"] == "https://wyntek.example.com"
        assert saved["theme"] == "dark" and app.theme == "dark"
        qtbot.waitUntil(lambda: app.services.configured, timeout=30_000)
        assert "not signed in" in app.window.prepare.banner.text()
    finally:
        stop_app(qtbot, app)


def test_layout_and_recent_files_are_restored(qtbot) -> None:
    app = start_app(qtbot, None)
    app.window.resize(720, 520)  # inside the offscreen screen (800 x 600)
    app.window.show_page("jobs")
    app.window.prepare.open_paths([str(SAMPLES / "teapot.stl")])
    wait_reports(qtbot, app, 1)
    qtbot.waitUntil(lambda: AppDirs.default().settings_file.exists(), timeout=10_000)
    size = app.window.size()
    assert size.height() == 520  # not the 800 a fresh window gets
    jobs = app.window.jobs
    jobs.table.horizontalHeader().setSortIndicator(5, Qt.SortOrder.AscendingOrder)
    jobs.table.setColumnWidth(2, 133)
    jobs.filter.setCurrentIndex(jobs.filter.findData("shipped"))
    stop_app(qtbot, app)
    again = start_app(qtbot, None)
    try:
        assert again.window.size() == size
        assert again.window.current_page() is again.window.jobs
        jobs = again.window.jobs
        header = jobs.table.horizontalHeader()
        assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
            5, Qt.SortOrder.AscendingOrder)
        assert jobs.model._sort == (5, Qt.SortOrder.AscendingOrder)
        assert jobs.table.columnWidth(2) == 133
        assert jobs.filter.currentData() == "shipped" and jobs.model.status == "shipped"
        assert again.window.recent_files[0].endswith("teapot.stl")
        actions = again.window.recent_menu.actions()
        assert actions and actions[0].text().endswith("teapot.stl")
    finally:
        stop_app(qtbot, again)


def test_sign_in_error_is_shown_inline(qtbot, localstack) -> None:
    app = start_app(qtbot, localstack)
    try:
        app.window.sign_in()
        dialog = app.window.sign_in_dialog
        dialog.email.setText("nobody@example.com")
        dialog.password.setText("wrong-password")
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(dialog.error.isVisible, timeout=30_000)
        assert dialog.isVisible() and dialog.ok.isEnabled()
        assert dialog.error.text() and "Traceback" not in dialog.error.text()
        assert not app.services.signed_in
        dialog.reject()
    finally:
        stop_app(qtbot, app)

"""Help that helps: the how-to pages on the Help page, the shortcuts sheet on F1 and on
'?' (but '?' typed into a field stays text), searchable, listing the new previews' keys."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.ui.journey_support import start_app, stop_app
from wyntek_desktop.ui.howto import howto_folder, read_howtos

TOPICS = ["Prepare and send a job", "Read the report", "Buy tokens", "Track a job",
          "Privacy and your data"]


def test_the_howto_pages_exist_and_are_short():
    pages = read_howtos()
    assert [p.title for p in pages] == TOPICS
    for page in pages:
        assert 300 < len(page.markdown) < 3000, page.title
    assert (howto_folder() / "1-prepare-and-send-a-job.md").is_file()


def test_help_page_shows_the_howtos_and_opens_the_sheet(qtbot) -> None:
    app = start_app(qtbot, None)
    w = app.window
    try:
        w.show_page("help")
        page = w.help
        qtbot.waitUntil(lambda: page.howto_titles() == TOPICS, timeout=10_000)
        assert "Submit now" in page.howto_text.toPlainText()
        page.howto_list.setCurrentRow(4)
        assert "12 months" in page.howto_text.toPlainText()
        # the how-tos and the support form are tabs: the window stays as small as before
        assert page.minimumSizeHint().height() < 480
        w.actions_by_name["support"].trigger()
        assert page.tabs.currentIndex() == 1 and page.subject.isVisible()
        qtbot.mouseClick(page.shortcuts_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: getattr(w, "shortcuts_dialog", None) is not None
                        and w.shortcuts_dialog.isVisible(), timeout=5_000)
        w.shortcuts_dialog.reject()
    finally:
        stop_app(qtbot, app)


def test_question_mark_opens_the_sheet_but_types_in_a_field(qtbot) -> None:
    app = start_app(qtbot, None)
    w = app.window
    try:
        w.activateWindow()
        qtbot.waitUntil(w.isActiveWindow, timeout=5_000)
        notes = w.prepare.spec.notes
        notes.setFocus()
        qtbot.waitUntil(notes.hasFocus, timeout=5_000)
        qtbot.keyClicks(notes, "why?")
        assert notes.toPlainText() == "why?"
        assert getattr(w, "shortcuts_dialog", None) is None
        w.prepare.open_button.setFocus()
        qtbot.waitUntil(w.prepare.open_button.hasFocus, timeout=5_000)
        qtbot.keyClick(w.prepare.open_button, "?")
        qtbot.waitUntil(lambda: getattr(w, "shortcuts_dialog", None) is not None
                        and w.shortcuts_dialog.isVisible(), timeout=5_000)
        sheet = w.shortcuts_dialog
        everything = sheet.visible_rows()
        assert any("Page Up / Page Down" in row[1] for row in everything)
        assert any("Thickness" in row[2] for row in everything)
        qtbot.keyClicks(sheet.search, "submit")
        shown = sheet.visible_rows()
        assert 0 < len(shown) < len(everything)
        assert all("submit" in " ".join(row).lower() for row in shown)
        assert ("File menu", "Ctrl+Return", "Submit now") in shown
        sheet.search.setText("page down")
        assert [row[1] for row in sheet.visible_rows()] == ["Page Up / Page Down"]
        sheet.search.setText("no such key at all")
        assert sheet.visible_rows() == [] and sheet.nothing.isVisibleTo(sheet)
        sheet.reject()
    finally:
        stop_app(qtbot, app)

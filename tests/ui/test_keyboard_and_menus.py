"""Keyboard and menus: no clashing Alt shortcuts, literal '&' in titles, a shortcuts
sheet on F1, context menus on the job and outbox tables."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from tests.design.meshes import cube, write_binary_stl
from tests.ui.journey_support import start_app, stop_app
from tests.ui.test_models import make_jobs
from wyntek_desktop.core.outbox import Outbox
from wyntek_desktop.ui.pages.jobs import JobsPage
from wyntek_desktop.ui.pages.outbox import OutboxPage
from wyntek_desktop.ui.services import Services


def test_menu_texts_and_alt_shortcuts(qtbot) -> None:
    app = start_app(qtbot, None)
    w = app.window
    try:
        account = w.actions_by_name["page-account"]
        assert account.text() == "Account && Privacy"  # shown as "Account & Privacy"
        mnemonics = {re.search(r"&(\w)", m.title()).group(1).upper()  # type: ignore[union-attr]
                     for m in w.menuBar().findChildren(QMenu) if m.title()}
        assert {"F", "V", "A", "H"} <= mnemonics
        alt_letters = {a.shortcut().toString()[-1] for a in w.actions_by_name.values()
                       if re.fullmatch(r"Alt\+[A-Z]", a.shortcut().toString())}
        assert not alt_letters & mnemonics, "an Alt shortcut is taken by a menu"
        fits: list[bool] = []
        w.actions_by_name["view-fit"].triggered.connect(lambda *a: fits.append(True))
        w.activateWindow()
        qtbot.waitUntil(w.isActiveWindow, timeout=5_000)
        qtbot.keyClick(w, Qt.Key.Key_0, Qt.KeyboardModifier.AltModifier)
        assert fits == [True]
    finally:
        stop_app(qtbot, app)


def test_f1_shows_every_shortcut(qtbot) -> None:
    app = start_app(qtbot, None)
    w = app.window
    try:
        w.activateWindow()
        qtbot.waitUntil(w.isActiveWindow, timeout=5_000)
        qtbot.keyClick(w, Qt.Key.Key_F1)
        qtbot.waitUntil(lambda: getattr(w, "shortcuts_dialog", None) is not None
                        and w.shortcuts_dialog.isVisible(), timeout=5_000)
        rows = w.shortcuts_dialog.rows()
        keys = {(k, what) for _, k, what in rows}
        assert ("Ctrl+O", "Open") in keys
        assert ("Alt+0", "3D view: fit") in keys
        assert ("F1 or ?", "Keyboard shortcuts") in keys
        assert ("Ctrl+6", "Help") in keys and ("Ctrl+5", "Account & Privacy") in keys
        assert any(k == "Delete / Backspace" for k, _ in keys)
        w.shortcuts_dialog.reject()
    finally:
        stop_app(qtbot, app)


def _menu_texts(view) -> tuple[QMenu, dict[str, bool]]:
    rect = view.visualRect(view.model().index(0, 0))
    view.customContextMenuRequested.emit(rect.center())
    menu = view.findChild(QMenu, "context-menu")
    assert menu is not None and menu.isVisible()
    return menu, {a.text(): a.isEnabled() for a in menu.actions() if not a.isSeparator()}


def test_jobs_table_has_a_context_menu(qtbot) -> None:
    services = Services()
    page = JobsPage(services)
    qtbot.addWidget(page)
    page.show()
    try:
        jobs = make_jobs(6)  # job 0 is 'submitted', job 1 is not
        page._got_changes(jobs)
        page.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        menu, entries = _menu_texts(page.table)
        assert page.selected_job().id == jobs[0].id  # right-click selects the row
        assert entries == {"&Cancel job…": True, "R&eorder…": False,
                           "Report a &problem…": False,  # a submitted job
                           "Contact &support about this job…": True,
                           "Copy job &ID": True, "&Refresh": True}
        asked: list[str] = []
        page.support_requested.connect(asked.append)
        next(a for a in menu.actions() if a.text().startswith("Contact")).trigger()
        assert asked == [jobs[0].id]
        menu.close()
    finally:
        page.shutdown()
        services.shutdown()


def test_outbox_table_has_a_context_menu(qtbot, tmp_path: Path) -> None:
    part = write_binary_stl(tmp_path / "part.stl", cube())
    outbox = Outbox.open(tmp_path / "outbox.sqlite3")
    services = Services()
    services.outbox = outbox
    page = OutboxPage(services)
    qtbot.addWidget(page)
    page.show()
    try:
        outbox.add_job({"material_id": "fdm-pla", "quantity": 1}, [part], queue=False)
        page._got_jobs(outbox.jobs())
        menu, entries = _menu_texts(page.table)
        assert entries == {"Send now": True, "Pause": False, "Resume": False,
                           "Cancel upload": False, "Retry": False, "Remove…": True}
        menu.close()
    finally:
        page.shutdown()
        services.pool.wait()
        services.shutdown()
        outbox.close()

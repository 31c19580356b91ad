"""What the window shows is current: after a relaunch, after changes, in --local mode."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from tests.design.meshes import cube, write_binary_stl
from tests.ui.journey_support import start_app, stop_app
from tests.ui.test_models import make_jobs
from tests.ui.test_money_flows import sign_in
from wyntek_desktop.core.models import Job, Material, MaterialCatalogue
from wyntek_desktop.core.outbox import Outbox
from wyntek_desktop.local_demo import LocalBackend
from wyntek_desktop.ui.dialogs.confirm import confirm_button
from wyntek_desktop.ui.models import JobsTableModel
from wyntek_desktop.ui.pages.jobs import JobsPage
from wyntek_desktop.ui.pages.outbox import OutboxPage
from wyntek_desktop.ui.services import Services

pytestmark = pytest.mark.timeout(300)


def _last_page(key: str) -> None:
    settings = QSettings("WYNTEK", "wyntek-desktop")
    settings.setValue("window/page", key)
    settings.sync()


def test_ledger_is_loaded_on_the_restored_tokens_page_without_refresh(
        qtbot, localstack) -> None:
    email, password, user_id = localstack.new_user("ledger")
    localstack.service_client().rpc("grant_tokens", {"user_id": user_id, "amount": 500,
                                                     "reason": "grant"}).execute()
    _last_page("tokens")  # the last session ended on the Tokens page
    app = start_app(qtbot, localstack)
    w = app.window
    try:
        assert w.current_page() is w.tokens
        sign_in(qtbot, app, email, password)  # as a restored session does after start
        qtbot.waitUntil(lambda: w.tokens.model.rowCount() == 1, timeout=30_000)
        assert w.tokens.model.record(0).delta == 500
    finally:
        stop_app(qtbot, app)


def test_files_from_the_command_line_open_on_prepare(qtbot, tmp_path: Path) -> None:
    part = write_binary_stl(tmp_path / "part.stl", cube())
    _last_page("jobs")
    app = start_app(qtbot, None)
    w = app.window
    try:
        assert w.current_page() is w.jobs
        w.open_paths([str(part)])  # what `wyntek-desktop part.stl` does
        assert w.current_page() is w.prepare
        qtbot.waitUntil(lambda: len(w.prepare.files) == 1, timeout=30_000)
    finally:
        stop_app(qtbot, app)


def test_jobs_show_material_names_and_the_process(qtbot) -> None:
    services = Services()
    page = JobsPage(services)
    qtbot.addWidget(page)
    try:
        other, first = make_jobs(2)
        job = Job(**{**first.__dict__, "material_id": "pcb-fr4-2l", "process": "pcb"})
        page._got_changes([job, other])
        page.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # the PCB job first
        cell = page.model.index(0, JobsTableModel.MATERIAL_COLUMN)
        assert cell.data() == "pcb-fr4-2l · PCB"  # before the catalogue arrives
        services.catalogue_changed.emit(MaterialCatalogue(materials=(
            Material(id="pcb-fr4-2l", process="pcb", name="FR-4, 2 layers",
                     tokens_per_cm3=Decimal(1)),)))
        assert cell.data() == "FR-4, 2 layers · PCB"
        page.table.selectRow(0)
        text = page.detail.toPlainText()
        assert "FR-4, 2 layers" in text and "PCB" in text and "pcb-fr4-2l" not in text
        page.search.setText("fr-4")  # the name is searched, not only the id
        qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=2_000)
        assert page.model.record(0).id == job.id
    finally:
        page.shutdown()
        services.shutdown()


def test_a_draft_says_it_is_not_sent_and_offers_to_send_it(qtbot, tmp_path: Path) -> None:
    part = write_binary_stl(tmp_path / "part.stl", cube())
    outbox = Outbox.open(tmp_path / "outbox.sqlite3")
    services = Services()
    services.outbox = outbox
    page = OutboxPage(services)
    qtbot.addWidget(page)
    try:
        draft = outbox.add_job({"material_id": "fdm-pla", "quantity": 1}, [part],
                               queue=False)
        page._got_jobs(outbox.jobs())  # signed out: the runner never reports
        assert "1 job kept as draft: select and press Send now." in page.runner_label.text()
        page.announce_draft(draft.client_job_id)
        assert "a draft is not sent until you press Send now" in page.banner.text()
        assert page.banner.action.text() == "Send now"
        qtbot.mouseClick(page.banner.action, Qt.MouseButton.LeftButton)
        box = page.confirmation  # sending spends tokens: asked first
        assert box is not None and box.isVisible()
        qtbot.mouseClick(confirm_button(box), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: outbox.get(draft.client_job_id).state == "queued",
                        timeout=10_000)
    finally:
        page.shutdown()
        services.pool.wait()
        services.shutdown()
        outbox.close()


def test_settings_in_local_mode_show_the_demo_service(qtbot, tmp_path: Path) -> None:
    app = start_app(qtbot, None)
    try:
        app.local = True
        app.services.local_backend = LocalBackend(
            url="https://127.0.0.1:54321", anon_key="anon-demo-key", demo_password="pw",
            data_dir=tmp_path, stop=lambda: None)
        app.open_settings()
        dialog = app.settings_dialog
        assert dialog.url.text() == "https://127.0.0.1:54321" and dialog.url.isReadOnly()
        assert dialog.anon_key.text() == "anon-demo-key"
        assert "--local" in dialog.demo_note.text()
        assert dialog.values()["supabase_url"] is None  # never saved to the settings file
        dialog.reject()
    finally:
        stop_app(qtbot, app)

"""Money and irreversible actions, through the real window against the real local stack:
the shortfall is said before Submit, Submit asks with the price and then says where the
job went, Cancel job / Remove / Delete account ask first with the safe default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from tests.design.meshes import cube, write_binary_stl
from tests.ui.journey_support import start_app, stop_app, wait_reports
from wyntek_desktop.core.outbox import Outbox
from wyntek_desktop.ui.app import DesktopApp
from wyntek_desktop.ui.pages.account import AccountPage
from wyntek_desktop.ui.pages.outbox import OutboxPage
from wyntek_desktop.ui.services import Services

pytestmark = pytest.mark.timeout(300)


class UrlCatcher(QObject):
    """Stands in for the browser: records the checkout page the app opens."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toString())


def sign_in(qtbot: Any, app: DesktopApp, email: str, password: str) -> None:
    errors: list[Any] = []
    app.services.sign_in(email, password, False, on_done=lambda r: None,
                         on_error=errors.append)
    qtbot.waitUntil(lambda: app.services.balance is not None or bool(errors), timeout=30_000)
    assert not errors, errors


def click(qtbot: Any, box: QMessageBox, name: str) -> None:
    button = next(b for b in box.buttons() if b.objectName() == name)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_shortfall_before_submit_then_confirmed_submit_says_where_the_job_went(
        qtbot, localstack, tmp_path: Path) -> None:
    email, password, user_id = localstack.new_user("money")
    service = localstack.service_client()
    service.rpc("grant_tokens", {"user_id": user_id, "amount": 3, "reason": "grant"}).execute()
    part = write_binary_stl(tmp_path / "part.stl", cube(20.0))
    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("https", catcher, "open")
    app = start_app(qtbot, localstack)
    w = app.window
    page = w.prepare
    try:
        sign_in(qtbot, app, email, password)
        qtbot.waitUntil(lambda: app.services.balance == 3, timeout=30_000)
        page.open_paths([str(part)])
        wait_reports(qtbot, app, 1)
        qtbot.waitUntil(lambda: page.spec.process.count() > 0, timeout=30_000)
        material = next(m for m in app.services.catalogue.materials if m.process == "fdm")
        assert page.spec.select_material(material.id)
        qtbot.waitUntil(page.spec.add_button.isEnabled, timeout=60_000)  # checked again
        estimate = page.estimate_tokens
        assert estimate > 3
        # before any click: Submit is off, the notice says by how much, Add still works
        assert not page.spec.submit_button.isEnabled()
        assert page.spec.add_button.isEnabled()
        assert page.shortfall.isVisibleTo(page)
        assert f"{estimate - 3:,} tokens short" in page.shortfall.label.text()
        qtbot.mouseClick(page.shortfall.buy, Qt.MouseButton.LeftButton)
        assert w.current_page() is w.tokens  # the packs, with how many more are needed
        assert f"needs {estimate - 3:,} more tokens" in w.tokens.banner.text()
        assert catcher.urls == []  # nothing is bought without choosing a pack
        w.show_page("prepare")
        # the tokens were bought: the notice goes and Submit comes back
        service.rpc("grant_tokens", {"user_id": user_id, "amount": 100_000,
                                     "reason": "grant"}).execute()
        app.services.refresh_profile()
        qtbot.waitUntil(lambda: page.spec.submit_button.isEnabled(), timeout=30_000)
        assert not page.shortfall.isVisibleTo(page)

        # Submit asks first, with the price; Cancel (the default) changes nothing
        qtbot.mouseClick(page.spec.submit_button, Qt.MouseButton.LeftButton)
        box = page.confirmation
        assert box is not None and box.isVisible()
        assert f"{estimate:,} tokens" in box.text()
        assert box.defaultButton().objectName() == "cancel"
        assert any(b.text() == f"Submit for {estimate:,} tokens" for b in box.buttons())
        click(qtbot, box, "cancel")
        assert w.current_page() is page and len(page.files) == 1
        qtbot.mouseClick(page.spec.submit_button, Qt.MouseButton.LeftButton)
        click(qtbot, page.confirmation, "confirm")
        qtbot.waitUntil(lambda: w.current_page() is w.outbox, timeout=30_000)
        assert "Sending the job" in w.outbox.banner.text()
        qtbot.waitUntil(lambda: "was submitted" in w.outbox.banner.text(), timeout=120_000)
        job = app.services.api.list_jobs()[0]
        text = w.outbox.banner.text()
        assert f"Job {job.id[:8]} was submitted: {job.token_cost:,} tokens" in text, text
        assert w.outbox.banner.action.text() == "Show job"
        qtbot.mouseClick(w.outbox.banner.action, Qt.MouseButton.LeftButton)
        assert w.current_page() is w.jobs
        qtbot.waitUntil(lambda: (w.jobs.selected_job() or job).id == job.id
                        and w.jobs.selected_job() is not None, timeout=30_000)

        # Cancel job asks; "Keep the job" is the default
        assert w.jobs.cancel_button.isEnabled()
        qtbot.mouseClick(w.jobs.cancel_button, Qt.MouseButton.LeftButton)
        box = w.jobs.confirmation
        assert box is not None and box.defaultButton().text() == "Keep the job"
        assert f"{job.token_cost:,} tokens" in box.informativeText()
        click(qtbot, box, "cancel")
        assert w.jobs.selected_job().status == "submitted"
        qtbot.mouseClick(w.jobs.cancel_button, Qt.MouseButton.LeftButton)
        click(qtbot, w.jobs.confirmation, "confirm")
        qtbot.waitUntil(lambda: w.jobs.selected_job().status == "cancelled", timeout=30_000)
        # the support form follows the change: the job is offered as cancelled
        w.show_page("help")
        choice = w.help.job.itemText(w.help.job.findData(job.id))
        assert choice.endswith("· Cancelled"), choice
        assert "FDM" in choice and material.name in choice
    finally:
        QDesktopServices.unsetUrlHandler("https")
        stop_app(qtbot, app)


def test_outbox_remove_asks_first(qtbot, tmp_path: Path) -> None:
    part = write_binary_stl(tmp_path / "part.stl", cube())
    outbox = Outbox.open(tmp_path / "outbox.sqlite3")
    services = Services()
    services.outbox = outbox
    page = OutboxPage(services)
    qtbot.addWidget(page)
    try:
        draft = outbox.add_job({"material_id": "fdm-pla", "quantity": 1}, [part], queue=False)
        page._got_jobs(outbox.jobs())
        page.select_job(draft.client_job_id)
        qtbot.mouseClick(page.buttons["remove"], Qt.MouseButton.LeftButton)
        box = page.confirmation
        assert box is not None and box.isVisible()
        assert box.defaultButton().objectName() == "cancel"
        qtbot.keyClick(box, Qt.Key.Key_Return)  # Enter takes the safe choice
        qtbot.waitUntil(lambda: not box.isVisible(), timeout=5_000)
        assert [j.client_job_id for j in outbox.jobs()] == [draft.client_job_id]
        qtbot.mouseClick(page.buttons["remove"], Qt.MouseButton.LeftButton)
        click(qtbot, page.confirmation, "confirm")
        qtbot.waitUntil(lambda: outbox.jobs() == [], timeout=10_000)
    finally:
        page.shutdown()
        services.pool.wait()
        services.shutdown()
        outbox.close()


def test_delete_account_defaults_to_keeping_it(qtbot) -> None:
    services = Services()
    page = AccountPage(services)
    qtbot.addWidget(page)
    requested: list[bool] = []
    page.request_account_deletion = lambda: requested.append(True)  # type: ignore[method-assign]
    try:
        page.delete_account()
        box = page.confirmation
        assert box is not None and box.isVisible()
        assert box.defaultButton().text() == "Keep my account"
        qtbot.keyClick(box, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: not box.isVisible(), timeout=5_000)
        assert requested == []
        page.delete_account()
        click(qtbot, page.confirmation, "confirm")
        assert requested == [True]
    finally:
        services.shutdown()


def test_outbox_send_asks_with_the_price(qtbot, tmp_path: Path) -> None:
    from decimal import Decimal

    from wyntek_desktop.core import pricing
    from wyntek_desktop.core.models import Material, MaterialCatalogue

    part = write_binary_stl(tmp_path / "part.stl", cube())
    outbox = Outbox.open(tmp_path / "outbox.sqlite3")
    services = Services()
    services.outbox = outbox
    pla = Material(id="fdm-pla", process="fdm", name="PLA", tokens_per_cm3=Decimal("1.2"),
                   setup_tokens=15)
    services.catalogue = MaterialCatalogue(materials=(pla,))
    page = OutboxPage(services)
    qtbot.addWidget(page)
    try:
        spec = {"material_id": "fdm-pla", "quantity": 3, "tolerance_mm": 0.2,
                "volume_cm3": 12.5}
        draft = outbox.add_job(spec, [part], queue=False)
        page._got_jobs(outbox.jobs())
        page.select_job(draft.client_job_id)
        qtbot.mouseClick(page.buttons["send"], Qt.MouseButton.LeftButton)
        box = page.confirmation
        price = int(pricing.quote(pla, Decimal("12.5"), 3, Decimal("0.2")))
        assert box is not None and f"about {price:,} tokens" in box.text()
        assert box.defaultButton().objectName() == "cancel"
        click(qtbot, box, "cancel")
        assert outbox.get(draft.client_job_id).state == "draft"  # nothing was sent
        qtbot.mouseClick(page.buttons["send"], Qt.MouseButton.LeftButton)
        click(qtbot, page.confirmation, "confirm")
        qtbot.waitUntil(lambda: outbox.get(draft.client_job_id).state == "queued",
                        timeout=10_000)
    finally:
        page.shutdown()
        services.pool.wait()
        services.shutdown()
        outbox.close()


def test_a_job_queued_offline_that_the_balance_cannot_pay_uploads_nothing(
        qtbot, localstack, tmp_path: Path) -> None:
    """Queued while signed out (the balance unknown), then signed in with too few tokens:
    the Outbox says what is missing and not one byte reaches the bucket."""
    from wyntek_desktop.core.outbox import FileInput

    email, password, user_id = localstack.new_user("queued-short")
    service = localstack.service_client()
    service.rpc("grant_tokens", {"user_id": user_id, "amount": 3, "reason": "grant"}).execute()
    part = write_binary_stl(tmp_path / "part.stl", cube(20.0))
    app = start_app(qtbot, localstack)
    w = app.window
    try:
        outbox = app.services.outbox
        assert outbox is not None
        spec = {"material_id": "fdm-pla", "quantity": 2, "tolerance_mm": 0.2,
                "volume_cm3": 8.0, "finish": "", "delivery_instructions": "", "notes": ""}
        job = outbox.add_job(spec, [FileInput(part, "model")], queue=True)
        sign_in(qtbot, app, email, password)
        qtbot.waitUntil(lambda: outbox.get(job.client_job_id).state == "failed",
                        timeout=60_000)
        failed = outbox.get(job.client_job_id)
        assert failed.failure is not None and "your balance is 3: buy" in failed.failure
        w.show_page("outbox")
        qtbot.waitUntil(lambda: "1 job failed" in w.outbox.runner_label.text(), timeout=30_000)
        assert service.storage.from_("designs").list(user_id) == []
        assert service.table("jobs").select("id").eq("user_id", user_id).execute().data == []
    finally:
        stop_app(qtbot, app)

"""The whole journey through the widgets against the real local stack (HTTPS, RLS)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.service.support import wait_verified
from tests.ui.journey_support import SAMPLES, start_app, stop_app, wait_reports
from wyntek_desktop.core.appdirs import AppDirs
from wyntek_desktop.ui.app import DesktopApp

pytestmark = pytest.mark.timeout(600)


def sign_in(qtbot, app: DesktopApp, email: str, password: str) -> None:
    app.window.sign_in()
    dialog = app.window.sign_in_dialog
    dialog.email.setText(email)
    dialog.password.setText(password)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.services.signed_in, timeout=30_000)
    qtbot.waitUntil(lambda: app.window.balance_label.text() == "Tokens: 100,000", timeout=30_000)


def confirm(qtbot, box) -> None:
    assert box is not None and box.isVisible()
    button = next(b for b in box.buttons() if b.objectName() == "confirm")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def fill_spec(qtbot, app: DesktopApp, material_id: str, quantity: int) -> None:
    spec = app.window.prepare.spec
    qtbot.waitUntil(lambda: spec.process.count() > 0, timeout=30_000)
    assert spec.select_material(material_id)
    spec.quantity.setValue(quantity)
    spec.tolerance.setValue(0.2)
    qtbot.keyClicks(spec.notes, "Deburr all edges")
    qtbot.keyClicks(spec.delivery, "Dock 4")


def test_full_journey(qtbot, localstack, tmp_path: Path) -> None:
    email, password, user_id = localstack.new_user("journey")
    localstack.service_client().rpc("grant_tokens", {"user_id": user_id, "amount": 100_000,
                                                     "reason": "grant"}).execute()
    app = start_app(qtbot, localstack)
    w = app.window
    try:
        assert w.connection_label.text() == "● Not signed in"
        sign_in(qtbot, app, email, password)
        assert w.user_label.text() == email
        assert w.connection_label.text() == "● Online"

        # open two files, see the report
        w.prepare.open_paths([str(SAMPLES / "plate_holes.STL"),
                              str(SAMPLES / "dimtad-dimjust.pdf")])
        wait_reports(qtbot, app, 2)
        w.prepare.file_list.setCurrentRow(0)
        assert "Watertight" in w.prepare.report.text()
        assert "203.20 × 304.80 × 12.70 mm" in w.prepare.report.text()  # noqa: RUF001

        # fill the spec, see the estimate, submit
        catalogue = app.services.catalogue
        material = next(m for m in catalogue.materials if m.process == "cnc"
                        or m.process == "fdm")
        fill_spec(qtbot, app, material.id, 2)
        qtbot.waitUntil(lambda: w.prepare.spec.submit_button.isEnabled(), timeout=60_000)
        estimate = w.prepare.spec.estimate.text()
        assert "tokens" in estimate, estimate
        expected = app.services.api.quote(material.id, w.prepare.volume_cm3(), 2, 0.2).tokens
        assert f"{expected:,} tokens" in estimate
        progress: list[float] = []
        app.services.runner_event.connect(
            lambda e: progress.append(e.job_sent / e.job_total)
            if hasattr(e, "job_sent") and e.job_total else None)
        w.activateWindow()
        qtbot.waitUntil(w.isActiveWindow, timeout=5_000)
        qtbot.keyClick(w.prepare.spec.notes, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert w.prepare.banner.text() == "", w.prepare.banner.text()
        confirm(qtbot, w.prepare.confirmation)  # tokens are spent: asked first
        qtbot.waitUntil(lambda: w.stack.currentWidget() is w.outbox, timeout=30_000)
        try:
            qtbot.waitUntil(lambda: w.outbox.model.rowCount() == 0 and app.services.balance
                            == 100_000 - expected, timeout=60_000)
        except Exception:
            raise AssertionError(f"{w.outbox.model.records()} {w.outbox.runner_label.text()} "
                                 f"{app.services.balance} {expected} {app.services.runner} "
                                 f"{w.outbox.banner.text()} {app.services.connection}") from None
        assert progress and progress[-1] == 1.0

        # the job is in the table
        w.show_page("jobs")
        qtbot.waitUntil(lambda: w.jobs.model.rowCount() == 1, timeout=30_000)
        job = w.jobs.model.record(0)
        assert job.token_cost == expected and len(job.files) == 2
        assert w.jobs.select_job(job.id)
        assert "plate_holes.STL" in w.jobs.detail.toPlainText()
        assert "kept until" in w.jobs.detail.toPlainText()
        model = next(f for f in job.files if f.kind == "model")
        picture = AppDirs.default().thumbnails / f"{model.sha256}.png"
        qtbot.waitUntil(picture.is_file, timeout=60_000)  # made when the job was queued
        w.jobs._show_selected()  # the page looks for new pictures in a worker
        # handed over in memory (the view never reads the file while it paints)
        qtbot.waitUntil(lambda: f"wyntek-picture:{model.sha256}" in w.jobs.detail.toHtml(),
                        timeout=30_000)
        assert picture.as_uri() not in w.jobs.detail.toHtml()

        # a second job through the outbox: add as draft, then send it from the Outbox page
        w.show_page("prepare")
        w.prepare.open_paths([str(SAMPLES / "busted.STL")])
        wait_reports(qtbot, app, 1)
        fill_spec(qtbot, app, material.id, 1)
        qtbot.waitUntil(lambda: w.prepare.spec.add_button.isEnabled(), timeout=30_000)
        qtbot.mouseClick(w.prepare.spec.add_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: w.outbox.model.rowCount() == 1, timeout=30_000)
        assert w.outbox.model.index(0, 3).data() == "Draft"
        w.outbox.table.selectRow(0)
        qtbot.mouseClick(w.outbox.buttons["send"], Qt.MouseButton.LeftButton)
        confirm(qtbot, w.outbox.confirmation)  # sending spends tokens too
        w.show_page("jobs")
        qtbot.waitUntil(lambda: w.jobs.model.rowCount() == 2, timeout=120_000)

        # the service verifies the honest job at its price; then a status change made by
        # the operator side arrives as a notification
        verified = wait_verified(localstack, [job.id])[job.id]
        assert verified["verification"] == "passed", verified
        localstack.service_client().table("jobs").update({"status": "reviewing"}).eq(
            "id", job.id).execute()
        w.jobs.poll()
        # (the verification's own notification may come first)
        qtbot.waitUntil(lambda: any("Reviewing" in title for title, _ in w.notifications),
                        timeout=30_000)
        assert w.jobs.model.record(w.jobs.model.row_of(job.id)).status == "reviewing"
        w.jobs.filter.setCurrentIndex(w.jobs.filter.findData("shipped"))
        w.show_page("prepare")
        w.open_notified_job()  # what a click on the notification does
        assert w.current_page() is w.jobs and w.jobs.selected_job().id == job.id

        # cancel the second job while it is submitted: refunded
        second = next(j for j in w.jobs.model.records() if j.id != job.id)
        before = app.services.balance
        assert w.jobs.select_job(second.id)
        assert w.jobs.cancel_button.isEnabled()
        qtbot.mouseClick(w.jobs.cancel_button, Qt.MouseButton.LeftButton)
        confirm(qtbot, w.jobs.confirmation)
        qtbot.waitUntil(lambda: w.jobs.model.record(w.jobs.model.row_of(second.id)).status
                        == "cancelled", timeout=30_000)
        qtbot.waitUntil(lambda: app.services.balance == before + second.token_cost,
                        timeout=30_000)

        # delete my files: the confirmation lists count and size, then the result
        w.show_page("account")
        w.account.delete_files()
        dialog = w.account.last_dialog
        qtbot.waitUntil(lambda: dialog.delete_button.isEnabled(), timeout=30_000)
        assert "3 stored file(s)" in dialog.text.text()
        assert "1 job(s) still in progress are kept" in dialog.text.text()
        qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.report is not None, timeout=30_000)
        # the job in review keeps its files (frozen by the service); the rest go
        report = dialog.report
        assert report.kept and not report.failed
        assert report.files_removed + len(report.kept) == 3
        dialog.accept()
        # the cancelled job's details follow: its files are gone, not "kept until"
        w.show_page("jobs")
        assert w.jobs.select_job(second.id)
        qtbot.waitUntil(lambda: "kept until" not in w.jobs.detail.toPlainText(),
                        timeout=30_000)
        assert "deleted" in w.jobs.detail.toPlainText()
        w.show_page("account")

        # export my data
        target = tmp_path / "export.json"
        w.account.export_to(target)
        qtbot.waitUntil(lambda: w.account.result.text().startswith("Exported"),
                        timeout=30_000)
        data = json.loads(target.read_text())
        assert len(data["jobs"]) == 2 and data["profile"]["email"] == email

        # sign out
        qtbot.mouseClick(w.account.sign_out_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not app.services.signed_in, timeout=30_000)
        assert w.user_label.text() == "Not signed in"
        assert w.balance_label.text() == "Tokens: —"
        assert w.jobs.model.rowCount() == 0
    finally:
        stop_app(qtbot, app)

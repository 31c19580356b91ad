"""Screenshots of the job lifecycle from the real window (run under Xvfb for OpenGL):
the Operations page of an operator, a customer's job with the service's history, and
the Reorder dialog.

    xvfb-run -a -s "-screen 0 1280x800x24" \
        .venv/bin/python -m tests.ui.capture_operations_screens docs/screenshots

Starts the local stack over HTTPS (throw-away CA), makes a customer with three jobs of
real sample files and an operator assigned to them, moves the jobs along as that
operator, then signs the window in as each of them in turn.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.samples import SAMPLES


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="wyntek-ops-screens-"))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        os.environ[var] = str(home / var.lower())
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

    from PySide6.QtWidgets import QApplication

    from tests.operations.support import assign, new_account, new_operator
    from tests.service.support import wait_verified
    from tests.support.localstack import make_test_ca, serve_argv, start_instance
    from wyntek_desktop.core.appdirs import AppDirs
    from wyntek_desktop.core.settings import Settings
    from wyntek_desktop.ui.app import DesktopApp
    from wyntek_desktop.ui.viewer import request_gl_format

    ca = make_test_ca(home / "ca")
    stack = start_instance(serve_argv(home / "data", ca), home / "server.log", ca)
    customer, operator = new_account(stack, 100_000), new_operator(stack)
    shop = operator.ctx.api.operations
    jobs = []
    for name, steps, spec in (
            ("1002_tray_bottom.STL", 4, {"notes": "Deburr all edges, please.",
                                         "delivery_instructions": "Dock 4, weekdays 8-16."}),
            ("plate_holes.STL", 2, {"notes": "Holes must take M6 bolts.", "finish": "Sanded",
                                    "delivery_instructions": "Reception desk."}),
            ("featuretype.STL", 0, {})):
        job = customer.customer.submit({name: (SAMPLES / name).read_bytes()}, **spec)
        wait_verified(stack, [job["id"]])
        assign(stack, job["id"], operator.uid)
        jobs.append(job)
        notes = ["Files checked: ready for the printer.", "Printing on machine 3.",
                 "Sent with the courier, tracking 1Z999.", "Delivered to dock 4."]
        for status, note in zip(("reviewing", "in_production", "shipped", "completed"),
                                notes[:steps], strict=False):
            shop.advance(job["id"], status, note)
            time.sleep(1.1)  # distinct minutes are not needed; distinct seconds read better

    request_gl_format()
    qapp = QApplication(["wyntek-desktop"])
    settings = Settings(supabase_url=stack.url, anon_key=stack.anon_key,
                        ca_bundle=str(stack.ca_path))
    app = DesktopApp(qapp, dirs=AppDirs.default(), settings=settings)
    w = app.window

    def pump(seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            qapp.processEvents()
            time.sleep(0.01)

    def wait(cond: Callable[[], bool], timeout: float = 120, what: str = "") -> None:
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise SystemExit(f"timed out waiting for {what}")
            pump(0.05)

    def shot(name: str, widget: object = None) -> None:
        pump(0.8)
        target = widget or w
        geo = target.frameGeometry()  # type: ignore[attr-defined]
        pos = target.mapToGlobal(target.rect().topLeft()) if widget else geo.topLeft()  # type: ignore[attr-defined]
        size = target.size() if widget else geo.size()  # type: ignore[attr-defined]
        subprocess.run(["import", "-window", "root", "-crop",
                        f"{size.width()}x{size.height()}+{pos.x()}+{pos.y()}",
                        str(out / f"{name}.png")], check=True)
        print("saved", out / f"{name}.png")

    def sign_in(account: object) -> None:
        failures: list[object] = []
        app.services.sign_in(account.email, account.password, False,  # type: ignore[attr-defined]
                             on_done=lambda r: None, on_error=failures.append)
        wait(lambda: app.services.balance is not None or bool(failures), what="sign-in")
        if failures:
            raise SystemExit(f"sign-in failed: {failures}")

    try:
        w.move(0, 0)
        w.resize(1280, 780)
        app.start()
        wait(lambda: app.booted, what="the app")
        sign_in(operator)
        wait(lambda: app.services.is_operator, what="the operator role")
        page = w.show_page("operations")
        wait(lambda: page.model.rowCount() == 2, what="the open assigned jobs")
        assert page.select_job(jobs[1]["id"])
        page.download_selected()
        wait(lambda: "matching its SHA-256" in page.download_label.text(), what="the download")
        wait(lambda: "Watertight" in page.report.text(), what="the report")
        pump(2.0)
        shot("operations")
        page.advance_selected()
        dialog = page.dialog
        dialog.text.setText("Printing on machine 3.")
        dialog.move(380, 300)
        shot("operations-advance", dialog)
        dialog.reject()

        app.services.sign_out()
        wait(lambda: not app.services.signed_in, what="sign-out")
        sign_in(customer)
        jobs_page = w.show_page("jobs")
        wait(lambda: jobs_page.model.rowCount() == 3, what="the customer's jobs")
        assert jobs_page.select_job(jobs[0]["id"])
        wait(lambda: "Delivered to dock 4." in jobs_page.detail.toPlainText(),
             what="the job's history")
        jobs_page.detail.verticalScrollBar().setValue(
            jobs_page.detail.verticalScrollBar().maximum())
        shot("jobs-history")
        jobs_page.reorder_selected()
        reorder = jobs_page.dialog
        reorder.quantity.setValue(5)
        reorder.notes.setPlainText("Same again, five of them.")
        wait(lambda: reorder.price is not None and reorder.quantity.value() == 5,
             what="the reorder price")
        reorder.move(380, 220)
        shot("reorder", reorder)
        reorder.reject()
        w.close()
        app.shutdown()
    finally:
        customer.ctx.close()
        operator.ctx.close()
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

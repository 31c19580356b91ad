"""Screenshots of every main screen from the real window (run under Xvfb for OpenGL).

    xvfb-run -a -s "-screen 0 1280x800x24" \
        .venv/bin/python -m tests.ui.capture_screens docs/screenshots

Starts the app with ``--local`` (embedded demo service, demo account signed in) in
throw-away app folders, prepares and submits a job, then captures each screen with
``import -window root`` (so the 3D view and its overlay text are in the picture).
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
    home = Path(tempfile.mkdtemp(prefix="wyntek-screens-"))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        os.environ[var] = str(home / var.lower())
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    if "PYTHON_KEYRING_BACKEND" not in os.environ:
        os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from wyntek_desktop.core.appdirs import AppDirs
    from wyntek_desktop.ui.app import DesktopApp
    from wyntek_desktop.ui.dialogs.confirm import confirm_button
    from wyntek_desktop.ui.viewer import request_gl_format

    request_gl_format()
    qapp = QApplication(["wyntek-desktop"])
    app = DesktopApp(qapp, dirs=AppDirs.default(), local=True)
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
                raise SystemExit(f"timed out waiting for {what}: "
                                 f"{w.prepare.spec.problems.text()!r} "
                                 f"{w.prepare.shortfall.label.text()!r}")
            pump(0.05)

    def shot(name: str, widget: object = None) -> None:
        pump(0.6)
        target = widget or w
        geo = target.frameGeometry()  # type: ignore[attr-defined]
        pos = target.mapToGlobal(target.rect().topLeft()) if widget else geo.topLeft()  # type: ignore[attr-defined]
        size = target.size() if widget else geo.size()  # type: ignore[attr-defined]
        subprocess.run(["import", "-window", "root", "-crop",
                        f"{size.width()}x{size.height()}+{pos.x()}+{pos.y()}",
                        str(out / f"{name}.png")], check=True)
        print("saved", out / f"{name}.png")

    w.move(0, 0)
    w.resize(1280, 780)
    app.start()
    wait(lambda: app.booted and app.services.signed_in, what="the local demo service")
    wait(lambda: w.prepare.spec.process.count() > 0, what="the materials catalogue")
    w.prepare.open_paths([str(SAMPLES / "featuretype.STL"),
                          str(SAMPLES / "shell.prusa-slicer-project.3mf"),
                          str(SAMPLES / "esp-rgb-driver-gerbers.zip")])
    wait(lambda: len(w.prepare.files) == 3 and all(f.report or f.error
                                                   for f in w.prepare.files),
         what="the reports")
    w.prepare.file_list.setCurrentRow(2)
    w.prepare.spec.select_material("pcb-fr4-2l")  # the archive is checked again for PCB
    wait(lambda: w.prepare.files[2].report is not None
         and w.prepare.files[2].report.material_id == "pcb-fr4-2l", what="the PCB report")
    shot("prepare-gerber")
    # the board drawn where a mesh would be: top, then bottom; every file's picture in
    # the list; PCB options chosen and the price broken down
    wait(lambda: w.prepare.sheet.mode() == "board", what="the board picture")
    wait(lambda: all(w.prepare.file_list.item(i).data(Qt.ItemDataRole.UserRole)
                     for i in range(3)), what="the file list's pictures")
    spec = w.prepare.spec
    spec.board_thickness.setCurrentIndex(spec.board_thickness.findData("0.8"))
    spec.finish.setCurrentText("ENIG")
    wait(lambda: w.prepare.estimate_tokens is not None, what="the board's price")
    shot("prepare-board-top")
    w.prepare.sheet.show_side("bottom")
    shot("prepare-board-bottom")
    shot("prepare-price-breakdown", spec)
    w.prepare.sheet.show_side("top")
    spec.board_thickness.setCurrentIndex(spec.board_thickness.findData("1.6"))
    spec.finish.setCurrentIndex(0)
    w.prepare.spec.select_material("fdm-pla")
    w.prepare.file_list.setCurrentRow(0)
    pump(1.0)
    shot("prepare-units-warning")
    w.prepare.rescale_current(25.4)
    wait(lambda: w.prepare.files[0].report is not None, what="the rescaled report")
    w.prepare.spec.select_material("fdm-pla")
    w.prepare.spec.quantity.setValue(2)
    w.prepare.spec.notes.setPlainText("Deburr all edges, please.")
    w.prepare.file_list.setCurrentRow(2)
    w.prepare.remove_selected()
    w.prepare.file_list.setCurrentRow(0)
    wait(lambda: w.prepare.spec.add_button.isEnabled(), what="a valid spec")
    # two of them cost more than the demo account's 500 tokens: said before Submit
    wait(lambda: w.prepare.shortfall.isVisible(), what="the shortfall notice")
    pump(1.5)
    shot("prepare-shortfall")
    w.prepare.spec.quantity.setValue(1)
    wait(lambda: w.prepare.spec.submit_button.isEnabled(), what="a covered estimate")
    pump(1.5)
    shot("prepare")
    w.prepare.file_list.setCurrentRow(1)  # one file per job (see the report)
    w.prepare.remove_selected()
    w.prepare.file_list.setCurrentRow(0)
    wait(lambda: w.prepare.spec.submit_button.isEnabled(), what="a valid spec")
    w.prepare.queue_job(submit=True)
    box = w.prepare.confirmation
    wait(lambda: box is not None and box.isVisible(), what="the submit confirmation")
    shot("submit-confirm", box)
    confirm_button(box).click()
    wait(lambda: w.stack.currentWidget() is w.outbox, what="the outbox")
    wait(lambda: "was submitted" in w.outbox.banner.text(), what="the submitted job")
    shot("outbox-submitted")
    w.show_page("jobs")
    wait(lambda: w.jobs.model.rowCount() >= 1, what="the submitted job")
    # a draft in the outbox for its picture
    w.show_page("prepare")
    w.prepare.open_paths([str(SAMPLES / "fandisk.obj"), str(SAMPLES / "underlay.pdf")])
    wait(lambda: len(w.prepare.files) == 2 and all(f.report for f in w.prepare.files),
         what="the second job's reports")
    wait(lambda: w.prepare.spec.add_button.isEnabled(), what="a valid second spec")
    w.prepare.file_list.setCurrentRow(1)
    wait(lambda: w.prepare.sheet.mode() == "pdf", what="the drawing's page")
    wait(lambda: all(w.prepare.file_list.item(i).data(Qt.ItemDataRole.UserRole)
                     for i in range(2)), what="the file list's pictures")
    shot("prepare-pdf")
    w.prepare.queue_job(submit=False)
    wait(lambda: w.outbox.model.rowCount() == 2, what="the draft in the outbox")
    w.outbox.table.selectRow(0)
    shot("outbox")
    w.show_page("jobs")
    w.jobs.table.selectRow(0)
    shot("jobs")
    w.show_page("tokens")
    wait(lambda: w.tokens.model.rowCount() >= 2, what="the ledger")
    shot("tokens")
    w.show_page("account")
    shot("account")
    w.account.delete_files()
    dialog = w.account.last_dialog
    wait(lambda: dialog.plan is not None, what="the files to delete")
    dialog.move(300, 200)
    shot("delete-files", dialog)
    dialog.reject()
    w.show_shortcuts()
    w.shortcuts_dialog.move(300, 80)
    shot("shortcuts", w.shortcuts_dialog)
    w.shortcuts_dialog.search.setText("page")
    shot("shortcuts-search", w.shortcuts_dialog)
    w.shortcuts_dialog.close()
    w.show_page("help")
    wait(lambda: len(w.help.howto_titles()) == 5, what="the how-to pages")
    w.help.howto_list.setCurrentRow(0)
    shot("help-howto")
    w.help.show_support()
    w.help.subject.setText("Delivery to the second dock")
    w.help.message.setPlainText("Please deliver job a44f to dock 2; dock 4 is closed.")
    w.help.job.setCurrentIndex(1)
    w.help.send_message()
    wait(lambda: w.help.model.rowCount() == 1, what="the support message")
    w.help.subject.setText("Invoice address")
    w.help.message.setPlainText("Can invoices go to accounts@example.com?")
    shot("help")
    w.show_about()
    wait(lambda: hasattr(w, "about_dialog"), what="the About box")
    w.about_dialog.move(200, 60)
    shot("about", w.about_dialog)
    w.about_dialog.close()
    app.open_settings()
    app.settings_dialog.move(300, 150)
    shot("settings", app.settings_dialog)
    app.settings_dialog.close()
    app.services.sign_out()
    wait(lambda: not app.services.signed_in, what="sign-out")
    w.sign_in()
    w.sign_in_dialog.email.setText("demo@wyntek.local")
    w.sign_in_dialog.move(400, 250)
    shot("sign-in", w.sign_in_dialog)
    w.sign_in_dialog.close()
    w.close()
    app.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Screenshots of the account screens from the real window (run under Xvfb):

    xvfb-run -a -s "-screen 0 1280x900x24" \
        .venv/bin/python -m tests.ui.capture_account_screens docs/screenshots

(900 px high: with the policy notice above the pages the window needs about 800.)

Starts the app with ``--local`` (embedded demo service, demo account signed in) in
throw-away app folders and captures the Account page, the sign-in dialog with "Forgot
password?", each account dialog (the steps that need a mailed code are reached by really
asking the demo service for one), a pending deletion request and the policy notice (a
version published in the demo database for the picture). Captured with
``import -window root`` as ``tests/ui/capture_screens.py`` does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="wyntek-account-screens-"))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        os.environ[var] = str(home / var.lower())
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    if "PYTHON_KEYRING_BACKEND" not in os.environ:
        os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"

    import psycopg
    from PySide6.QtWidgets import QApplication

    from wyntek_desktop.core.appdirs import AppDirs
    from wyntek_desktop.ui.app import DesktopApp
    from wyntek_desktop.ui.dialogs.confirm import confirm_button

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
                raise SystemExit(f"timed out waiting for {what}")
            pump(0.05)

    def shot(name: str, widget: Any = None) -> None:
        pump(0.6)
        target = widget or w
        geo = target.frameGeometry()
        pos = target.mapToGlobal(target.rect().topLeft()) if widget else geo.topLeft()
        size = target.size() if widget else geo.size()
        subprocess.run(["import", "-window", "root", "-crop",
                        f"{size.width()}x{size.height()}+{pos.x()}+{pos.y()}",
                        str(out / f"{name}.png")], check=True)
        print("saved", out / f"{name}.png")

    def place(dialog: Any, x: int = 380, y: int = 180) -> None:
        dialog.move(x, y)
        pump(0.3)

    w.move(0, 0)
    w.resize(1280, 780)
    app.start()
    wait(lambda: app.booted and app.services.signed_in, what="the local demo service")
    backend = app.services.local_backend
    assert backend is not None
    page = w.account
    w.show_page("account")
    wait(lambda: page.preferences is not None, what="the email choices")
    page.display_name.setText("Dana Demo")
    page.save_display_name()
    pump(1.0)
    page.banner.dismiss()
    shot("account")

    # the policy notice: a version published after the demo account joined
    dsn = f"postgresql://postgres:@/postgres?host={backend.data_dir / 'postgres'}"
    with psycopg.connect(dsn, autocommit=True) as db:
        db.execute("insert into public.policy_versions (version, published_at, summary) "
                   "values ('2026-12-02', now(), 'Support messages are now kept two years "
                   "instead of five, and you can object to processing beyond your jobs "
                   "on the Account page.') on conflict do nothing")
    app.services.check_policy()
    wait(lambda: w.policy_notice.isVisible(), what="the policy notice")
    w.show_page("jobs")
    shot("policy-notice")
    w.policy_notice.dismiss()
    w.show_page("account")

    page.change_password()
    place(page.account_dialog)
    shot("change-password", page.account_dialog)
    page.account_dialog.reject()

    page.change_email()
    dialog = page.account_dialog
    place(dialog)
    shot("change-email", dialog)
    dialog.new_email.setText("dana@new-company.example")
    dialog.submit()
    wait(lambda: not dialog.running, what="the email change codes")
    place(dialog)
    shot("change-email-codes", dialog)
    dialog.reject()

    page.export_dialog()
    wait(lambda: page.account_dialog is not None and page.account_dialog.isVisible()
         and page.account_dialog.windowTitle() == "Export my data", what="the export preview")
    dialog = page.account_dialog
    place(dialog, 380, 140)
    shot("export-preview", dialog)
    dialog.reject()

    page.delete_account()
    confirm_button(page.confirmation).click()
    wait(lambda: page.deletion_box.isVisible(), what="the deletion request")
    shot("account-deletion-pending")
    page.cancel_deletion()
    wait(lambda: not page.deletion_box.isVisible(), what="the cancelled request")

    app.services.sign_out()
    wait(lambda: not app.services.signed_in, what="sign-out")
    w.sign_in()
    w.sign_in_dialog.email.setText("demo@wyntek.local")
    place(w.sign_in_dialog, 400, 250)
    shot("sign-in", w.sign_in_dialog)
    w.sign_in_dialog.forgot_password()
    forgot = w.sign_in_dialog.forgot_dialog
    place(forgot)
    shot("forgot-password", forgot)
    forgot.submit()
    wait(lambda: not forgot.running, what="the recovery code")
    forgot.code.setText("12345")
    forgot.password.setText("a new password")
    forgot.repeat.setText("a new password")
    forgot.submit()  # five digits: the dialog says what it wants
    place(forgot)
    shot("forgot-password-code", forgot)
    forgot.reject()
    w.sign_in_dialog.close()
    w.close()
    app.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Two windows against one local stack: a customer's and an operator's (real widgets,
real HTTPS, RLS), plus a verified job assigned to the operator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from tests.operations.support import Account, assign, new_account, new_operator, service_headers
from tests.service.support import cube_stl, service_rows, wait_verified
from tests.ui.journey_support import start_app
from wyntek_desktop.ui.app import DesktopApp

__all__ = ["Account", "assign", "new_account", "new_operator", "service_headers",
           "service_rows"]


def signed_in_window(qtbot: Any, stack: Any, account: Account) -> DesktopApp:
    """The desktop app signed in as ``account`` for this session only (memory)."""
    app = start_app(qtbot, stack)
    errors: list[Any] = []
    app.services.sign_in(account.email, account.password, False, on_done=lambda r: None,
                         on_error=errors.append)
    qtbot.waitUntil(lambda: app.services.balance is not None or bool(errors), timeout=30_000)
    assert not errors, errors
    return app


def submit_verified(stack: Any, customer: Account, operator: Account, tmp: Path,
                    **spec: Any) -> dict[str, Any]:
    """A job of ``customer`` (a 20 mm cube) verified by the service, assigned to ``operator``."""
    job = customer.customer.submit({"cube.stl": cube_stl(tmp, 20.0)}, volume_cm3=8.0, **spec)
    wait_verified(stack, [job["id"]])
    assign(stack, job["id"], operator.uid)
    return job


def activate(qtbot: Any, app: DesktopApp) -> None:
    """Keyboard shortcuts go to the active window: make it this one."""
    app.window.raise_()
    app.window.activateWindow()
    qtbot.waitUntil(app.window.isActiveWindow, timeout=5_000)


def press(qtbot: Any, widget: Any, key: Qt.Key,
          modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(widget, key, modifiers)


CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier

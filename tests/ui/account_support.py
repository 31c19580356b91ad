"""Helpers for the account tests: the local stack's mail catcher, the database, signing in
through the real window."""

from __future__ import annotations

import re
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from tests.ui.journey_support import start_app, stop_app

__all__ = ["Mailbox", "database", "shown_whole", "sign_in_window", "start_app", "stop_app"]

# the code as a person finds it: after "code:" (the mail's link carries a hex token whose
# digit runs would pass for a code)
CODE = re.compile(r"code:\s*(\d{6})(?!\d)", re.IGNORECASE)


class Mailbox:
    """The mail the local stack sent to one address, from the moment this was made."""

    def __init__(self, stack: Any, address: str) -> None:
        self.folder = Path(stack.data_dir) / "mail"
        self.address = address.lower()
        self.seen = set(self._files())

    def _files(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml")) if self.folder.is_dir() else []

    def _to_me(self, message: EmailMessage) -> bool:
        return self.address in str(message.get("To", "")).lower()

    def next(self, timeout: float = 30.0) -> EmailMessage:
        """The next new mail to the address (waits for it; the GUI is not involved)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for path in self._files():
                if path in self.seen:
                    continue
                self.seen.add(path)
                message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
                assert isinstance(message, EmailMessage)
                if self._to_me(message):
                    return message
            time.sleep(0.1)
        raise AssertionError(f"no mail to {self.address} within {timeout} s")

    def next_code(self, qtbot: Any, timeout: float = 30.0) -> tuple[str, EmailMessage]:
        """The six-digit code of the next mail (the event loop keeps running meanwhile)."""
        found: list[EmailMessage] = []

        def arrived() -> bool:
            try:
                found.append(self.next(timeout=0.01))
            except AssertionError:
                return False
            return True
        qtbot.waitUntil(arrived, timeout=int(timeout * 1000))
        message = found[0]
        body = message.get_body(("plain", "html"))
        text = body.get_content() if body is not None else ""
        match = CODE.search(text)
        assert match, f"no six-digit code in: {text!r}"
        return match.group(1), message


def database(stack: Any) -> Any:
    """A psycopg connection to the stack's database (autocommit), as the service role is."""
    import psycopg

    assert stack.database_url, "the stack did not report its database URL"
    return psycopg.connect(stack.database_url, autocommit=True)


def sign_in_window(qtbot: Any, app: Any, email: str, password: str) -> None:
    """Sign in through the window's sign-in dialog, as a person would."""
    app.window.sign_in()
    dialog = app.window.sign_in_dialog
    dialog.email.setText(email)
    dialog.password.setText(password)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.services.signed_in or dialog.error.isVisible(),
                    timeout=30_000)
    assert not dialog.error.isVisible(), dialog.error.text()


def shown_whole(banner: Any) -> bool:
    """The dialog's message is on screen and has the height its wrapped text needs (a
    message shown in an open dialog used to be squeezed into its first size)."""
    label = banner.label
    return bool(banner.isVisible() and label.height() >= label.heightForWidth(label.width()))

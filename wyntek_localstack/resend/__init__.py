"""A Resend stand-in: ``POST /emails`` as the official SDK sends it; each accepted email
is written as an ``.eml`` file under ``<data-dir>/mail/`` (open it in any mail program),
and a page lists them."""

from .catcher import MailCatcher

__all__ = ["MailCatcher"]

"""Rotating log file with a redaction filter: tokens, passwords and keys never reach disk.

The filter sits on the handler, so it sees every record that is written, whatever
logger produced it (ours, httpx, httpcore, supabase, hpack), including exception text.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import threading
import traceback
from pathlib import Path

REDACTED = "[REDACTED]"
LOG_FILE = "wyntek.log"

_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s'\",;]+")
# user:password@ in any URL (a proxy setting, an exception quoting the proxy URL).
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/@'\"]+@")
# key=value / "key": "value" / 'key': b'value' shapes, with the usual secret names.
_SENSITIVE_NAMES = (
    r"password|passwd|apikey|api[_-]?key|authorization|access[_-]?token"
    r"|refresh[_-]?token|secret|service[_-]?role[_-]?key|anon[_-]?key|token")
_KEY_VALUE = re.compile(
    rf"""(?ix)
    (["']?(?:{_SENSITIVE_NAMES})["']?\s*[:=]\s*)     # key and separator
    (b?"[^"]*"|b?'[^']*'|[^\s,&;}}\])]+)       # value (str, bytes repr or bare)
    """)


class Redactor:
    """Removes secrets by shape (JWTs, key=value) and by value (tokens the app knows)."""

    def __init__(self) -> None:
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def remember(self, *secrets: str | None) -> None:
        with self._lock:
            for secret in secrets:
                if secret and len(secret) >= 6:
                    self._known.add(secret)

    def redact(self, text: str) -> str:
        with self._lock:
            known = sorted(self._known, key=len, reverse=True)
        for secret in known:
            text = text.replace(secret, REDACTED)
        text = _JWT.sub(REDACTED, text)
        text = _BEARER.sub(rf"\1{REDACTED}", text)
        text = _URL_USERINFO.sub(rf"\1{REDACTED}@", text)
        return _KEY_VALUE.sub(rf"\1{REDACTED}", text)


REDACTOR = Redactor()


class RedactingFilter(logging.Filter):
    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = self._redactor.redact(message)
        record.args = ()
        if record.exc_info:
            text = "".join(traceback.format_exception(*record.exc_info))
            record.exc_text = self._redactor.redact(text.rstrip("\n"))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self._redactor.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redactor.redact(record.stack_info)
        return True


class RedactingFormatter(logging.Formatter):
    """Second line of defence: redact the final line too."""

    def format(self, record: logging.LogRecord) -> str:
        return REDACTOR.redact(super().format(record))


def setup_logging(log_dir: Path, level: int | str = logging.INFO) -> Path:
    """Install the rotating, redacting file handler on the root logger (idempotent)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":  # the log names the user's files and account: theirs alone
        os.chmod(log_dir, 0o700)
    path = log_dir / LOG_FILE
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_wyntek", False):
            root.removeHandler(handler)
            handler.close()
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2 * 1024 * 1024, backupCount=5, encoding="utf-8")
    handler._wyntek = True  # type: ignore[attr-defined]
    handler.addFilter(RedactingFilter())
    handler.setFormatter(RedactingFormatter(
        "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    return path

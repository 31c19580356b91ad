"""GoTrue's own mail (recovery codes, email-change codes), rendered from the project's
templates (``supabase/templates/*.html``, the files ``config.toml`` gives hosted GoTrue)
and written into the mail catcher's folder, as GoTrue's SMTP would deliver them."""

from __future__ import annotations

import hashlib
import html
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..database import DatabaseError, find_supabase_dir
from .eml import write_mail
from .errors import AuthError

OTP_LIFETIME = 3600      # GoTrue's mailer OTP expiry (config.toml otp_expiry)
EMAIL_RESEND_INTERVAL = 60  # GoTrue's SMTP max frequency per user (max_frequency)


@dataclass(frozen=True)
class Template:
    subject: str
    file: str
    fallback: str   # used when the project's template file is not shipped (frozen app)


TEMPLATES = {
    "recovery": Template(
        "Reset Your Password", "recovery.html",
        "<h2>Reset Password</h2><p>Enter the code: {{ .Token }}</p>"
        "<p>Or follow this link: {{ .ConfirmationURL }}</p>"),
    "magic_link": Template(
        "Your Magic Link", "magic_link.html",
        "<h2>Your Magic Link</h2><p>Enter the code: {{ .Token }}</p>"),
    "email_change": Template(
        "Confirm Email Change", "email_change.html",
        "<h2>Confirm Email Change</h2><p>From {{ .Email }} to {{ .NewEmail }}: "
        "enter the code: {{ .Token }}</p>"),
}


def token_hash(email: str, otp: str) -> str:
    """GoTrue's stored form of an emailed code: hex SHA-224 of address + code."""
    return hashlib.sha224((email + otp).encode()).hexdigest()


def new_otp() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def check_send_interval(sent: datetime | None) -> None:
    """429 ``over_email_send_rate_limit`` while the last mail of this kind is too recent."""
    if sent is None:
        return
    ready = sent + timedelta(seconds=EMAIL_RESEND_INTERVAL)
    now = datetime.now(UTC)
    if ready > now:
        wait = int((ready - now).total_seconds()) + 1
        raise AuthError(429, "over_email_send_rate_limit",
                        f"For security purposes, you can only request this after "
                        f"{wait} seconds.")


def expired(sent: datetime | None) -> bool:
    return sent is None or sent + timedelta(seconds=OTP_LIFETIME) < datetime.now(UTC)


def _template_text(template: Template) -> str:
    try:
        path = find_supabase_dir() / "templates" / template.file
        return path.read_text(encoding="utf-8")
    except (DatabaseError, OSError):
        return template.fallback


def render(kind: str, values: dict[str, str]) -> tuple[str, str, str]:
    """(subject, text, html) of a template with GoTrue's ``{{ .Name }}`` fields filled."""
    template = TEMPLATES[kind]
    source = _template_text(template)

    def fill(escape: bool) -> str:
        return re.sub(r"\{\{\s*\.(\w+)\s*\}\}",
                      lambda m: (html.escape if escape else str)(values.get(m.group(1), "")),
                      source)
    body_html = fill(True)
    text = fill(False)
    text = re.sub(r"<br\s*/?>|</p>|</h2>", "\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = "\n".join(line.strip() for line in text.splitlines() if line.strip()) + "\n"
    return template.subject, html.unescape(text), body_html


def send(data_dir: Path, to: str, kind: str, values: dict[str, str]) -> Path:

    subject, text, _ = render(kind, values)
    return write_mail(data_dir, to, subject, text)

"""`POST /recover`: a recovery mail with a link and a six-digit code."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from ..context import context_of
from ..pg import ADMIN
from .errors import AuthError, ok, read_body
from .users import check_email, load_user_by_email

RECOVERY_LIFETIME = 3600


EMAIL_RESEND_INTERVAL = 60


def recovery_token_hash(email: str, otp: str) -> str:
    return hashlib.sha224((email + otp).encode()).hexdigest()


def write_mail(data_dir: Path, to: str, subject: str, text: str) -> Path:
    """Write the mail GoTrue would send as an RFC 5322 file under `<data_dir>/mail/`."""
    folder = data_dir / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
    headers = (f"From: WYNTEK <noreply@wyntek.local>\nTo: {to}\nSubject: {subject}\n"
               f"Date: {datetime.now(UTC).strftime('%a, %d %b %Y %H:%M:%S +0000')}\n"
               "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(headers + text, encoding="utf-8")
    tmp.replace(path)
    return path


async def recover(request: Request) -> Response:
    ctx = context_of(request)
    body = await read_body(request)
    email = check_email(body.get("email"))
    redirect_to = request.query_params.get("redirect_to") or ctx.settings.public_url
    async with ctx.pool.transaction(ADMIN) as conn:
        user = await load_user_by_email(conn, email)
        if user is not None:  # unknown addresses get the same answer (no enumeration)
            sent = user.get("recovery_sent_at")
            if sent is not None and sent + timedelta(seconds=EMAIL_RESEND_INTERVAL) > \
                    datetime.now(UTC):
                wait = int((sent + timedelta(seconds=EMAIL_RESEND_INTERVAL)
                            - datetime.now(UTC)).total_seconds()) + 1
                raise AuthError(429, "over_email_send_rate_limit",
                                f"For security purposes, you can only request this after "
                                f"{wait} seconds.")
            otp = f"{secrets.randbelow(10**6):06d}"
            token_hash = recovery_token_hash(email, otp)
            await conn.execute("update auth.users set recovery_token = %s, "
                               "recovery_sent_at = now() where id = %s", [token_hash, user["id"]])
            link = (f"{ctx.settings.public_url}/auth/v1/verify?"
                    + urlencode({"token": token_hash, "type": "recovery",
                                 "redirect_to": redirect_to}, quote_via=quote))
            write_mail(ctx.settings.data_dir, email, "Reset Your Password",
                       "Reset Password\n\nFollow this link to reset the password for your "
                       f"user:\n\n{link}\n\nAlternatively, enter the code: {otp}\n")
    return ok(request, {})

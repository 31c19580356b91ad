"""`POST /recover`: a recovery mail with a six-digit code (typed into the app)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from ..context import context_of
from ..pg import ADMIN
from .errors import ok, read_body
from .mail import OTP_LIFETIME, check_send_interval, new_otp, send, token_hash
from .users import check_email, load_user_by_email

RECOVERY_LIFETIME = OTP_LIFETIME


recovery_token_hash = token_hash


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
            check_send_interval(user.get("recovery_sent_at"))
            otp = new_otp()
            hashed = recovery_token_hash(email, otp)
            await conn.execute("update auth.users set recovery_token = %s, "
                               "recovery_sent_at = now() where id = %s", [hashed, user["id"]])
            link = (f"{ctx.settings.public_url}/auth/v1/verify?"
                    + urlencode({"token": hashed, "type": "recovery",
                                 "redirect_to": redirect_to}, quote_via=quote))
            send(ctx.settings.data_dir, email, "recovery",
                 {"Email": email, "Token": otp, "ConfirmationURL": link,
                  "SiteURL": ctx.settings.public_url})
    return ok(request, {})

"""The mail catcher's side of GoTrue's SMTP: each mail an RFC 5322 file under
``<data_dir>/mail/``, written atomically so a reader never sees half of one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path


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

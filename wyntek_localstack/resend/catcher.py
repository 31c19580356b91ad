"""Accept emails like Resend's API and keep each as an .eml file.

An Idempotency-Key seen before returns the first email's id and writes nothing, as
Resend does for 24 hours; the key's marker file is created with O_EXCL, so concurrent
sends of one key write one file.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import secrets
import time
import uuid
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ..responses import json_response


def _error(status: int, name: str, message: str) -> Response:
    return json_response({"statusCode": status, "name": name, "message": message}, status)


@dataclass
class MailCatcher:
    folder: Path
    api_key: str

    def __post_init__(self) -> None:
        (self.folder / ".keys").mkdir(parents=True, exist_ok=True)

    # -- the API
    async def send(self, request: Request) -> Response:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return _error(401, "missing_api_key", "Missing API key in the authorization header.")
        if not secrets.compare_digest(key.strip(), self.api_key):
            return _error(403, "invalid_api_Key", "API key is invalid.")
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _error(422, "validation_error", "The body must be JSON.")
        recipients = body.get("to")
        recipients = [recipients] if isinstance(recipients, str) else recipients
        if not body.get("from") or not recipients or not body.get("subject") \
                or not (body.get("text") or body.get("html")):
            return _error(422, "validation_error",
                          "An email needs from, to, subject and a text or html body.")
        idem = request.headers.get("idempotency-key")
        marker = None
        if idem:
            marker = self.folder / ".keys" / hashlib.sha256(idem.encode()).hexdigest()
            email_id = str(uuid.uuid4())
            try:
                fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return json_response({"id": self._wait_for_id(marker)})
            with os.fdopen(fd, "w") as fh:
                fh.write(email_id)
        else:
            email_id = str(uuid.uuid4())
        self._write(email_id, body, [str(r) for r in recipients], idem)
        return json_response({"id": email_id})

    @staticmethod
    def _wait_for_id(marker: Path) -> str:
        for _ in range(50):  # the first sender writes the id right after creating the file
            text = marker.read_text()
            if text:
                return text
            time.sleep(0.01)
        return marker.read_text()

    def _write(self, email_id: str, body: dict[str, Any], to: list[str], idem: str | None) -> None:
        message = EmailMessage()
        message["From"] = str(body["from"])
        message["To"] = ", ".join(to)
        message["Subject"] = str(body["subject"])
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="resend.local")
        message["X-Resend-Id"] = email_id
        if idem:
            message["X-Idempotency-Key"] = idem
        message.set_content(str(body.get("text") or ""))
        if body.get("html"):
            message.add_alternative(str(body["html"]), subtype="html")
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        target = self.folder / f"{stamp}-{email_id}.eml"
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(message.as_bytes(policy=policy.SMTP))
        os.replace(tmp, target)

    # -- reading what arrived
    def messages(self) -> list[dict[str, Any]]:
        """Every caught email, newest first: file, to, subject, date, text."""
        found = []
        for path in sorted(self.folder.glob("*.eml"), reverse=True):
            with path.open("rb") as fh:
                msg = BytesParser(policy=policy.default).parse(fh)
            text_part = msg.get_body(preferencelist=("plain",))
            found.append({"file": path.name, "to": str(msg["To"]), "from": str(msg["From"]),
                          "subject": str(msg["Subject"]), "date": str(msg["Date"]),
                          "text": text_part.get_content() if text_part else ""})
        return found

    async def index_page(self, request: Request) -> Response:
        rows = "".join(
            f"<tr><td>{html.escape(m['date'])}</td><td>{html.escape(m['to'])}</td>"
            f"<td><a href='mail/{html.escape(m['file'])}'>{html.escape(m['subject'])}</a></td></tr>"
            for m in self.messages())
        body = ("<h1>Mail sent by the local stack</h1><p>Every email the service sent "
                f"(receipts, job updates, account mail) is kept as a file in "
                f"<code>{html.escape(str(self.folder))}</code>.</p>"
                "<table id=mail><thead><tr><th>Date</th><th>To</th><th>Subject</th></tr></thead>"
                f"<tbody>{rows or '<tr><td colspan=3>No mail yet.</td></tr>'}</tbody></table>")
        return HTMLResponse(_page("Local mail", body))

    async def message_page(self, request: Request) -> Response:
        name = request.path_params["name"]
        path = self.folder / name
        if "/" in name or not name.endswith(".eml") or not path.is_file():
            return HTMLResponse(_page("Not found", "<p>No such email.</p>"), 404)
        with path.open("rb") as fh:
            msg = BytesParser(policy=policy.default).parse(fh)
        text_part = msg.get_body(preferencelist=("plain",))
        text = text_part.get_content() if text_part else ""
        body = (f"<p><a href='../mail'>All mail</a></p><h1>{html.escape(str(msg['Subject']))}</h1>"
                f"<p>To: {html.escape(str(msg['To']))}<br>From: {html.escape(str(msg['From']))}"
                f"<br>Date: {html.escape(str(msg['Date']))}</p>"
                f"<pre id=body>{html.escape(text)}</pre>")
        return HTMLResponse(_page(str(msg["Subject"]), body))

    def api_routes(self) -> list[Route]:
        return [Route("/emails", self.send, methods=["POST"])]

    def page_routes(self) -> list[Route]:
        return [Route("/mail", self.index_page, methods=["GET"]),
                Route("/mail/{name}", self.message_page, methods=["GET"])]


def _page(title: str, body: str) -> str:
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;"
            "margin:2em;line-height:1.5}td,th{padding:.2em .8em;text-align:left}"
            "pre{white-space:pre-wrap}</style></head>"
            f"<body>{body}</body></html>")

"""A customer and the service, over the wire of one running local stack: sign up, buy on
the Stripe stand-in's checkout page, read balance, ledger, purchases and caught mail."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.support.localstack import LocalStackInstance
from wyntek_localstack.stripe import sign_payload


@dataclass
class Customer:
    email: str
    user_id: str
    token: str


class Shop:
    def __init__(self, stack: LocalStackInstance) -> None:
        self.stack = stack
        self.http = stack.http(timeout=60)
        edge = json.loads((stack.data_dir / "edge.json").read_text())
        self.stripe_key: str = edge["stripe_secret_key"]
        assert stack.stripe_webhook_secret == edge["stripe_webhook_secret"]
        self.webhook_secret: str = edge["stripe_webhook_secret"]
        self.stripe_base: str | None = None

    def close(self) -> None:
        self.http.close()

    # -- customers
    def customer(self, prefix: str = "buyer") -> Customer:
        email, password, uid = self.stack.new_user(prefix)
        session = self.stack.sign_in(email, password)
        return Customer(email, uid, session["access_token"])

    def _rest(self, who: Customer, path: str) -> Any:
        response = self.http.get(f"{self.stack.url}/rest/v1/{path}",
                                 headers={"apikey": self.stack.anon_key,
                                          "Authorization": f"Bearer {who.token}"})
        response.raise_for_status()
        return response.json()

    def rpc(self, who: Customer | None, name: str, args: dict[str, Any]) -> httpx.Response:
        token = who.token if who else self.stack.service_role_key
        return self.http.post(f"{self.stack.url}/rest/v1/rpc/{name}", json=args,
                              headers={"apikey": self.stack.anon_key,
                                       "Authorization": f"Bearer {token}"})

    def balance(self, who: Customer) -> int:
        return int(self._rest(who, "profiles?select=token_balance")[0]["token_balance"])

    def ledger(self, who: Customer) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self._rest(
            who, "token_ledger?select=delta,reason,purchase_id&order=id")
        return rows

    def purchase(self, who: Customer, purchase_id: str) -> dict[str, Any]:
        rows = self._rest(who, f"purchases?id=eq.{purchase_id}&select=*")
        assert len(rows) == 1
        row: dict[str, Any] = rows[0]
        return row

    def assert_ledger_sums_to_balance(self, who: Customer) -> None:
        assert sum(r["delta"] for r in self.ledger(who)) == self.balance(who)

    # -- buying
    def checkout(self, who: Customer, pack_id: str = "starter") -> tuple[str, str]:
        response = self.http.post(f"{self.stack.url}/functions/v1/create-checkout",
                                  json={"pack_id": pack_id},
                                  headers={"Authorization": f"Bearer {who.token}"})
        assert response.status_code == 200, response.text
        body = response.json()
        parts = urlsplit(body["url"])
        self.stripe_base = f"{parts.scheme}://{parts.netloc}"
        return body["purchase_id"], body["url"]

    def pay(self, url: str, card: str = "4242 4242 4242 4242") -> httpx.Response:
        # The stand-in delivers the webhook before it answers the form.
        return self.http.post(url, data={"card_number": card, "expiry": "12/34", "cvc": "123"})

    def stripe(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        assert self.stripe_base, "open a checkout first"
        return self.http.request(method, f"{self.stripe_base}{path}",
                                 headers={"Authorization": f"Bearer {self.stripe_key}"}, **kwargs)

    def session(self, url: str) -> dict[str, Any]:
        session_id = url.rsplit("/", 1)[1]
        body: dict[str, Any] = self.stripe("GET", f"/v1/checkout/sessions/{session_id}").json()
        return body

    # -- webhooks as Stripe sends them
    def deliver(self, event: dict[str, Any] | bytes, *, secret: str | None = None,
                timestamp: int | None = None, client: httpx.Client | None = None) -> httpx.Response:
        payload = event if isinstance(event, bytes) else json.dumps(event).encode()
        header = sign_payload(payload, secret or self.webhook_secret, timestamp)
        return (client or self.http).post(
            f"{self.stack.url}/functions/v1/stripe-webhook", content=payload,
            headers={"Stripe-Signature": header, "Content-Type": "application/json"})

    @staticmethod
    def event(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {"id": f"evt_test_{uuid.uuid4().hex}", "object": "event", "type": kind,
                "created": int(time.time()), "livemode": False, "data": {"object": obj}}

    # -- mail
    def mail_to(self, address: str, *, subject_has: str = "", timeout: float = 30.0,
                expect: bool = True) -> list[dict[str, str]]:
        """Emails caught for an address (waits up to timeout for one to arrive)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in read_mail(self.stack.data_dir / "mail")
                     if address in m["to"] and subject_has in m["subject"]]
            if found or not expect or time.monotonic() > deadline:
                return found
            time.sleep(0.25)


def read_mail(folder: Path) -> list[dict[str, str]]:
    messages = []
    for path in sorted(folder.glob("*.eml")):
        with path.open("rb") as fh:
            msg = BytesParser(policy=policy.default).parse(fh)
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        messages.append({"to": str(msg["To"]), "subject": str(msg["Subject"]),
                         "text": text.get_content() if text else "",
                         "html": html.get_content() if html else "",
                         "key": str(msg["X-Idempotency-Key"] or "")})
    return messages

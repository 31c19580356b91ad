"""The stand-in's state and HTTP routes.

State lives in memory (test mode: a restart forgets open sessions, as a new Stripe test
account would). Every change a real account would report is delivered as a signed
webhook to the endpoint given at start, before the page that caused it answers, and is
kept so tests can fetch the event as sent (``GET /v1/events/{id}``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..responses import json_response
from .forms import decode_form

PAYING_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
API_VERSION = "2025-08-27.basil"
SESSION_LIFETIME = 24 * 3600


def sign_payload(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header for a payload: t=<unix time>,v1=<HMAC-SHA256>."""
    stamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256)
    return f"t={stamp},v1={mac.hexdigest()}"


def _error(status: int, message: str, kind: str = "invalid_request_error") -> Response:
    return json_response({"error": {"type": kind, "message": message}}, status)


@dataclass
class StripeStandIn:
    secret_key: str
    webhook_secret: str
    #: Where signed webhooks go (the local stack's /functions/v1/stripe-webhook).
    webhook_url: str = ""
    #: This stand-in's own origin, for the checkout page's address.
    public_url: str = ""
    verify: Any = True
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    _idempotent: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- events
    def make_event(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        event_id = f"evt_{secrets.token_hex(12)}"
        event = {"id": event_id, "object": "event",
                 "api_version": API_VERSION, "created": int(time.time()), "livemode": False,
                 "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
                 "type": kind, "data": {"object": json.loads(json.dumps(obj))}}
        self.events[event_id] = event
        return event

    async def deliver(self, event: dict[str, Any]) -> int:
        """POST the event, signed now, to the webhook endpoint; the HTTP status it got."""
        payload = json.dumps(event, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "Stripe-Signature": sign_payload(payload, self.webhook_secret),
                   "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}
        status = 0
        for attempt in range(3):  # Stripe retries for days; a test needs a few tries
            try:
                async with httpx.AsyncClient(verify=self.verify, timeout=30) as client:
                    response = await client.post(self.webhook_url, content=payload,
                                                 headers=headers)
                status = response.status_code
            except httpx.HTTPError:
                status = 0
            self.deliveries.append({"event": event["id"], "status": status})
            if 200 <= status < 300:
                break
            await asyncio.sleep(0.2 * (attempt + 1))
        return status

    # -- API authentication and idempotency
    def _authorised(self, request: Request) -> bool:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(key.strip(), self.secret_key)

    def _replay(self, request: Request, path: str) -> dict[str, Any] | None:
        key = request.headers.get("idempotency-key")
        return self._idempotent.get(f"{path}:{key}") if key else None

    def _remember(self, request: Request, path: str, result: dict[str, Any]) -> None:
        key = request.headers.get("idempotency-key")
        if key:
            self._idempotent[f"{path}:{key}"] = result

    # -- API routes
    async def create_session(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "Invalid API Key provided.")
        replayed = self._replay(request, "sessions")
        if replayed is not None:
            return json_response(replayed)
        form = decode_form((await request.body()).decode())
        items = form.get("line_items") or []
        if form.get("mode") != "payment" or not isinstance(items, list) or len(items) != 1:
            return _error(400, "This stand-in takes mode=payment with one line item.")
        price = items[0].get("price_data") or {}
        try:
            unit, quantity = int(price["unit_amount"]), int(items[0].get("quantity", 1))
            currency = str(price["currency"]).lower()
        except (KeyError, TypeError, ValueError):
            return _error(400, "line_items[0][price_data] needs unit_amount and currency.")
        if not form.get("success_url"):
            return _error(400, "Missing required param: success_url.")
        session_id = f"cs_test_{secrets.token_urlsafe(24)}"
        now = int(time.time())
        session = {
            "id": session_id, "object": "checkout.session", "mode": "payment",
            "amount_subtotal": unit * quantity, "amount_total": unit * quantity,
            "currency": currency, "client_reference_id": form.get("client_reference_id"),
            "customer_email": form.get("customer_email"),
            "metadata": form.get("metadata") or {},
            "line_items_preview": {"name": (price.get("product_data") or {}).get("name", ""),
                                   "quantity": quantity},
            "payment_intent": None, "payment_status": "unpaid", "status": "open",
            "success_url": form["success_url"], "cancel_url": form.get("cancel_url"),
            "url": f"{self.public_url}/pay/{session_id}", "created": now,
            "expires_at": now + SESSION_LIFETIME, "livemode": False,
        }
        with self._lock:
            self.sessions[session_id] = session
        self._remember(request, "sessions", session)
        return json_response(session)

    async def get_session(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "Invalid API Key provided.")
        session = self.sessions.get(request.path_params["session_id"])
        if session is None:
            return _error(404, "No such checkout.session.")
        return json_response(session)

    async def expire_session(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "Invalid API Key provided.")
        session = self.sessions.get(request.path_params["session_id"])
        if session is None:
            return _error(404, "No such checkout.session.")
        if session["status"] != "open":
            return _error(400, f"This Checkout Session is {session['status']}; "
                               "only open ones expire.")
        session["status"] = "expired"
        await self.deliver(self.make_event("checkout.session.expired", session))
        return json_response(session)

    async def create_refund(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "Invalid API Key provided.")
        form = decode_form((await request.body()).decode())
        charge = next((c for c in self.charges.values()
                       if c["payment_intent"] == form.get("payment_intent")), None)
        if charge is None:
            return _error(404, "No such payment_intent.")
        left = charge["amount"] - charge["amount_refunded"]
        amount = int(form.get("amount", left))
        if not 0 < amount <= left:
            return _error(400, f"The refund must be between 1 and {left} (what is left to refund).")
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        refund = {"id": f"re_{secrets.token_hex(12)}", "object": "refund", "amount": amount,
                  "charge": charge["id"], "currency": charge["currency"],
                  "payment_intent": charge["payment_intent"], "status": "succeeded"}
        await self.deliver(self.make_event("charge.refunded", charge))
        return json_response(refund)

    async def get_event(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "Invalid API Key provided.")
        event = self.events.get(request.path_params["event_id"])
        return json_response(event) if event else _error(404, "No such event.")

    # -- the checkout page
    async def checkout_page(self, request: Request) -> Response:
        session = self.sessions.get(request.path_params["session_id"])
        if session is None:
            return HTMLResponse(_page("Checkout not found",
                                      "<p>This checkout does not exist.</p>"), 404)
        return HTMLResponse(_checkout_html(session, ""))

    async def pay(self, request: Request) -> Response:
        session = self.sessions.get(request.path_params["session_id"])
        if session is None:
            return HTMLResponse(_page("Checkout not found",
                                      "<p>This checkout does not exist.</p>"), 404)
        if session["status"] != "open":
            return HTMLResponse(_checkout_html(session, f"This checkout is {session['status']}."),
                                409)
        fields = dict(parse_qsl((await request.body()).decode()))
        card = "".join(ch for ch in fields.get("card_number", "") if ch.isdigit())
        if card == DECLINED_CARD:
            return HTMLResponse(_checkout_html(session, "Your card was declined."), 402)
        if card != PAYING_CARD:
            return HTMLResponse(_checkout_html(
                session, "Test mode: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined."),
                400)
        with self._lock:
            if session["status"] != "open":  # a double click
                return RedirectResponse(session["success_url"], 303)
            intent, charge_id = f"pi_{secrets.token_hex(12)}", f"ch_{secrets.token_hex(12)}"
            session.update(status="complete", payment_status="paid", payment_intent=intent)
            self.charges[charge_id] = {
                "id": charge_id, "object": "charge", "amount": session["amount_total"],
                "amount_refunded": 0, "currency": session["currency"],
                "payment_intent": intent, "paid": True, "refunded": False,
                "status": "succeeded", "livemode": False}
        await self.deliver(self.make_event("checkout.session.completed", session))
        return RedirectResponse(session["success_url"], 303)

    def routes(self) -> list[Route]:
        return [
            Route("/v1/checkout/sessions", self.create_session, methods=["POST"]),
            Route("/v1/checkout/sessions/{session_id}", self.get_session, methods=["GET"]),
            Route("/v1/checkout/sessions/{session_id}/expire", self.expire_session,
                  methods=["POST"]),
            Route("/v1/refunds", self.create_refund, methods=["POST"]),
            Route("/v1/events/{event_id}", self.get_event, methods=["GET"]),
            Route("/pay/{session_id}", self.checkout_page, methods=["GET"]),
            Route("/pay/{session_id}", self.pay, methods=["POST"]),
        ]


def _money(cents: int, currency: str) -> str:
    return f"{cents / 100:.2f} {currency.upper()}"


def _page(title: str, body: str) -> str:
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;"
            "max-width:28em;margin:3em auto;line-height:1.5}label{display:block;margin:.6em 0}"
            "input{font-size:1.1em;width:100%}#message{color:#b00020}</style></head>"
            f"<body>{body}</body></html>")


def _checkout_html(session: dict[str, Any], message: str) -> str:
    item = session["line_items_preview"]
    sid = html.escape(session["id"])
    form = "" if session["status"] != "open" else (
        f"<form method=post action='/pay/{sid}'>"
        "<label>Card number <input id=card-number name=card_number autocomplete=off "
        "placeholder='4242 4242 4242 4242' required></label>"
        "<label>Expiry <input id=card-expiry name=expiry value='12/34'></label>"
        "<label>CVC <input id=card-cvc name=cvc value='123'></label>"
        f"<button id=pay-button type=submit>Pay "
        f"{_money(session['amount_total'], session['currency'])}</button></form>")
    body = (f"<h1>WYNTEK checkout (Stripe test mode)</h1><p id=item>{html.escape(item['name'])}"
            f" &times; {item['quantity']}</p><p id=amount>"
            f"{_money(session['amount_total'], session['currency'])}</p>"
            f"<p id=message role=alert>{html.escape(message)}</p>{form}"
            "<p><small>Test cards: 4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined. "
            "No real card is charged.</small></p>")
    return _page("WYNTEK checkout", body)

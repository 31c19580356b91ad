"""Everything the Edge Functions need locally, started and stopped together: the Deno
runtime, the Stripe and Resend stand-ins (one loopback HTTP server, like the outside
world), and the email drain.

Secrets are made once per data dir (``edge.json``, owner-only) so a restart keeps the
webhook secret the JSON line announced.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import ssl
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from ..resend import MailCatcher
from ..stripe import StripeStandIn
from .drain import EmailDrain
from .gateway import jwt_required
from .runtime import DenoRuntime, function_names

SENDER = "WYNTEK <no-reply@wyntek.local>"


def _load_secrets(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if all(isinstance(data.get(k), str) for k in ("stripe_secret_key", "stripe_webhook_secret",
                                                        "resend_api_key")):
            return dict(data)
    except (OSError, ValueError):
        pass
    data = {"stripe_secret_key": f"sk_test_local_{secrets.token_urlsafe(24)}",
            "stripe_webhook_secret": f"whsec_{secrets.token_urlsafe(32)}",
            "resend_api_key": f"re_local_{secrets.token_urlsafe(24)}"}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    return data


class EdgeServices:
    def __init__(self, *, data_dir: Path, supabase_dir: Path, public_url: str, anon_key: str,
                 service_role_key: str, dsn: str, drain_interval: float = 1.0) -> None:
        self.data_dir, self.public_url = data_dir, public_url
        self.functions_dir = supabase_dir / "functions"
        self.names = set(function_names(self.functions_dir))
        self.verify_jwt = jwt_required(supabase_dir / "config.toml")
        keys = _load_secrets(data_dir / "edge.json")
        self.webhook_secret = keys["stripe_webhook_secret"]
        # A private CA for a TLS stack (tests): Python and Deno both trust it, nothing else.
        ca = os.environ.get("WYNTEK_LOCALSTACK_CA")
        self.verify: Any = ssl.create_default_context(cafile=ca) if ca else True
        self.catcher = MailCatcher(data_dir / "mail", keys["resend_api_key"])
        self.stripe = StripeStandIn(keys["stripe_secret_key"], self.webhook_secret,
                                    webhook_url=f"{public_url}/functions/v1/stripe-webhook",
                                    verify=self.verify)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.standin_url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.stripe.public_url = self.standin_url
        env = {
            "SUPABASE_URL": public_url, "SUPABASE_ANON_KEY": anon_key,
            "SUPABASE_SERVICE_ROLE_KEY": service_role_key, "SUPABASE_DB_URL": dsn,
            "STRIPE_SECRET_KEY": keys["stripe_secret_key"],
            "STRIPE_WEBHOOK_SECRET": self.webhook_secret, "STRIPE_API_BASE": self.standin_url,
            "RESEND_API_KEY": keys["resend_api_key"],
            "RESEND_BASE_URL": f"{self.standin_url}/resend", "EMAIL_FROM": SENDER,
            "CHECKOUT_SUCCESS_URL": f"{public_url}/local/checkout/done",
            "CHECKOUT_CANCEL_URL": f"{public_url}/local/checkout/cancelled",
        }
        if ca:
            env["DENO_CERT"] = ca
        self.runtime = DenoRuntime(self.functions_dir, env, data_dir / "functions.log")
        self.client = httpx.AsyncClient(timeout=60)
        self.drain = EmailDrain(dsn, f"{public_url}/functions/v1/send-email", service_role_key,
                                interval=drain_interval, verify=self.verify)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> EdgeServices:
        app = Starlette(routes=[*self.stripe.routes(),
                                Mount("/resend", routes=self.catcher.api_routes())])
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                http="h11")
        server = self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [self._sock]},
                                        name="provider-standins", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.drain.start()
        return self

    def stop(self) -> None:
        self.drain.stop()
        self.runtime.stop()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._sock.close()

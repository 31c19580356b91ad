"""Operators, assignments and signed-in API contexts on a running local stack."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tests.api.support import context_for
from tests.service.support import Customer
from tests.support.localstack import LocalStackInstance
from wyntek_desktop.context import AppContext


@dataclass
class Account:
    """A signed-in account: raw HTTP (``customer``) and the desktop API (``ctx``)."""

    email: str
    password: str
    uid: str
    customer: Customer
    ctx: AppContext


def service_headers(stack: LocalStackInstance) -> dict[str, str]:
    return {"apikey": stack.service_role_key,
            "Authorization": f"Bearer {stack.service_role_key}"}


def new_operator(stack: LocalStackInstance) -> Account:
    """A fresh operator account (role set in app_metadata by the service role)."""
    email = f"operator-{uuid.uuid4().hex[:10]}@example.com"
    password = f"pw-{uuid.uuid4().hex}"
    with stack.http() as http:
        r = http.post(f"{stack.url}/auth/v1/admin/users", headers=service_headers(stack),
                      json={"email": email, "password": password, "email_confirm": True,
                            "app_metadata": {"role": "operator"}})
    assert r.status_code == 200, r.text
    uid = r.json()["id"]
    token = stack.sign_in(email, password)["access_token"]
    return Account(email, password, uid, Customer(stack, uid, token),
                   context_for(stack, email=email, password=password, memory_only=True))


def new_account(stack: LocalStackInstance, tokens: int) -> Account:
    """A customer with ``tokens`` granted, signed in over HTTP and through the API."""
    email, password, uid = stack.new_user("customer")
    if tokens:
        with stack.http() as http:
            r = http.post(f"{stack.url}/rest/v1/rpc/grant_tokens", headers=service_headers(stack),
                          json={"user_id": uid, "amount": tokens, "reason": "grant"})
        assert r.status_code == 200, r.text
    customer = Customer(stack, uid, stack.sign_in(email, password)["access_token"])
    return Account(email, password, uid, customer,
                   context_for(stack, email=email, password=password, memory_only=True))


def assign(stack: LocalStackInstance, job_id: str, operator_id: str) -> dict[str, Any]:
    with stack.http() as http:
        r = http.post(f"{stack.url}/rest/v1/rpc/assign_operator", headers=service_headers(stack),
                      json={"job_id": job_id, "operator_id": operator_id})
    assert r.status_code == 200, r.text
    row: dict[str, Any] = r.json()
    return row

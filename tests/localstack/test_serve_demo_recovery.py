"""`serve --demo` recovers when demo.json is lost while the demo account exists."""

from __future__ import annotations

import json
import stat
from typing import Any

import httpx

DEMO_EMAIL = "demo@wyntek.local"


def _sign_in_status(stack: Any, password: str) -> int:
    with stack.http() as http:
        return http.post(f"{stack.url}/auth/v1/token?grant_type=password",
                         headers={"apikey": stack.anon_key},
                         json={"email": DEMO_EMAIL, "password": password}).status_code


def test_a_lost_demo_file_resets_the_demo_password(localstack_factory: Any) -> None:
    data_dir = localstack_factory.new_data_dir()
    first = localstack_factory(data_dir=data_dir, demo=True)
    old_password = first.demo_password
    assert old_password
    user_id = first.sign_in(DEMO_EMAIL, old_password)["user"]["id"]
    assert first.stop() == 0

    demo_file = data_dir / "demo.json"
    demo_file.unlink()
    second = localstack_factory(data_dir=data_dir, demo=True)
    new_password = second.demo_password
    assert new_password and new_password != old_password
    session = second.sign_in(DEMO_EMAIL, new_password)
    assert session["user"]["id"] == user_id  # the same account, not a new one
    assert _sign_in_status(second, old_password) == httpx.codes.BAD_REQUEST
    assert stat.S_IMODE(demo_file.stat().st_mode) == 0o600
    assert json.loads(demo_file.read_text()) == {"email": DEMO_EMAIL, "password": new_password}
    assert [p.name for p in data_dir.iterdir() if p.name.startswith(".demo.json")] == []

    sb = second.anon_client()
    sb.auth.sign_in_with_password({"email": DEMO_EMAIL, "password": new_password})
    profile = sb.table("profiles").select("token_balance").single().execute().data
    assert profile["token_balance"] == 500  # no second grant
    assert second.stop() == 0

    demo_file.write_text("{not json", encoding="utf-8")  # damaged: same recovery
    third = localstack_factory(data_dir=data_dir, demo=True)
    assert third.demo_password and third.demo_password != new_password
    assert third.sign_in(DEMO_EMAIL, third.demo_password)["user"]["id"] == user_id

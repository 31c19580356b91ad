"""Sessions through the CLI: restarts, token expiry, revocation, demo mode."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.e2e.cli_support import grant, stack_env, wyntek


def test_expiry_is_invisible_and_revocation_is_one_clear_line(localstack_factory) -> None:
    stack = localstack_factory(jwt_expiry=3)
    email, password, _ = stack.new_user()
    env = stack_env(stack)
    assert wyntek("login", "--email", email, "--password-stdin", env=env,
                  stdin=password + "\n").code == 0
    time.sleep(3.5)  # every command after this starts with an expired access token
    for _ in range(2):
        r = wyntek("--json", "balance", env=env)
        assert r.code == 0 and r.err == "", r.err
        time.sleep(3.5)

    # Sign out everywhere from another device: the stored refresh token is revoked.
    other = stack.sign_in(email, password)
    with stack.http() as http:
        http.post(f"{stack.url}/auth/v1/logout?scope=global",
                  headers={"apikey": stack.anon_key,
                           "Authorization": f"Bearer {other['access_token']}"})
    time.sleep(3.5)
    r = wyntek("balance", env=env)
    assert r.code == 2
    assert r.one_line_error() == "wyntek: Your session has ended; please sign in again."
    r = wyntek("balance", env=env)
    assert r.code == 2 and "please sign in first" in r.one_line_error()


def test_local_demo_mode(app_dirs) -> None:
    first = wyntek("--local", "--json", "balance", timeout=240)
    assert first.code == 0, first.err
    assert first.json()["balance"] == 500
    # With --json the one-time announcement is a JSON object on stderr, like errors are.
    announced = json.loads(first.err.strip().splitlines()[-1])["demo_account"]
    kept = Path(announced["kept_in"])
    assert announced["email"] == "demo@wyntek.local"
    assert json.loads(kept.read_text("utf-8"))["password"] == announced["password"]
    assert kept.stat().st_mode & 0o077 == 0
    second = wyntek("--local", "materials", timeout=240)
    assert second.code == 0 and "fdm-pla" in second.out
    assert "password" not in second.err  # shown once only
    # The help says where the password is kept, for when it is needed again.
    help_text = wyntek("--help").out
    assert "demo.json" in help_text and "printed once" in help_text
    assert (app_dirs["data"] / "wyntek-desktop" / "localstack").is_dir()


def test_outbox_sends_what_was_kept_while_offline(localstack) -> None:
    from tests.e2e.cli_support import SAMPLES

    email, password, user_id = localstack.new_user()
    grant(localstack, user_id, 1000)
    dead = {"WYNTEK_SUPABASE_URL": "https://127.0.0.1:9", "WYNTEK_SUPABASE_ANON_KEY": "k",
            "WYNTEK_EMAIL": email, "WYNTEK_PASSWORD": password}
    r = wyntek("submit", str(SAMPLES / "fandisk.obj"), "--material", "fdm-pla", env=dead)
    assert r.code == 3 and "kept in the outbox" in r.one_line_error()
    live = {**stack_env(localstack), "WYNTEK_EMAIL": email, "WYNTEK_PASSWORD": password}
    r = wyntek("--json", "outbox", "--retry", env=live)
    assert r.code == 0 and r.json() == [], r.err
    jobs = wyntek("--json", "jobs", env=live).json()
    assert len(jobs) == 1 and jobs[0]["files"][0]["file_name"] == "fandisk.obj"

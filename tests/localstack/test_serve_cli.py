"""The `serve` command line: ready line, signals, data kept across restarts, --demo."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from tests.localstack.helpers import signed_in_client
from tests.support.localstack import REPO_ROOT, LocalStackInstance


def _postgres_running(data_dir: Path) -> bool:
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if args and args[0].endswith(b"/postgres") and str(data_dir).encode() in b" ".join(args):
            return True
    return False


def test_ready_line_and_sigterm_shutdown(localstack_factory: Any) -> None:
    stack = localstack_factory(tls=False)
    line = {"url": stack.url, "anon_key": stack.anon_key,
            "service_role_key": stack.service_role_key, "data_dir": str(stack.data_dir)}
    assert stack.url.startswith("http://127.0.0.1:")
    assert stack.demo_password is None
    with stack.http() as http:
        assert http.get(f"{stack.url}/auth/v1/health").status_code == 200
    assert _postgres_running(stack.data_dir)
    assert stack.stop(signal.SIGTERM) == 0
    assert not _postgres_running(stack.data_dir)
    assert set(line) == {"url", "anon_key", "service_role_key", "data_dir"}


def test_without_data_dir_uses_a_temp_dir_removed_at_exit(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-m", "wyntek_localstack", "serve"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               cwd=REPO_ROOT)
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        assert set(info) == {"url", "anon_key", "service_role_key", "data_dir",
                             "stripe_webhook_secret", "database_url"}
        data_dir = Path(info["data_dir"])
        assert data_dir.is_dir()
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
        assert process.stdout is not None
        process.stdout.close()
    assert not data_dir.exists()
    assert not _postgres_running(data_dir)


def test_bad_arguments_are_usage_errors() -> None:
    r = subprocess.run([sys.executable, "-m", "wyntek_localstack", "serve", "--tls-cert",
                        "/nonexistent.pem"], capture_output=True, text=True, cwd=REPO_ROOT)
    assert r.returncode == 2 and "--tls-cert and --tls-key must be given together" in r.stderr
    assert r.stdout == ""


def test_demo_account(localstack: LocalStackInstance) -> None:
    assert localstack.demo_password
    session = localstack.sign_in("demo@wyntek.local", localstack.demo_password)
    sb = localstack.anon_client()
    sb.auth.sign_in_with_password({"email": "demo@wyntek.local",
                                   "password": localstack.demo_password})
    profile = sb.table("profiles").select("token_balance").single().execute().data
    ledger = sb.table("token_ledger").select("delta,reason").execute().data
    assert profile["token_balance"] == 500
    assert sum(r["delta"] for r in ledger) == 500
    assert session["user"]["email"] == "demo@wyntek.local"


def test_restart_keeps_users_sessions_jobs_and_objects(localstack_factory: Any) -> None:
    data_dir = localstack_factory.new_data_dir()
    first = localstack_factory(data_dir=data_dir, demo=True)
    email, password, uid = first.new_user()
    session = first.sign_in(email, password)
    svc = first.service_client()
    material = svc.table("materials").select("*").eq("active", True).limit(1).execute().data[0]
    job = svc.table("jobs").insert({
        "user_id": uid, "client_job_id": str(uuid.uuid4()), "process": material["process"],
        "material_id": material["id"], "quantity": 2, "tolerance_mm": 0.2, "volume_cm3": 3,
        "token_cost": 5, "spec": {}}).execute().data[0]
    sb, _, _ = signed_in_client(first)
    owner = sb.auth.get_user().user.id
    sb.storage.from_("designs").upload(f"{owner}/kept/part.stl", b"kept bytes",
                                       {"content-type": "model/stl"})
    keys = (first.anon_key, first.service_role_key, first.demo_password)
    assert first.stop() == 0

    second = localstack_factory(data_dir=data_dir, demo=True)
    assert (second.anon_key, second.service_role_key, second.demo_password) == keys
    with second.http() as http:
        refreshed = http.post(f"{second.url}/auth/v1/token?grant_type=refresh_token",
                              json={"refresh_token": session["refresh_token"]})
    assert refreshed.status_code == 200
    assert second.sign_in(email, password)["user"]["id"] == uid
    user = second.anon_client()
    user.auth.sign_in_with_password({"email": email, "password": password})
    assert [r["id"] for r in user.table("jobs").select("id").execute().data] == [job["id"]]
    assert second.service_client().storage.from_("designs").download(
        f"{owner}/kept/part.stl") == b"kept bytes"
    demo = second.anon_client()
    demo.auth.sign_in_with_password({"email": "demo@wyntek.local", "password": keys[2]})
    assert demo.table("profiles").select("token_balance").single().execute() \
        .data["token_balance"] == 500  # granted once, not on every start

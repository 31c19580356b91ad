"""A new user's whole journey through the ``wyntek`` command, against the real stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.cli_support import SAMPLES, grant, stack_env, wyntek
from tests.service.support import wait_verified
from wyntek_desktop.api.keyring_storage import KeyringStorage
from wyntek_desktop.api.session import STORAGE_KEY

MODEL_A = SAMPLES / "plate_holes.STL"
MODEL_B = SAMPLES / "fandisk.obj"


def _all_bytes(folders: list[Path]) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for folder in folders for p in folder.rglob("*") if p.is_file()]


def _tokens_in_keyring(stack) -> set[str]:
    raw = KeyringStorage(stack.url).get_item(STORAGE_KEY)
    if raw is None:
        return set()
    session = json.loads(raw)
    return {session["access_token"], session["refresh_token"]}


def test_new_user_journey(localstack, app_dirs, tmp_path: Path) -> None:
    env = stack_env(localstack)
    email, password = "journey-" + tmp_path.name[-8:] + "@example.com", "correct horse 42"

    r = wyntek("--json", "signup", "--email", email, "--password-stdin", env=env,
               stdin=password + "\n")
    assert r.code == 0, r.err
    user_id = r.json()["user_id"]
    seen_tokens = _tokens_in_keyring(localstack)
    assert seen_tokens, "the session must live in the keyring"

    r = wyntek("login", "--email", email, "--password-stdin", env=env, stdin=password + "\n")
    assert r.code == 0 and "Signed in as" in r.out, r.err
    seen_tokens |= _tokens_in_keyring(localstack)

    r = wyntek("--json", "balance", env=env)
    assert r.code == 0 and r.json()["balance"] == 0
    grant(localstack, user_id, 5000)
    assert wyntek("--json", "balance", env=env).json()["balance"] == 5000

    r = wyntek("--json", "analyze", str(MODEL_A), str(MODEL_B), env=env)
    assert r.code == 0, r.err
    reports = r.json()
    assert [x["kind"] for x in reports] == ["model", "model"]
    assert all(Path(x["thumbnail"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for x in reports)

    r = wyntek("--json", "quote", str(MODEL_A), str(MODEL_B), "--material", "fdm-pla",
               "--quantity", "2", env=env)
    assert r.code == 0, r.err
    cost = r.json()["tokens"]
    assert cost > 0

    r = wyntek("--json", "submit", str(MODEL_A), str(MODEL_B), "--material", "fdm-pla",
               "--quantity", "2", "--notes", "first job", env=env)
    assert r.code == 0, r.err
    job = r.json()
    assert job["token_cost"] == cost and job["status"] == "submitted"
    assert wyntek("--json", "balance", env=env).json()["balance"] == 5000 - cost

    r = wyntek("--json", "jobs", env=env)
    listed = r.json()
    assert [j["id"] for j in listed] == [job["id"]]
    assert sorted(f["file_name"] for f in listed[0]["files"]) == ["fandisk.obj", "plate_holes.STL"]

    # The service verifies the stored files: an honest job keeps its price. Then the
    # operator moves the job on; the next look at it shows the change.
    verified = wait_verified(localstack, [job["id"]])[job["id"]]
    assert (verified["verification"], verified["token_cost"]) == ("passed", cost), verified
    r = wyntek("job", job["id"], env=env)
    assert r.code == 0 and f"Verified: {cost:,} tokens." in r.out, r.out
    assert " passed " in wyntek("jobs", env=env).out
    assert wyntek("--json", "jobs", env=env).json()[0]["verification"] == "passed"
    service = localstack.service_client()
    service.table("jobs").update({"status": "reviewing"}).eq("id", job["id"]).execute()
    r = wyntek("--json", "job", job["id"], env=env)
    assert r.json()["status"] == "reviewing"
    assert [j["id"] for j in wyntek("--json", "jobs", "--status", "reviewing",
                                    env=env).json()] == [job["id"]]

    # A second job, cancelled: the tokens come back through the ledger.
    r = wyntek("--json", "submit", str(MODEL_B), "--material", "fdm-pla", env=env)
    assert r.code == 0, r.err
    second = r.json()
    before = wyntek("--json", "balance", env=env).json()["balance"]
    r = wyntek("--json", "cancel", second["id"], env=env)
    assert r.code == 0 and r.json()["status"] == "cancelled", r.err
    balance = wyntek("--json", "balance", env=env).json()
    assert balance["balance"] == before + second["token_cost"]
    assert [e["reason"] for e in balance["ledger"]][:1] == ["refund"]

    export = tmp_path / "export.json"
    r = wyntek("--json", "export", str(export), env=env)
    assert r.code == 0, r.err
    data = json.loads(export.read_text("utf-8"))
    assert {j["id"] for j in data["jobs"]} == {job["id"], second["id"]}
    assert sorted(e["reason"] for e in data["ledger"]) == ["grant", "job", "job", "refund"]
    assert data["profile"]["email"] == email

    r = wyntek("--json", "delete-files", env=env)
    assert r.code == 1 and "--yes" in r.error()["message"]
    r = wyntek("--json", "delete-files", "--yes", env=env)
    assert r.code == 0, r.err
    report = r.json()
    # The cancelled job's file goes; the job in review keeps its (frozen) files.
    assert report["files_removed"] == 1 and report["failed"] == []
    assert sorted(Path(p).name for p in report["kept"]) == ["fandisk.obj", "plate_holes.STL"]
    assert report["bytes_removed"] == MODEL_B.stat().st_size
    rows = service.table("job_files").select("deleted_at").eq("user_id", user_id).execute()
    assert sorted(bool(row["deleted_at"]) for row in rows.data) == [False, False, True]

    seen_tokens |= _tokens_in_keyring(localstack)
    r = wyntek("logout", env=env)
    assert r.code == 0 and list(app_dirs["keyring"].iterdir()) == []
    r = wyntek("balance", env=env)
    assert r.code == 2 and "sign in" in r.one_line_error()

    # No token (or password) in any file the app wrote, including DEBUG logs.
    files = _all_bytes([app_dirs[k] for k in ("config", "data", "cache", "state")])
    assert any(p.name == "wyntek.log" for p, _ in files)
    log_text = next(b for p, b in files if p.name == "wyntek.log").decode()
    assert "DEBUG" in log_text and "auth event" in log_text
    for path, blob in files:
        for secret in [*seen_tokens, password]:
            assert secret.encode() not in blob, f"secret found in {path}"
        assert b"eyJ" not in blob or path.suffix == ".png", f"JWT-like text in {path}"


@pytest.mark.parametrize("command", [["jobs"], ["balance"], ["profile"]])
def test_json_output_is_valid_json(localstack, command: list[str]) -> None:
    email, password, _ = localstack.new_user()
    env = {**stack_env(localstack), "WYNTEK_EMAIL": email, "WYNTEK_PASSWORD": password}
    r = wyntek("--json", *command, env=env)
    assert r.code == 0, r.err
    json.loads(r.out)


def test_profile_support_and_account_deletion_commands(localstack) -> None:
    email, password, user_id = localstack.new_user()
    env = {**stack_env(localstack), "WYNTEK_EMAIL": email, "WYNTEK_PASSWORD": password}
    r = wyntek("--json", "profile", "--display-name", "Grace Hopper", env=env)
    assert r.code == 0 and r.json()["display_name"] == "Grace Hopper", r.err
    r = wyntek("support", "--subject", "Question", "--message", "Can you anodise?", env=env)
    assert r.code == 0 and "sent to support" in r.out, r.err
    r = wyntek("support", "--subject", "Only a subject", env=env)
    assert r.code == 1 and "--subject and --message" in r.one_line_error()
    listed = wyntek("--json", "support", env=env).json()
    assert [m["subject"] for m in listed] == ["Question"]
    r = wyntek("--json", "delete-account", "--yes", env=env)
    assert r.code == 0 and r.json()["deletion_requested"], r.err
    rows = localstack.service_client().table("account_deletion_requests").select("user_id") \
        .eq("user_id", user_id).execute().data
    assert rows == [{"user_id": user_id}]


def test_corrupt_settings_are_reported_and_replaced(localstack, app_dirs) -> None:
    settings = app_dirs["config"] / "wyntek-desktop" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text("{ this is not json")
    email, password, _ = localstack.new_user()
    env = {**stack_env(localstack), "WYNTEK_EMAIL": email, "WYNTEK_PASSWORD": password}
    r = wyntek("balance", env=env)
    assert r.code == 0 and "Balance: 0 tokens" in r.out
    assert "could not be read" in r.err and "Traceback" not in r.err
    assert settings.with_name("settings.json.corrupt").read_text() == "{ this is not json"

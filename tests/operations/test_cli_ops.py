"""`wyntek ops` drives the lifecycle and the customer's `history` shows it; refusals are
one line with the usual exit codes. Each call is a real process, so there are few; the
refusals of other accounts and report-problem are covered through the API tests."""

from __future__ import annotations

import hashlib

from tests.e2e.cli_support import stack_env, wyntek
from tests.service.support import service_rows


def _as(stack, account) -> dict[str, str]:
    return {**stack_env(stack), "WYNTEK_EMAIL": account.email,
            "WYNTEK_PASSWORD": account.password}


def test_operator_cli_lifecycle(localstack, accounts, verified_job, tmp_path):
    job_id = verified_job["id"]
    operator = _as(localstack, accounts["operator"])
    customer = _as(localstack, accounts["customer"])

    r = wyntek("--json", "ops", "jobs", "--status", "submitted", env=operator)
    assert r.code == 0, r.err
    assert [j["id"] for j in r.json()] == [job_id]
    assert "email" not in r.json()[0] and "token_cost" not in r.json()[0]

    r = wyntek("ops", "download", job_id, str(tmp_path / "files"), env=operator)
    assert r.code == 0, r.err
    [stored] = service_rows(localstack, "job_files", {"job_id": f"eq.{job_id}",
                                                      "select": "sha256"})
    assert hashlib.sha256((tmp_path / "files" / "cube.stl").read_bytes()).hexdigest() \
        == stored["sha256"]

    r = wyntek("ops", "advance", job_id, "shipped", env=operator)
    assert r.code == 2 and "next step is reviewing" in r.one_line_error()
    r = wyntek("--json", "ops", "advance", job_id, "reviewing", "--note", "Files look good.",
               env=operator)
    assert r.code == 0 and r.json()["status"] == "reviewing", r.err

    r = wyntek("--json", "history", job_id, env=customer)
    assert r.code == 0, r.err
    assert [(e["status"], e["actor"], e["note"]) for e in r.json()
            if e["actor"] == "operator"] == [("reviewing", "operator", "Files look good.")]

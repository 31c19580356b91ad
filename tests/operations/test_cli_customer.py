"""The customer's `wyntek reorder`, `history` and `report-problem` (run in-process: the
process-level behaviour of the CLI is covered by test_cli_ops)."""

from __future__ import annotations

import json

from tests.e2e.cli_support import stack_env
from wyntek_desktop.cli import main
from wyntek_desktop.core.operations import LIFECYCLE


def _run(capsys, *argv: str) -> tuple[int, object, str]:
    code = main(["--json", *argv])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def test_customer_commands(localstack, accounts, verified_job, monkeypatch, capsys):
    job_id = verified_job["id"]
    customer = accounts["customer"]
    for key, value in {**stack_env(localstack), "WYNTEK_EMAIL": customer.email,
                       "WYNTEK_PASSWORD": customer.password}.items():
        monkeypatch.setenv(key, value)

    code, _, err = _run(capsys, "reorder", job_id, "--quantity", "2")
    assert code == 2 and json.loads(err)["error"] == "conflict"  # not completed yet
    for status in LIFECYCLE[1:]:
        accounts["operator"].ctx.api.operations.advance(job_id, status)

    code, quote, err = _run(capsys, "reorder", job_id, "--quantity", "2", "--quote")
    assert code == 0, err
    code, job, err = _run(capsys, "reorder", job_id, "--quantity", "2", "--notes", "Again")
    assert code == 0, err
    assert isinstance(job, dict) and isinstance(quote, dict)
    assert job["token_cost"] == quote["tokens"] and job["quantity"] == 2
    assert job["notes"] == "Again" and job["id"] != job_id

    code, events, err = _run(capsys, "history", job_id)
    assert code == 0, err
    assert isinstance(events, list) and events[-1]["status"] == "completed"
    code, message, err = _run(capsys, "report-problem", job_id, "--subject", "Cracked",
                              "--message", "One part arrived cracked.")
    assert code == 0, err
    assert isinstance(message, dict) and message["topic"] == "warranty"
    code, _, err = _run(capsys, "history", "00000000-0000-4000-8000-000000000000")
    assert code == 2 and json.loads(err)["error"] == "not_found"

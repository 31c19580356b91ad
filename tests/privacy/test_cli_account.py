"""`wyntek password|email|deletion|privacy|policy` and `export --preview` against the
real stack (in this process: `cli.main` with the same arguments, stdin and environment)."""

from __future__ import annotations

import io
import json
import uuid

import pytest

from tests.e2e.cli_support import stack_env
from tests.privacy.support import Mailbox, code_in
from wyntek_desktop import cli


@pytest.fixture
def wyntek(localstack, monkeypatch, capsys):
    for key, value in stack_env(localstack).items():
        monkeypatch.setenv(key, value)

    def run(*args: str, stdin: str = "", signed_in: tuple[str, str] | None = None
            ) -> tuple[int, str, str]:
        if signed_in:
            monkeypatch.setenv("WYNTEK_EMAIL", signed_in[0])
            monkeypatch.setenv("WYNTEK_PASSWORD", signed_in[1])
        else:
            monkeypatch.delenv("WYNTEK_EMAIL", raising=False)
            monkeypatch.delenv("WYNTEK_PASSWORD", raising=False)
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err
    return run


def test_password_reset_from_the_command_line(localstack, wyntek) -> None:
    email, _, _ = localstack.new_user("cli-reset")
    box = Mailbox(localstack)
    code, out, err = wyntek("--json", "password", "reset", email, "--send-only")
    assert code == 0, err
    assert json.loads(out)["code_sent"] is True
    (mail,) = box.wait_for(email, "Reset Your Password")
    code, _, err = wyntek("password", "reset", email, "--code", "000000", "--password-stdin",
                          stdin="whatever-new\n")
    if code_in(mail) != "000000":
        assert code == 2 and "wrong or has expired" in err and len(err.splitlines()) == 1
    code, out, err = wyntek("password", "reset", email, "--code", code_in(mail),
                            "--password-stdin", stdin="reset-from-cli\n")
    assert code == 0, err
    assert "reset" in out
    assert localstack.sign_in(email, "reset-from-cli")["user"]["email"] == email
    code, _, err = wyntek("password", "change", "--password-stdin",
                          stdin="reset-from-cli\nchanged-from-cli\n",
                          signed_in=(email, "reset-from-cli"))
    assert code == 0, err
    assert localstack.sign_in(email, "changed-from-cli")["user"]["email"] == email
    code, _, err = wyntek("password", "reset")
    assert code == 1 and "email address" in err


def test_deletion_privacy_policy_and_export_preview(localstack, wyntek) -> None:
    email, password, _ = localstack.new_user("cli-privacy")
    me = (email, password)
    code, out, _ = wyntek("deletion", signed_in=me)
    assert code == 0 and "No account deletion" in out
    code, _, err = wyntek("deletion", "request", signed_in=me)
    assert code == 1 and "--yes" in err
    code, out, err = wyntek("--json", "deletion", "request", "--yes", signed_in=me)
    assert code == 0, err
    assert json.loads(out)["status"] == "pending" and json.loads(out)["scheduled_for"]
    code, out, _ = wyntek("deletion", "status", signed_in=me)
    assert "will be deleted on" in out
    code, out, err = wyntek("deletion", "cancel", signed_in=me)
    assert code == 0 and "cancelled" in out, err

    code, out, _ = wyntek("--json", "privacy", "object", signed_in=me)
    assert json.loads(out)["processing_objection"] is True
    code, _, err = wyntek("privacy", "--job-emails", "on", signed_in=me)
    assert code == 2 and "objection" in err
    code, out, _ = wyntek("privacy", "allow", "--job-emails", "on", signed_in=me)
    assert code == 0 and "job update emails: on" in out

    code, out, _ = wyntek("policy", signed_in=me)
    assert code == 0 and "seen the current" in out
    code, out, _ = wyntek("--json", "export", "--preview", signed_in=me)
    sections = json.loads(out)
    assert sections["profile"] == 1 and sections["account_deletion_requests"] == 1
    code, _, err = wyntek("export", signed_in=me)
    assert code == 1 and "--preview" in err


def test_email_change_from_the_command_line(localstack, wyntek) -> None:
    email, password, _ = localstack.new_user("cli-mover")
    new_email = f"cli-moved-{uuid.uuid4().hex[:8]}@example.com"
    box = Mailbox(localstack)
    code, out, err = wyntek("--json", "email", "change", new_email, "--send-only",
                            signed_in=(email, password))
    assert code == 0, err
    assert set(json.loads(out)["codes_sent_to"]) == {email, new_email}
    (to_new,) = box.wait_for(new_email, "Confirm Email Change")
    (to_old,) = box.wait_for(email, "Confirm Email Change")
    code, _, err = wyntek("email", "resend", signed_in=(email, password))
    assert code == 2 and "minute" in err  # asked again at once
    code, _, err = wyntek("email", "confirm", signed_in=(email, password))
    assert code == 1 and "email address" in err
    code, out, _ = wyntek("email", "confirm", new_email, code_in(to_new),
                          signed_in=(email, password))
    assert code == 0 and "other address" in out
    code, out, _ = wyntek("email", "confirm", email, code_in(to_old),
                          signed_in=(email, password))
    assert code == 0 and new_email in out

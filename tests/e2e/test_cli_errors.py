"""Every failure a CLI user can meet: one clear line on stderr and the right exit code."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.e2e.cli_support import SAMPLES, stack_env, wyntek

MODEL = SAMPLES / "fandisk.obj"


@pytest.fixture(scope="module")
def user(localstack) -> tuple[str, str]:
    email, password, _ = localstack.new_user()
    return email, password


def _as(localstack, user: tuple[str, str]) -> dict[str, str]:
    return {**stack_env(localstack), "WYNTEK_EMAIL": user[0], "WYNTEK_PASSWORD": user[1]}


def test_wrong_password(localstack, user) -> None:
    r = wyntek("login", "--email", user[0], "--password-stdin", env=stack_env(localstack),
               stdin="not the password\n")
    assert r.code == 2
    assert r.one_line_error() == "wyntek: The email or password is not correct."


def test_wrong_password_as_json(localstack, user) -> None:
    r = wyntek("--json", "login", "--email", user[0], "--password-stdin",
               env=stack_env(localstack), stdin="nope\n")
    assert r.code == 2 and r.error()["error"] == "auth" and r.error()["exit_code"] == 2


def test_insufficient_balance_uploads_nothing(localstack, user) -> None:
    r = wyntek("submit", str(MODEL), "--material", "fdm-pla", env=_as(localstack, user))
    assert r.code == 2
    line = r.one_line_error()
    assert "your balance is 0" in line and "Buy tokens" in line
    assert wyntek("--json", "outbox", env=_as(localstack, user)).json() == []


def test_unknown_material(localstack, user) -> None:
    r = wyntek("quote", str(MODEL), "--material", "unobtainium", env=_as(localstack, user))
    assert r.code == 2 and "Unknown or unavailable material" in r.one_line_error()


@pytest.mark.parametrize("quantity", ["0", "10001"])
def test_quantity_out_of_range(localstack, user, quantity: str) -> None:
    r = wyntek("--json", "quote", str(MODEL), "--material", "fdm-pla", "--quantity", quantity,
               env=_as(localstack, user))
    assert r.code == 2, r.err
    assert r.error()["error"] == "validation"
    assert "Quantity must be a whole number from 1 to 10000" in r.error()["message"]


def test_quantity_not_a_number(localstack, user) -> None:
    r = wyntek("quote", str(MODEL), "--material", "fdm-pla", "--quantity", "abc",
               env=_as(localstack, user))
    assert r.code == 1 and "invalid int value: 'abc'" in r.one_line_error()


def test_missing_file_and_missing_confirmation(localstack, user) -> None:
    r = wyntek("analyze", "/no/such/file.stl")
    assert r.code == 1 and "does not exist" in r.one_line_error()
    r = wyntek("delete-account", env=_as(localstack, user))
    assert r.code == 1 and "--yes" in r.one_line_error()


def test_no_backend_configured() -> None:
    r = wyntek("balance")
    assert r.code == 1 and "No WYNTEK service is configured" in r.one_line_error()
    r = wyntek("balance", "--json")  # --json is accepted after the command too
    assert r.code == 1 and r.error()["error"] == "config"


def test_plain_http_to_a_remote_host_is_refused() -> None:
    r = wyntek("--url", "http://example.com", "--anon-key", "k", "balance")
    assert r.code == 1 and "plain http://" in r.one_line_error()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_network_down_keeps_the_job_in_the_outbox(user) -> None:
    env = {"WYNTEK_SUPABASE_URL": f"https://127.0.0.1:{_free_port()}",
           "WYNTEK_SUPABASE_ANON_KEY": "key", "WYNTEK_EMAIL": user[0],
           "WYNTEK_PASSWORD": user[1]}
    r = wyntek("login", "--email", user[0], "--password-stdin", env=env, stdin="pw\n")
    assert r.code == 3 and "Cannot reach the WYNTEK service" in r.one_line_error()
    r = wyntek("--json", "submit", str(MODEL), "--material", "fdm-pla", env=env)
    assert r.code == 3 and "kept in the outbox" in r.error()["hint"]
    waiting = wyntek("--json", "outbox", env=env).json()
    assert len(waiting) == 1 and waiting[0]["state"] == "queued"
    assert waiting[0]["files"] == [MODEL.name]


class _Fails(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        body = b"<html>internal error</html>"
        self.send_response(500)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_HEAD = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def failing_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Fails)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_server_error(failing_server: str) -> None:
    env = {"WYNTEK_SUPABASE_URL": failing_server, "WYNTEK_SUPABASE_ANON_KEY": "key"}
    r = wyntek("login", "--email", "a@example.com", "--password-stdin", env=env, stdin="x\n")
    assert r.code == 3
    assert "The WYNTEK service had a problem (HTTP 500)" in r.one_line_error()
    r = wyntek("--json", "balance", env={**env, "WYNTEK_EMAIL": "a@example.com",
                                          "WYNTEK_PASSWORD": "x"})
    assert r.code == 3 and r.error()["error"] == "server"


def test_untrusted_certificate_then_configured_ca(localstack, user) -> None:
    env = stack_env(localstack, ca=False)
    r = wyntek("login", "--email", user[0], "--password-stdin", env=env, stdin=user[1] + "\n")
    assert r.code == 3
    line = r.one_line_error()
    assert "certificate could not be verified" in line
    assert "Settings → CA bundle" in line and "WYNTEK_CA_BUNDLE" in line
    r = wyntek("--ca-bundle", str(localstack.ca_path), "login", "--email", user[0],
               "--password-stdin", env=env, stdin=user[1] + "\n")
    assert r.code == 0, r.err
    r = wyntek("--json", "balance", env={**env, "WYNTEK_CA_BUNDLE": str(localstack.ca_path)})
    assert r.code == 0 and json.loads(r.out)["balance"] == 0


def test_folder_and_unreadable_file(tmp_path) -> None:
    r = wyntek("analyze", str(tmp_path))
    assert r.code == 1 and "is a folder" in r.one_line_error()
    r = wyntek("--json", "quote", str(tmp_path / "missing.stl"), "--material", "fdm-pla")
    assert r.code == 1 and r.error() == {
        "error": "file", "message": f"{tmp_path / 'missing.stl'} does not exist.",
        "hint": None, "exit_code": 1}


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_tolerance_must_be_a_plain_number(value: str) -> None:
    r = wyntek("quote", str(MODEL), "--material", "fdm-pla", "--tolerance", value)
    assert r.code == 1 and f"invalid number value: '{value}'" in r.one_line_error()


def test_output_into_a_closed_pipe_is_not_a_failure_report(tmp_path) -> None:
    import struct
    import subprocess
    import sys

    from tests.support.isolation import REPO_ROOT

    part = tmp_path / "part.stl"  # a tiny binary STL: one triangle
    triangle = struct.pack("<12f", 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0)
    part.write_bytes(bytes(80) + struct.pack("<I", 1) + triangle + bytes(2))
    # Far more output than a pipe buffer holds, so the writer meets the closed pipe.
    with subprocess.Popen([sys.executable, "-m", "wyntek_desktop.cli", "--json", "analyze",
                           *[str(part)] * 80], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, cwd=REPO_ROOT) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.read(10)
        proc.stdout.close()  # the reader goes away, like `| head -c 10`
        err = proc.stderr.read().decode()
        proc.wait(timeout=120)
    assert "Unexpected problem" not in err and "Traceback" not in err, err


def test_support_message_about_someone_elses_job(localstack, user) -> None:
    _, _, other_id = localstack.new_user()
    job = localstack.service_client().table("jobs").insert({
        "user_id": other_id, "client_job_id": "5f1c4a4e-8f7a-4a43-9d65-7a51f0d1c001",
        "process": "fdm", "material_id": "fdm-pla", "quantity": 1, "tolerance_mm": 0.2,
        "token_cost": 0, "volume_cm3": 1.0, "spec": {}}).execute().data[0]
    r = wyntek("support", "--subject", "Hi", "--message", "About this job",
               "--job", job["id"], env=_as(localstack, user))
    assert r.code == 2
    assert r.one_line_error() == f"wyntek: Job {job['id']} was not found (or is not yours)."


def test_refused_anon_key_names_the_setting(localstack, user) -> None:
    env = {**_as(localstack, user), "WYNTEK_SUPABASE_ANON_KEY": "not-the-key"}
    r = wyntek("materials", env=env)
    assert r.code == 2
    line = r.one_line_error()
    assert "anon key" in line and "WYNTEK_SUPABASE_ANON_KEY" in line


def test_login_without_a_password_to_read() -> None:
    import os
    import subprocess
    import sys

    from tests.support.isolation import REPO_ROOT

    env = {**os.environ, "WYNTEK_SUPABASE_URL": "https://127.0.0.1:9",
           "WYNTEK_SUPABASE_ANON_KEY": "k"}
    # No terminal and an empty standard input: getpass meets the end of input.
    proc = subprocess.run([sys.executable, "-m", "wyntek_desktop.cli", "login", "--email",
                           "a@example.com"], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, env=env, cwd=REPO_ROOT, start_new_session=True,
                          timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "wyntek: No password was given." in proc.stderr
    assert "--password-stdin" in proc.stderr and "Unexpected" not in proc.stderr


def test_quote_of_a_file_that_cannot_be_submitted_prices_it_and_says_so(
        localstack, user, tmp_path) -> None:
    from tests.design.meshes import cube, write_ascii_stl

    open_box = write_ascii_stl(tmp_path / "open box.stl", cube()[:-2])  # one side missing
    r = wyntek("quote", str(open_box), "--material", "fdm-pla", env=_as(localstack, user))
    assert r.code == 0 and "tokens for 1 x fdm-pla" in r.out
    assert r.err.count("\n") == 1 and "open box.stl cannot be submitted as is" in r.err
    assert "wyntek submit" in r.err
    data = wyntek("--json", "quote", str(open_box), str(MODEL), "--material", "fdm-pla",
                  env=_as(localstack, user)).json()
    assert data["submittable"] is False and data["tokens"] > 0
    assert [b["file"] for b in data["blocking"]] == [str(open_box)]
    assert wyntek("--json", "quote", str(MODEL), "--material", "fdm-pla",
                  env=_as(localstack, user)).json()["blocking"] == []
    r = wyntek("submit", str(open_box), "--material", "fdm-pla", env=_as(localstack, user))
    assert r.code != 0 and "cannot be submitted as is" in r.one_line_error()

import logging
import os
from pathlib import Path

import httpx
import pytest

from wyntek_desktop.core.logging_setup import LOG_FILE, REDACTOR, setup_logging

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJl"


@pytest.fixture
def log_file(tmp_path: Path):
    path = setup_logging(tmp_path, logging.DEBUG)
    yield path
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_wyntek", False):
            root.removeHandler(handler)
            handler.close()


def _text(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text("utf-8")


def test_messages_args_and_exceptions_are_redacted(log_file: Path) -> None:
    log = logging.getLogger("wyntek_desktop.test")
    log.debug("token %s", JWT)
    log.info("headers %r", {"Authorization": f"Bearer {JWT}", "apikey": "sb_publishable_x1"})
    log.info('body {"email": "a@b.c", "password": "hunter2hunter2"}')
    log.info("refresh_token=r3fr3sh-t0k3n-value&grant=x")
    try:
        raise ValueError(f"server said no to {JWT}")
    except ValueError:
        log.exception("failed")
    text = _text(log_file)
    for secret in (JWT, "sb_publishable_x1", "hunter2hunter2", "r3fr3sh-t0k3n-value"):
        assert secret not in text
    assert text.count("[REDACTED]") >= 6
    assert "a@b.c" in text and "ValueError" in text  # the useful parts stay


def test_known_opaque_secrets_are_redacted_by_value(log_file: Path) -> None:
    REDACTOR.remember("opaque-refresh-abc123")
    logging.getLogger("supabase_auth").debug("rotated opaque-refresh-abc123 ok")
    assert "opaque-refresh-abc123" not in _text(log_file)


def test_third_party_debug_logs_are_covered(log_file: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"access_token": JWT})

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        client.get(f"https://svc.example/object/sign/x?token={JWT}",
                   headers={"Authorization": f"Bearer {JWT}"})
    logging.getLogger("httpcore.http11").debug(
        "send_request_headers.started request=%s", [(b"authorization", JWT.encode())])
    text = _text(log_file)
    assert "svc.example" in text and JWT not in text


def test_log_file_lives_in_the_log_folder(log_file: Path, tmp_path: Path) -> None:
    assert log_file == tmp_path / LOG_FILE


def test_proxy_credentials_are_redacted(log_file: Path) -> None:
    log = logging.getLogger("httpx")
    log.info("via proxy https://alice:pr0xy-s3cret@proxy.corp:3128 failed")
    log.info("Proxy('http://bob%40corp:p%40ss@10.0.0.1:8080/')")
    text = _text(log_file)
    assert "pr0xy-s3cret" not in text and "p%40ss" not in text and "alice" not in text
    assert "proxy.corp:3128" in text and "10.0.0.1:8080" in text


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_log_folder_is_private(log_file: Path) -> None:
    assert log_file.parent.stat().st_mode & 0o077 == 0

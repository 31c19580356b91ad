"""Start the embedded local stack (``wyntek_localstack``) for demo mode.

In-process through ``wyntek_localstack.server.LocalStack`` when that package is
installed; otherwise ``python -m wyntek_localstack serve --demo`` as a child process,
reading its one JSON ready-line. Data persists in the app's data folder, so the demo
account and its jobs survive restarts.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from wyntek_desktop.core import errors

log = logging.getLogger(__name__)

DEMO_EMAIL = "demo@wyntek.local"
READY_TIMEOUT_S = 120.0


@dataclass
class LocalBackend:
    url: str
    anon_key: str
    demo_password: str
    data_dir: Path
    stop: Callable[[], None]


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        if os.name == "nt":
            process.terminate()
        else:
            process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    finally:
        if process.stdout:
            process.stdout.close()


def _read_line(stream: IO[bytes], timeout: float) -> bytes:
    result: list[bytes] = []
    reader = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0] if result else b""


def start_local_backend(data_dir: Path) -> LocalBackend:
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        from wyntek_localstack.server import LocalStack
    except ImportError:
        return _spawn(data_dir)
    stack = LocalStack(data_dir, demo=True)
    try:
        info = stack.start()
    except Exception as exc:
        raise errors.WyntekError(f"The local demo service did not start: {exc}") from exc
    log.info("local stack ready at %s (in-process)", info.url)
    return LocalBackend(url=info.url, anon_key=info.anon_key,
                        demo_password=info.demo_password or "", data_dir=data_dir,
                        stop=stack.stop)


def _spawn(data_dir: Path) -> LocalBackend:
    command = [sys.executable, "-m", "wyntek_localstack", "serve", "--demo",
               "--host", "127.0.0.1", "--port", "0", "--data-dir", str(data_dir)]
    log_path = data_dir / "serve.log"
    with open(log_path, "ab") as server_log:
        try:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=server_log,
                                       stdin=subprocess.DEVNULL)
        except OSError as exc:
            raise errors.WyntekError(f"Could not start the local demo service: {exc}.") from exc
    assert process.stdout is not None
    line = _read_line(process.stdout, READY_TIMEOUT_S)
    try:
        info: dict[str, Any] = json.loads(line)
        backend = LocalBackend(url=info["url"], anon_key=info["anon_key"],
                               demo_password=info.get("demo_password", ""),
                               data_dir=data_dir, stop=lambda: _stop_process(process))
    except (ValueError, KeyError, TypeError):
        process.kill()
        process.wait()
        raise errors.WyntekError(
            "The local demo service did not start.",
            hint=f"See {log_path} for details.") from None
    log.info("local stack ready at %s", backend.url)
    return backend


def take_demo_announcement(backend: LocalBackend) -> str | None:
    """The demo account's password, worded for the user, the first time only.

    A marker file beside the local stack's data remembers that it was shown; the
    password itself stays in the stack's ``demo.json`` (owner-readable only).
    """
    marker = backend.data_dir / ".demo-announced"
    if marker.exists():
        return None
    with contextlib.suppress(OSError):
        marker.touch()
    return (f"Demo account: {DEMO_EMAIL}  password: {backend.demo_password}  (shown once; "
            f"kept in {backend.data_dir / 'demo.json'}). Email the service sent: "
            f"{mail_page(backend)}")


def mail_page(backend: LocalBackend) -> str:
    """The local stack's page listing every email it sent (receipts, job updates)."""
    return f"{backend.url}/local/mail"

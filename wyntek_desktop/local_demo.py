"""Start, or join, the embedded local stack (``wyntek_localstack``) for demo mode.

One local stack per data folder, shared by every program of this user that asks for
it (a second window, ``wyntek --local …``): the first one starts it and owns it, the
others join it and never stop it, so quitting one of them leaves the others' database
running. Ownership is an OS file lock (``owner.lock``) held for the owner's whole run:
the OS drops it when the owner exits or crashes, so a stale registry can never keep a
dead stack "running". ``running.json`` tells joiners where the owner's service listens.

The owner runs the stack in-process through ``wyntek_localstack.server.LocalStack`` when
that package is installed; otherwise ``python -m wyntek_localstack serve --demo`` as a
child process, reading its one JSON ready-line. Data persists in the app's data folder,
so the demo account and its jobs survive restarts.
"""

from __future__ import annotations

import contextlib
import importlib.util
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

from filelock import FileLock, Timeout

from wyntek_desktop.core import errors

log = logging.getLogger(__name__)

DEMO_EMAIL = "demo@wyntek.local"
READY_TIMEOUT_S = 120.0
REGISTRY_FILE = "running.json"
OWNER_LOCK = "owner.lock"
# Serialises start-up and shut-down of the shared stack between programs.
STARTER_LOCK = "starter.lock"


@dataclass
class LocalBackend:
    url: str
    anon_key: str
    demo_password: str
    data_dir: Path
    stop: Callable[[], None]
    #: True when this program started the stack (and stops it); False when it joined one.
    owner: bool = True


def local_stack_available() -> bool:
    """Whether this build can run the demo service (the customer build leaves it out)."""
    return importlib.util.find_spec("wyntek_localstack") is not None


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
    """The running demo service of ``data_dir``: joined if another program owns one,
    started (and owned by this program) otherwise."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if not local_stack_available():
        raise errors.WyntekError(
            "This build has no local demo service.",
            hint="Sign in to your WYNTEK account instead, or install the demo edition.")
    starter = FileLock(data_dir / STARTER_LOCK, thread_local=False)
    try:
        starter.acquire(timeout=READY_TIMEOUT_S)
    except Timeout:
        raise errors.WyntekError(
            "The local demo service is busy starting or stopping in another program.",
            hint="Try again in a minute.") from None
    try:
        owner_lock = FileLock(data_dir / OWNER_LOCK, thread_local=False)
        try:
            owner_lock.acquire(timeout=0)
        except Timeout:
            joined = _join(data_dir)
            if joined is not None:
                return joined
            raise errors.WyntekError(
                "Another program is running the local demo service, but it does not answer.",
                hint=f"Quit the other WYNTEK programs, then try again ({data_dir}).") from None
        try:
            backend = _start_owned(data_dir)
        except BaseException:
            owner_lock.release()
            raise
        _write_registry(data_dir, backend)
        stop_stack = backend.stop
        backend.stop = _once(lambda: _stop_owned(data_dir, stop_stack, starter, owner_lock))
        return backend
    finally:
        starter.release()


def _start_owned(data_dir: Path) -> LocalBackend:
    try:
        from wyntek_localstack.server import LocalStack
    except ImportError:
        return _spawn(data_dir)
    stack = LocalStack(data_dir, demo=True, demo_operator=demo_operator_seconds())
    try:
        info = stack.start()
    except Exception as exc:
        raise errors.WyntekError(f"The local demo service did not start: {exc}") from exc
    log.info("local stack ready at %s (in-process)", info.url)
    return LocalBackend(url=info.url, anon_key=info.anon_key,
                        demo_password=info.demo_password or "", data_dir=data_dir,
                        stop=stack.stop)


def _stop_owned(data_dir: Path, stop_stack: Callable[[], None], starter: FileLock,
                owner_lock: FileLock) -> None:
    """The owner's stop: under the starter lock, so a program that wants the service
    meanwhile waits and then starts its own instead of joining one that is going away."""
    with starter.acquire(timeout=READY_TIMEOUT_S):
        (data_dir / REGISTRY_FILE).unlink(missing_ok=True)
        try:
            stop_stack()
        finally:
            owner_lock.release()


def _write_registry(data_dir: Path, backend: LocalBackend) -> None:
    path = data_dir / REGISTRY_FILE
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"url": backend.url, "anon_key": backend.anon_key,
                               "pid": os.getpid()}), encoding="utf-8")
    os.replace(tmp, path)


def _join(data_dir: Path) -> LocalBackend | None:
    """The owner's service as a backend whose ``stop`` leaves it running."""
    try:
        entry = json.loads((data_dir / REGISTRY_FILE).read_text(encoding="utf-8"))
        url, anon_key = str(entry["url"]), str(entry["anon_key"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    log.info("joining the local stack at %s (owned by process %s)", url, entry.get("pid"))
    return LocalBackend(url=url, anon_key=anon_key, demo_password=_demo_password(data_dir),
                        data_dir=data_dir, stop=lambda: None, owner=False)


def _demo_password(data_dir: Path) -> str:
    """The demo password the owner's stack keeps in ``demo.json`` (owner-only file)."""
    try:
        data = json.loads((data_dir / "demo.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    password = data.get("password") if isinstance(data, dict) else None
    return password if isinstance(password, str) else ""


def _once(fn: Callable[[], None]) -> Callable[[], None]:
    done = threading.Lock()

    def run() -> None:
        if done.acquire(blocking=False):
            fn()
    return run


def demo_operator_seconds() -> float | None:
    """``WYNTEK_DEMO_OPERATOR``: seconds between the simulated operator's steps on the demo
    account's jobs (``./dev.sh demo`` sets it); unset or not a positive number: none."""
    try:
        seconds = float(os.environ.get("WYNTEK_DEMO_OPERATOR", ""))
    except ValueError:
        return None
    return seconds if seconds > 0 else None


def _spawn(data_dir: Path) -> LocalBackend:
    command = [sys.executable, "-m", "wyntek_localstack", "serve", "--demo",
               "--host", "127.0.0.1", "--port", "0", "--data-dir", str(data_dir)]
    seconds = demo_operator_seconds()
    if seconds:
        command += ["--demo-operator", str(seconds)]
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

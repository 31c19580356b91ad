"""Pytest fixtures that run the local Supabase-compatible stack over HTTPS.

`localstack` (session scope) runs `python -m wyntek_localstack serve --demo` as a real
subprocess with a throw-away trustme CA; `localstack_factory` (function scope) starts
extra instances with options (short JWT/TUS lifetimes, a given data dir, plain HTTP) and
stops them after the test. Both hand out `LocalStackInstance` objects:

    url, anon_key, service_role_key, ca_path, data_dir, demo_password
    service_client()   official supabase client signed in as the service role
    anon_client()      official supabase client with the anon key (sign in on it)
    http()             httpx.Client trusting the test CA
    new_user()         (email, password, user_id) of a freshly signed-up user
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 90.0


@dataclass
class TestCA:
    ca_path: Path
    cert_path: Path
    key_path: Path


def make_test_ca(folder: Path) -> TestCA:
    """A throw-away CA and a server certificate for 127.0.0.1/localhost, as PEM files."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost", "::1")
    folder.mkdir(parents=True, exist_ok=True)
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca.cert_pem.write_to_path(str(ca_path))
    cert.private_key_pem.write_to_path(str(key_path))
    with cert_path.open("wb") as fh:
        for blob in cert.cert_chain_pems:
            fh.write(blob.bytes())
    return TestCA(ca_path, cert_path, key_path)


@dataclass
class LocalStackInstance:
    url: str
    anon_key: str
    service_role_key: str
    ca_path: Path | None
    data_dir: Path
    demo_password: str | None
    process: subprocess.Popen[bytes]
    log_path: Path
    argv: list[str] = field(default_factory=list)
    stripe_webhook_secret: str | None = None
    database_url: str | None = None
    operator_password: str | None = None  # operator@wyntek.local (with --demo)
    # HTTP clients behind the supabase clients handed out; closed when the stack stops
    # (tests use those clients inline, and a dropped one would leak its sockets)
    _client_http: list[httpx.Client] = field(default_factory=list, repr=False)

    # -- clients
    def http(self, **kwargs: Any) -> httpx.Client:
        kwargs.setdefault("timeout", 30)
        return httpx.Client(verify=self.ssl_context(), **kwargs)

    def ssl_context(self) -> ssl.SSLContext:
        """Default verification, trusting the test CA (TLS checks stay on)."""
        if self.ca_path is None:
            return ssl.create_default_context()
        return ssl.create_default_context(cafile=str(self.ca_path))

    def client(self, key: str) -> Any:
        from supabase import ClientOptions, create_client

        http = self.http()
        self._client_http.append(http)
        options = ClientOptions(httpx_client=http, auto_refresh_token=False,
                                persist_session=False)
        return create_client(self.url, key, options)

    def service_client(self) -> Any:
        return self.client(self.service_role_key)

    def anon_client(self) -> Any:
        return self.client(self.anon_key)

    def new_user(self, prefix: str = "user", password: str | None = None,
                 data: dict[str, Any] | None = None) -> tuple[str, str, str]:
        email = f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"
        password = password or f"pw-{uuid.uuid4().hex}"
        with self.http() as http:
            response = http.post(f"{self.url}/auth/v1/signup",
                                 headers={"apikey": self.anon_key},
                                 json={"email": email, "password": password, "data": data or {}})
        response.raise_for_status()
        return email, password, response.json()["user"]["id"]

    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        """A session JSON for the user (access_token, refresh_token, user)."""
        with self.http() as http:
            response = http.post(f"{self.url}/auth/v1/token?grant_type=password",
                                 headers={"apikey": self.anon_key},
                                 json={"email": email, "password": password})
        response.raise_for_status()
        session: dict[str, Any] = response.json()
        return session

    # -- lifecycle
    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        while self._client_http:
            self._client_http.pop().close()
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process.stdout:
            self.process.stdout.close()
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def serve_argv(data_dir: Path | None, ca: TestCA | None, *, demo: bool = False,
               jwt_expiry: int | None = None, tus_expiry: int | None = None,
               port: int = 0, refresh_reuse_interval: int | None = None,
               worker: bool = True, max_file_size_mib: int | None = None,
               demo_operator: float | None = None,
               tus_part_size_mib: int | None = None) -> list[str]:
    argv = [sys.executable, "-m", "wyntek_localstack", "serve", "--port", str(port)]
    if data_dir is not None:
        argv += ["--data-dir", str(data_dir)]
    if ca is not None:
        argv += ["--tls-cert", str(ca.cert_path), "--tls-key", str(ca.key_path)]
    if demo:
        argv.append("--demo")
    if jwt_expiry is not None:
        argv += ["--jwt-expiry", str(jwt_expiry)]
    if tus_expiry is not None:
        argv += ["--tus-expiry", str(tus_expiry)]
    if refresh_reuse_interval is not None:
        argv += ["--refresh-reuse-interval", str(refresh_reuse_interval)]
    if not worker:
        argv.append("--no-worker")
    if max_file_size_mib is not None:
        argv += ["--max-file-size-mib", str(max_file_size_mib)]
    if demo_operator is not None:
        argv += ["--demo-operator", str(demo_operator)]
    if tus_part_size_mib is not None:
        argv += ["--tus-part-size-mib", str(tus_part_size_mib)]
    return argv


def _death_signal_hook() -> Callable[[], None] | None:
    """Linux: a pre-exec hook so the server gets SIGTERM if the test process dies without
    its teardown. libc is loaded here, before the fork: the hook itself must not import."""
    if sys.platform != "linux":
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def hook() -> None:
        prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    return hook


def start_instance(argv: list[str], log_path: Path, ca: TestCA | None) -> LocalStackInstance:
    """Run `serve` and wait for its JSON line; raise with the server log on failure."""
    env = dict(os.environ)
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{env.get('PYTHONPATH', '')}"
    if ca is not None:  # the stack's Edge Functions (Deno) call back over TLS too
        env["WYNTEK_LOCALSTACK_CA"] = str(ca.ca_path)
    log = log_path.open("ab")
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, cwd=REPO_ROOT,
                               env=env, preexec_fn=_death_signal_hook())
    log.close()
    line: list[bytes] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()),  # type: ignore[union-attr]
                              daemon=True)
    reader.start()
    reader.join(READY_TIMEOUT)
    if not line or not line[0].strip():
        process.kill()
        process.wait(10)
        raise RuntimeError(f"local stack did not start: {log_path.read_text(errors='replace')}")
    info = json.loads(line[0])
    return LocalStackInstance(
        url=info["url"], anon_key=info["anon_key"], service_role_key=info["service_role_key"],
        ca_path=ca.ca_path if ca else None, data_dir=Path(info["data_dir"]),
        demo_password=info.get("demo_password"), process=process, log_path=log_path,
        argv=argv, stripe_webhook_secret=info.get("stripe_webhook_secret"),
        database_url=info.get("database_url"), operator_password=info.get("operator_password"))


@pytest.fixture(scope="session")
def localstack_root() -> Iterator[Path]:
    """A private temp root: pytest prunes its shared basetemp folders when several pytest
    runs share a machine, which would pull the database out from under a running server."""
    root = Path(tempfile.mkdtemp(prefix="wyntek-localstack-tests-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def localstack_ca(localstack_root: Path) -> TestCA:
    return make_test_ca(localstack_root / "ca")


@pytest.fixture(scope="session")
def localstack(localstack_root: Path, localstack_ca: TestCA) -> Iterator[LocalStackInstance]:
    folder = Path(tempfile.mkdtemp(prefix="session-", dir=localstack_root))
    instance = start_instance(serve_argv(folder / "data", localstack_ca, demo=True),
                              folder / "server.log", localstack_ca)
    yield instance
    instance.stop()


class StackFactory:
    """Starts extra stacks for one test and stops them afterwards.

    `factory(data_dir=None, tls=True, demo=False, jwt_expiry=None, tus_expiry=None, port=0,
    refresh_reuse_interval=None, max_file_size_mib=None, tus_part_size_mib=None)`; a new
    data dir is made when none is given, and passing the same data dir again restarts on
    the kept data. Use `new_data_dir()` for a dir you want to reuse: pytest's own tmp_path
    is not readable by the database's system user when the tests run as root.
    """

    def __init__(self, root: Path, ca: TestCA) -> None:
        self.root, self.ca = root, ca
        self.started: list[LocalStackInstance] = []

    def new_data_dir(self) -> Path:
        return Path(tempfile.mkdtemp(prefix="data-", dir=self.root)) / "data"

    def __call__(self, data_dir: Path | None = None, *, tls: bool = True, demo: bool = False,
                 jwt_expiry: int | None = None, tus_expiry: int | None = None, port: int = 0,
                 refresh_reuse_interval: int | None = None,
                 worker: bool = True,
                 max_file_size_mib: int | None = None,
                 demo_operator: float | None = None,
                 tus_part_size_mib: int | None = None) -> LocalStackInstance:
        folder = Path(tempfile.mkdtemp(prefix="extra-", dir=self.root))
        ca = self.ca if tls else None
        argv = serve_argv(data_dir or folder / "data", ca, demo=demo, jwt_expiry=jwt_expiry,
                          tus_expiry=tus_expiry, port=port,
                          refresh_reuse_interval=refresh_reuse_interval, worker=worker,
                          max_file_size_mib=max_file_size_mib, demo_operator=demo_operator,
                          tus_part_size_mib=tus_part_size_mib)
        instance = start_instance(argv, folder / "server.log", ca)
        self.started.append(instance)
        return instance

    def stop_all(self) -> None:
        for instance in self.started:
            instance.stop()


@pytest.fixture
def localstack_factory(localstack_root: Path, localstack_ca: TestCA) -> Iterator[StackFactory]:
    factory = StackFactory(localstack_root, localstack_ca)
    yield factory
    factory.stop_all()

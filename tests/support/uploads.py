"""The upload tests' world: the real client stack against the real local stack behind a
fault proxy.

client (Settings → make_http_client → Session → Api, Outbox, UploadRunner)
   ── plain HTTP ──▶ FaultProxy on 127.0.0.1 ── TLS (test CA) ──▶ local stack
"""

from __future__ import annotations

import hashlib
import os
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.support.faultproxy import FaultProxy
from wyntek_desktop.core.outbox import FileInput, Outbox, OutboxJob
from wyntek_desktop.upload import RetryPolicy, UploadRunner
from wyntek_desktop.upload.events import Event, JobStateChanged, RunnerStateChanged

SPEC = {"material_id": "fdm-pla", "quantity": 1, "tolerance_mm": 0.2, "volume_cm3": 1.0,
        "finish": "", "delivery_instructions": "", "notes": "upload test"}
MiB = 1024 * 1024
FAST_RETRY = RetryPolicy(base=0.1, max_delay=0.3, max_attempts=8)


def make_proxy(stack: Any, port: int | None = None) -> FaultProxy:
    parts = urlsplit(stack.url)
    tls = None
    if parts.scheme == "https":
        tls = ssl.create_default_context(cafile=str(stack.ca_path))
    return FaultProxy(parts.hostname or "127.0.0.1", port or parts.port or 443, tls)


@dataclass
class UploadEnv:
    stack: Any
    proxy: FaultProxy
    folder: Path
    email: str
    password: str
    user_id: str
    session: Any
    api: Any
    settings: Any
    outbox: Outbox
    http: httpx.Client  # the session's
    events: list[Event] = field(default_factory=list)
    runners: list[UploadRunner] = field(default_factory=list)

    # ---- client side ------------------------------------------------------------------
    def runner(self, **kwargs: Any) -> UploadRunner:
        from wyntek_desktop.api.http import make_http_client

        options: dict[str, Any] = {"retry": FAST_RETRY, "offline_delays": (0.05, 0.3),
                                   "idle_poll": 0.2, "progress_interval": 0.05}
        options.update(kwargs)
        runner = UploadRunner(self.outbox, lambda: make_http_client(self.settings),
                              options.pop("access_token", self.api.access_token),
                              options.pop("submit_job", self.api.submit_job),
                              lambda: self.session.user_id, self.api.storage_url,
                              self.stack.anon_key, events=self.events.append, **options)
        self.runners.append(runner)
        return runner

    def write(self, name: str, size: int) -> Path:
        path = self.folder / name
        path.write_bytes(os.urandom(size))
        return path

    def add_job(self, *files: Path, copy: bool = True) -> OutboxJob:
        return self.outbox.add_job(SPEC, [FileInput(f, "model") for f in files], copy=copy)

    def job_states(self, cid: str) -> list[str]:
        return [e.state for e in self.events
                if isinstance(e, JobStateChanged) and e.client_job_id == cid]

    def runner_states(self) -> list[str]:
        return [e.state for e in self.events if isinstance(e, RunnerStateChanged)]

    # ---- service side (service role, straight to the stack) -----------------------------
    def service_http(self) -> httpx.Client:
        key = self.stack.service_role_key
        return self.stack.http(headers={"apikey": key, "Authorization": f"Bearer {key}"})

    def object_sha(self, storage_path: str) -> str | None:
        with self.service_http() as http:
            resp = http.get(f"{self.stack.url}/storage/v1/object/designs/{storage_path}")
        if resp.status_code != 200:
            return None
        return hashlib.sha256(resp.content).hexdigest()

    def jobs_for(self, cid: str) -> list[dict[str, Any]]:
        with self.service_http() as http:
            resp = http.get(f"{self.stack.url}/rest/v1/jobs",
                            params={"client_job_id": f"eq.{cid}", "select": "*"})
        resp.raise_for_status()
        rows: list[dict[str, Any]] = resp.json()
        return rows

    def debits(self) -> list[dict[str, Any]]:
        with self.service_http() as http:
            resp = http.get(f"{self.stack.url}/rest/v1/token_ledger",
                            params={"user_id": f"eq.{self.user_id}", "reason": "eq.job",
                                    "select": "*"})
        resp.raise_for_status()
        rows: list[dict[str, Any]] = resp.json()
        return rows

    def assert_delivered(self, job: OutboxJob, sources: list[Path]) -> None:
        """Byte-identical objects, exactly one job and exactly one debit for it."""
        done = self.outbox.get(job.client_job_id)
        assert done.state == "submitted", (done.state, done.failure)
        for f, src in zip(done.files, sources, strict=True):
            expected = hashlib.sha256(src.read_bytes()).hexdigest()
            assert f.sha256 == expected
            assert self.object_sha(str(f.storage_path)) == expected, f.file_name
        rows = self.jobs_for(job.client_job_id)
        assert len(rows) == 1
        assert [d["job_id"] for d in self.debits()].count(rows[0]["id"]) == 1

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            time.sleep(0.02)


def grant_tokens(stack: Any, user_id: str, amount: int = 100_000) -> None:
    key = stack.service_role_key
    with stack.http(headers={"apikey": key, "Authorization": f"Bearer {key}"}) as http:
        resp = http.post(f"{stack.url}/rest/v1/rpc/grant_tokens",
                         json={"user_id": user_id, "amount": amount, "reason": "grant"})
    resp.raise_for_status()


def build_env(stack: Any, folder: Path, proxy: FaultProxy | None = None) -> UploadEnv:
    from wyntek_desktop.api.client import Api
    from wyntek_desktop.api.http import make_http_client
    from wyntek_desktop.api.session import Session
    from wyntek_desktop.core.settings import Settings

    proxy = proxy or make_proxy(stack)
    email, password, user_id = stack.new_user("uploads")
    grant_tokens(stack, user_id)
    settings = Settings(supabase_url=proxy.url, anon_key=stack.anon_key)
    http = make_http_client(settings)
    session = Session(settings, http)
    session.sign_in(email, password)
    api = Api(session, folder / "catalogue.json")
    outbox = Outbox.open(folder / "outbox" / "outbox.sqlite3")
    return UploadEnv(stack, proxy, folder, email, password, user_id, session, api, settings,
                     outbox, http)


def close_env(env: UploadEnv) -> None:
    for runner in env.runners:
        runner.stop()
    env.outbox.close()
    env.http.close()
    env.proxy.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("wyntek-upload")
                and t.is_alive() and t.name != "wyntek-upload-cancel"]

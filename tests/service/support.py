"""Customers and jobs on a running local stack, over its real HTTP APIs."""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.design.meshes import cube, write_binary_stl
from tests.support.localstack import LocalStackInstance

TERMINAL = ("passed", "adjusted", "needs_tokens", "failed")


@dataclass
class Customer:
    stack: LocalStackInstance
    uid: str
    token: str

    def http(self) -> httpx.Client:
        return self.stack.http(headers={"apikey": self.stack.anon_key,
                                        "Authorization": f"Bearer {self.token}"})

    def upload(self, name: str, data: bytes, client_job_id: str) -> dict[str, Any]:
        path = f"{self.uid}/{client_job_id}/{name}"
        with self.http() as http:
            r = http.post(f"{self.stack.url}/storage/v1/object/designs/{path}", content=data,
                          headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 200, r.text
        return {"storage_path": path, "file_name": name, "kind": kind_of(name),
                "size_bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def rpc(self, name: str, body: dict[str, Any]) -> httpx.Response:
        with self.http() as http:
            return http.post(f"{self.stack.url}/rest/v1/rpc/{name}", json=body)

    def submit(self, files: dict[str, bytes], *, material: str = "fdm-pla",
               volume_cm3: float = 8.0, sha_override: dict[str, str] | None = None,
               **spec: Any) -> dict[str, Any]:
        client_job_id = str(uuid.uuid4())
        entries = [self.upload(name, data, client_job_id) for name, data in files.items()]
        for entry in entries:
            if sha_override and entry["file_name"] in sha_override:
                entry["sha256"] = sha_override[entry["file_name"]]
        body = {"client_job_id": client_job_id, "files": entries,
                "spec": {"material_id": material, "quantity": 1, "tolerance_mm": 0.2,
                         "volume_cm3": volume_cm3, **spec}}
        r = self.rpc("submit_job", body)
        assert r.status_code == 200, r.text
        job: dict[str, Any] = r.json()
        return job

    def balance(self) -> int:
        with self.http() as http:
            r = http.get(f"{self.stack.url}/rest/v1/profiles",
                         params={"select": "token_balance"})
        return int(r.json()[0]["token_balance"])

    def ledger(self, job_id: str | None = None) -> list[dict[str, Any]]:
        params = {"select": "reason,delta,job_id", "order": "id"}
        if job_id:
            params["job_id"] = f"eq.{job_id}"
        with self.http() as http:
            rows: list[dict[str, Any]] = http.get(f"{self.stack.url}/rest/v1/token_ledger",
                                                  params=params).json()
        return rows


def kind_of(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return {".zip": "gerber", ".pdf": "drawing"}.get(suffix, "model" if suffix in (
        ".stl", ".obj", ".ply", ".off", ".3mf", ".glb", ".gltf", ".step", ".stp") else "other")


def new_customer(stack: LocalStackInstance, tokens: int) -> Customer:
    email, password, uid = stack.new_user("intake")
    if tokens:
        with stack.http() as http:
            r = http.post(f"{stack.url}/rest/v1/rpc/grant_tokens",
                          headers={"apikey": stack.service_role_key,
                                   "Authorization": f"Bearer {stack.service_role_key}"},
                          json={"user_id": uid, "amount": tokens, "reason": "grant"})
        assert r.status_code == 200, r.text
    return Customer(stack, uid, stack.sign_in(email, password)["access_token"])


def service_rows(stack: LocalStackInstance, table: str, params: dict[str, str]
                 ) -> list[dict[str, Any]]:
    with stack.http(headers={"apikey": stack.service_role_key,
                             "Authorization": f"Bearer {stack.service_role_key}"}) as http:
        r = http.get(f"{stack.url}/rest/v1/{table}", params=params)
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()
    return rows


def wait_verified(stack: LocalStackInstance, job_ids: list[str], timeout: float = 120
                  ) -> dict[str, dict[str, Any]]:
    """Each job once its verification is decided; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        rows = service_rows(stack, "jobs", {"id": f"in.({','.join(job_ids)})", "select": "*"})
        done = {r["id"]: r for r in rows if r["verification"] in TERMINAL}
        if len(done) == len(job_ids):
            return done
        if time.monotonic() > deadline:
            pending = sorted(set(job_ids) - set(done))
            raise AssertionError(f"{len(pending)} jobs still unverified: {pending[:3]}")
        time.sleep(0.2)


def cube_stl(tmp: Path, size: float = 20.0, name: str = "cube.stl") -> bytes:
    return write_binary_stl(tmp / name, cube(size)).read_bytes()

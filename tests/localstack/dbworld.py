"""Acting as Supabase's API roles directly in SQL, the way the local server does it.

Every call runs in its own transaction with ``set local role <role>`` and
``request.jwt.claims`` set, so RLS, grants and ``auth.uid()`` behave exactly as for a
request through the HTTP server (and PostgREST/Storage on the hosted service).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb


@dataclass(frozen=True)
class Actor:
    """Who a statement runs as: an API role plus the JWT claims it carries."""

    name: str
    role: str
    claims: dict[str, Any] = field(default_factory=dict)

    @property
    def uid(self) -> str | None:
        return self.claims.get("sub")


ANON = Actor("anon", "anon", {"role": "anon"})
SERVICE = Actor("service", "service_role", {"role": "service_role", "iss": "supabase"})


def user_actor(name: str, uid: str, email: str, *, operator: bool = False,
               user_metadata: dict[str, Any] | None = None) -> Actor:
    app_metadata: dict[str, Any] = {"provider": "email", "providers": ["email"]}
    if operator:
        app_metadata["role"] = "operator"
    return Actor(name, "authenticated", {
        "sub": uid, "role": "authenticated", "aud": "authenticated", "email": email,
        "app_metadata": app_metadata, "user_metadata": user_metadata or {},
        "aal": "aal1", "is_anonymous": False, "session_id": str(uuid.uuid4()),
    })


@contextmanager
def acting(conn: psycopg.Connection[Any], actor: Actor, *,
           rollback: bool = False) -> Iterator[psycopg.Connection[Any]]:
    """A transaction in which every statement runs as ``actor``."""
    with conn.transaction(force_rollback=rollback):
        conn.execute(sql.SQL("set local role {}").format(sql.Identifier(actor.role)))
        conn.execute("select set_config('request.jwt.claims', %s, true)",
                     (json.dumps(actor.claims),))
        yield conn


def call(conn: psycopg.Connection[Any], actor: Actor, query: str,
         params: Any = None, *, rollback: bool = False) -> list[tuple[Any, ...]]:
    """Run one statement as ``actor`` and return its rows ([] when it returns none)."""
    with acting(conn, actor, rollback=rollback):
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


def create_user(conn: psycopg.Connection[Any], email: str, *,
                app_metadata: dict[str, Any] | None = None,
                user_metadata: dict[str, Any] | None = None) -> str:
    """Insert an auth user as the auth service would; the profile comes from the trigger."""
    uid = str(uuid.uuid4())
    meta = {"provider": "email", "providers": ["email"], **(app_metadata or {})}
    with conn.transaction():
        conn.execute(
            """insert into auth.users
                 (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                  raw_app_meta_data, raw_user_meta_data, created_at, updated_at, is_anonymous)
               values ('00000000-0000-0000-0000-000000000000', %s, 'authenticated',
                       'authenticated', %s, '', now(), %s, %s, now(), now(), false)""",
            (uid, email, Jsonb(meta), Jsonb(user_metadata or {})))
    return uid


def grant(conn: psycopg.Connection[Any], uid: str, amount: int, reason: str = "grant") -> int:
    rows = call(conn, SERVICE, "select public.grant_tokens(%s, %s, %s)", (uid, amount, reason))
    return int(rows[0][0])


def put_object(conn: psycopg.Connection[Any], actor: Actor, name: str, data: bytes,
               *, bucket: str = "designs") -> None:
    """Record an uploaded object as Storage does (an INSERT as the caller, under RLS)."""
    metadata = {"eTag": f'"{hashlib.md5(data).hexdigest()}"', "size": len(data),
                "mimetype": "application/octet-stream", "cacheControl": "max-age=3600",
                "contentLength": len(data), "httpStatusCode": 200}
    call(conn, actor,
         """insert into storage.objects (bucket_id, name, owner, owner_id, metadata)
            values (%s, %s, %s, %s, %s)""",
         (bucket, name, actor.uid, actor.uid, Jsonb(metadata)))


def file_entry(path: str, data: bytes, *, kind: str = "model",
               file_name: str | None = None) -> dict[str, Any]:
    name = path.rsplit("/", 1)[-1] if file_name is None else file_name
    return {"storage_path": path, "file_name": name,
            "kind": kind, "size_bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "analysis": {"volume_cm3": 12.5}}


def spec(material_id: str = "fdm-pla", **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"material_id": material_id, "quantity": 2, "tolerance_mm": 0.2,
                            "volume_cm3": 12.5, "finish": "as printed",
                            "delivery_instructions": "Reception, building B",
                            "notes": "prototype"}
    base.update(overrides)
    return base


def submit(conn: psycopg.Connection[Any], actor: Actor, client_job_id: str,
           job_spec: dict[str, Any], files: list[dict[str, Any]]) -> dict[str, Any]:
    rows = call(conn, actor, "select public.submit_job(%s, %s, %s)",
                (client_job_id, Jsonb(job_spec), Jsonb(files)))
    result: dict[str, Any] = rows[0][0]
    return result


def upload_and_submit(conn: psycopg.Connection[Any], actor: Actor, *,
                      job_spec: dict[str, Any] | None = None,
                      data: bytes = b"solid cube\nendsolid cube\n") -> dict[str, Any]:
    """Upload one file into a fresh job folder and submit the job."""
    client_job_id = str(uuid.uuid4())
    path = f"{actor.uid}/{client_job_id}/part.stl"
    put_object(conn, actor, path, data)
    return submit(conn, actor, client_job_id, job_spec or spec(), [file_entry(path, data)])


def balance(conn: psycopg.Connection[Any], uid: str) -> int:
    with conn.transaction():
        row = conn.execute("select token_balance from public.profiles where id = %s",
                           (uid,)).fetchone()
    assert row is not None
    return int(row[0])


def ledger_sum(conn: psycopg.Connection[Any], uid: str) -> int:
    with conn.transaction():
        row = conn.execute("select coalesce(sum(delta), 0) from public.token_ledger "
                           "where user_id = %s", (uid,)).fetchone()
    assert row is not None
    return int(row[0])


def verify(conn: psycopg.Connection[Any], job: dict[str, Any],
           volume_cm3: Any = None) -> dict[str, Any]:
    """Record the service's verification of ``job`` (by default: the declared volume)."""
    rows = call(conn, SERVICE,
                "select public.record_verification(%s, %s::text::numeric, null, null, null)",
                (job["id"], job["volume_cm3"] if volume_cm3 is None else volume_cm3))
    result: dict[str, Any] = rows[0][0]
    return result

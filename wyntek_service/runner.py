"""Start the queue (schema first) and run the worker, one task now, or one job."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import psycopg
from procrastinate.schema import SchemaManager

from wyntek_service.config import ServiceConfig
from wyntek_service.supabase import ServiceAPI
from wyntek_service.tasks import (
    PERIODIC,
    QUEUE_SCHEMA,
    SERVICE_QUEUE,
    VERIFY_QUEUE,
    ServiceContext,
    make_app,
    sweep_pending,
)
from wyntek_service.verify import Limits, verify_job

log = logging.getLogger(__name__)
_SCHEMA_LOCK = 0x57594E55  # serialises concurrent first starts


async def ensure_queue_schema(config: ServiceConfig) -> bool:
    """Install procrastinate's tables in schema ``procrastinate`` once; True if installed now.

    The API roles get nothing there (hosted projects do not expose this schema either).
    """
    async with await psycopg.AsyncConnection.connect(config.database_url,
                                                     autocommit=True) as conn:
        await conn.execute("select pg_advisory_lock(%s)", [_SCHEMA_LOCK])
        try:
            cur = await conn.execute("select to_regclass(%s)",
                                     [f"{QUEUE_SCHEMA}.procrastinate_jobs"])
            row = await cur.fetchone()
            if row is not None and row[0] is not None:
                return False
            async with conn.transaction():
                await conn.execute(f"create schema if not exists {QUEUE_SCHEMA}")
                await conn.execute(f"set local search_path = {QUEUE_SCHEMA}")
                await conn.execute(SchemaManager.get_schema())
                await conn.execute(f"revoke all on schema {QUEUE_SCHEMA} from public")
                for role in ("anon", "authenticated"):
                    cur = await conn.execute("select 1 from pg_roles where rolname = %s",
                                             [role])
                    if await cur.fetchone():
                        await conn.execute(f"revoke all on schema {QUEUE_SCHEMA} from {role}")
            log.info("installed the task queue in schema %s", QUEUE_SCHEMA)
            return True
        finally:
            await conn.execute("select pg_advisory_unlock(%s)", [_SCHEMA_LOCK])


async def run_worker(config: ServiceConfig, *, concurrency: int = 1,
                     limits: Limits | None = None, stalled_after_s: float = 30.0,
                     heartbeat_s: float = 10.0, name: str | None = None,
                     keep_finished: bool = False, deletion_grace_days: int = 7) -> None:
    await ensure_queue_schema(config)
    app = make_app(config)
    async with ServiceAPI(config) as api, app.open_async():
        service = ServiceContext(config, api, app, limits or Limits(), stalled_after_s,
                                 deletion_grace_days)
        options: dict[str, Any] = {
            "queues": [VERIFY_QUEUE, SERVICE_QUEUE], "concurrency": concurrency,
            "additional_context": {"service": service},
            "update_heartbeat_interval": heartbeat_s,
            "stalled_worker_timeout": stalled_after_s,
            "delete_jobs": "never" if keep_finished else "successful"}
        if name:
            options["name"] = name
        # Jobs submitted before the queue existed (or while no worker ran) first.
        log.info("verification-sweep: %s", await sweep_pending(service, timedelta(0)))
        await app.run_worker_async(**options)


async def run_once(config: ServiceConfig, task_name: str, *,
                   deletion_grace_days: int = 7) -> str:
    await ensure_queue_schema(config)
    app = make_app(config)
    async with ServiceAPI(config) as api, app.open_async():
        service = ServiceContext(config, api, app, deletion_grace_days=deletion_grace_days)
        return await PERIODIC[task_name].run(service)


async def verify_now(config: ServiceConfig, job_id: str, limits: Limits | None = None
                     ) -> dict[str, Any]:
    async with ServiceAPI(config) as api:
        return await verify_job(api, job_id, limits or Limits())

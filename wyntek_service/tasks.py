"""The service's procrastinate app: the verification task and the periodic tasks.

Periodic tasks register with ``@periodic(name, cron)``: each becomes a procrastinate
periodic task of the worker *and* a ``python -m wyntek_service run-once NAME`` command.
A periodic task is an ``async def task(service: ServiceContext) -> str`` that returns a
one-line summary. The privacy tasks live in their own modules (``retention``,
``deletions``), imported at the end of this one so that they register.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import procrastinate
from procrastinate import exceptions

from wyntek_service.config import ServiceConfig
from wyntek_service.supabase import ServiceAPI
from wyntek_service.verify import Limits, verify_job

log = logging.getLogger(__name__)

QUEUE_SCHEMA = "procrastinate"
VERIFY_QUEUE = "verification"
SERVICE_QUEUE = "service"
VERIFY_TASK = "verify_job"   # the name public.enqueue_verification defers
ORPHAN_AGE = timedelta(days=7)


@dataclass
class ServiceContext:
    """What a task gets: the configuration, the HTTP client and the queue's app."""

    config: ServiceConfig
    api: ServiceAPI
    app: procrastinate.App
    limits: Limits = field(default_factory=Limits)
    stalled_after_s: float = 30.0
    deletion_grace_days: int = 7   # --deletion-grace-days (at most 30)


PeriodicFn = Callable[[ServiceContext], Awaitable[str]]


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    cron: str          # procrastinate cron; a 6th field gives seconds
    run: PeriodicFn


PERIODIC: dict[str, PeriodicTask] = {}


F = TypeVar("F", bound=PeriodicFn)


def periodic(name: str, cron: str) -> Callable[[F], F]:
    def register(fn: F) -> F:
        PERIODIC[name] = PeriodicTask(name, cron, fn)
        return fn
    return register


def make_app(config: ServiceConfig) -> procrastinate.App:
    """The procrastinate app on the project's Postgres, queue tables in their own schema."""
    connector = procrastinate.PsycopgConnector(
        conninfo=config.database_url,
        kwargs={"options": f"-c search_path={QUEUE_SCHEMA}"})
    app = procrastinate.App(connector=connector)

    @app.task(name=VERIFY_TASK, queue=VERIFY_QUEUE, pass_context=True,
              retry=procrastinate.RetryStrategy(max_attempts=8, wait=5, exponential_wait=2))
    async def verify(context: procrastinate.JobContext, job_id: str) -> None:
        service: ServiceContext = context.additional_context["service"]
        await verify_job(service.api, job_id, service.limits)

    for task in PERIODIC.values():
        _register_periodic(app, task)
    return app


def _register_periodic(app: procrastinate.App, task: PeriodicTask) -> None:
    async def run(context: procrastinate.JobContext, timestamp: int) -> None:
        service: ServiceContext = context.additional_context["service"]
        summary = await task.run(service)
        # Frequent housekeeping that found nothing to do stays out of the log.
        log.log(logging.DEBUG if summary.startswith("0 ") else logging.INFO, "%s: %s",
                task.name, summary)

    registered = app.task(name=task.name, queue=SERVICE_QUEUE, pass_context=True,
                          queueing_lock=task.name)(run)
    app.periodic(cron=task.cron, periodic_id=task.name)(registered)


async def defer_verification(app: procrastinate.App, job_id: str) -> bool:
    """Queue ``verify_job`` for a job (False if it is queued already)."""
    try:
        await app.configure_task(VERIFY_TASK, lock=f"job:{job_id}",
                                 queueing_lock=f"verify:{job_id}").defer_async(job_id=job_id)
    except exceptions.AlreadyEnqueued:
        return False
    return True


# --- periodic tasks ---------------------------------------------------------------------

@periodic("verification-sweep", "*/2 * * * *")
async def sweep_pending(service: ServiceContext,
                        min_age: timedelta = timedelta(minutes=1)) -> str:
    """Queue every job still waiting for verification ``min_age`` after it was submitted
    (submitted while no worker had installed the queue, or its task was lost). A job
    queued twice is verified once: the second task finds it decided."""
    before = (datetime.now(UTC) - min_age).isoformat()
    rows = await service.api.select("jobs", {
        "select": "id", "verification": "eq.pending", "status": "eq.submitted",
        "verification_requested_at": f"lt.{before}", "order": "created_at", "limit": "1000"})
    queued = [row["id"] for row in rows if await defer_verification(service.app, row["id"])]
    return f"{len(queued)} of {len(rows)} pending jobs queued"


@periodic("stalled-tasks", "* * * * * */10")
async def retry_stalled(service: ServiceContext) -> str:
    """Give the tasks of a worker that stopped sending heartbeats (killed, lost its
    machine) to another worker."""
    manager = service.app.job_manager
    stalled = list(await manager.get_stalled_jobs(
        seconds_since_heartbeat=service.stalled_after_s))
    for job in stalled:
        try:
            await manager.retry_job(job)
        except exceptions.UniqueViolation:
            # The same work is queued again already (a sweep found its job pending): the
            # stalled copy ends, so its lock no longer holds the new one back.
            await manager.finish_job(job, procrastinate.jobs.Status.FAILED, delete_job=False)
    await manager.prune_stalled_workers(service.stalled_after_s)
    return f"{len(stalled)} stalled tasks retried"


@periodic("orphans", "17 * * * *")
async def remove_orphan_uploads(service: ServiceContext) -> str:
    """Remove uploads under {uid}/{client_job_id}/ that never became a job, 7 days on."""
    api = service.api
    cutoff = datetime.now(UTC) - ORPHAN_AGE
    removed = 0
    for user in await api.list_folder(""):
        if user.get("id") is not None:
            continue  # an object at the top level: not an upload folder
        uid = user["name"]
        folders = [f["name"] for f in await api.list_folder(uid) if f.get("id") is None]
        if not folders:
            continue
        known = await _client_job_ids(api, uid)
        if known is None:
            continue
        for folder in folders:
            if folder in known:
                continue
            objects = await api.list_folder(f"{uid}/{folder}")
            if not objects or any(o.get("id") is None for o in objects):
                continue  # empty, or with sub-folders the app never makes: leave it
            if all(_parse_time(o.get("updated_at") or o.get("created_at")) < cutoff
                   for o in objects):
                removed += len(await api.remove([f"{uid}/{folder}/{o['name']}"
                                                 for o in objects]))
    return f"{removed} orphan files removed"


async def _client_job_ids(api: ServiceAPI, uid: str) -> set[str] | None:
    """The client job ids of the user's jobs; None when ``uid`` is not a user id."""
    try:
        uuid.UUID(uid)
    except ValueError:
        return None
    rows = await api.select("jobs", {"select": "client_job_id", "user_id": f"eq.{uid}"})
    return {str(row["client_job_id"]) for row in rows}


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        return datetime.now(UTC)  # unknown age: never old enough
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# The privacy tasks register themselves with @periodic when imported.
from wyntek_service import deletions, retention  # noqa: E402, F401

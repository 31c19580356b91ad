"""Account deletion after the grace period (SPEC 5.4), and what an account leaves behind
however it was removed.

Per due request: jobs not yet in production are cancelled and refunded (a job in
production or shipped is delivered first), the user's stored files are removed through
the Storage API, the auth user is deleted through the GoTrue admin API (the database
then removes the profile, support messages and policy records, and keeps jobs, ledger
and purchases with the personal fields anonymised), and the request ends ``completed``,
which queues the last email. Each step is idempotent, so a run that crashed half-way is
finished by the next one (the request stays ``processing`` until then).

Every run also clears Storage for accounts removed some other way (an admin delete
through GoTrue leaves the objects), drops the delivered last mails of deleted accounts
and prunes anonymised financial records older than 7 years.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from wyntek_service.supabase import ServiceAPI
from wyntek_service.tasks import ServiceContext, periodic

log = logging.getLogger(__name__)

REMOVE_BATCH = 100
MAX_GRACE_DAYS = 30


async def list_objects(api: ServiceAPI, prefix: str) -> list[str]:
    """Every object name below ``prefix`` (recursive)."""
    names: list[str] = []
    folders = [prefix]
    while folders:
        folder = folders.pop()
        for entry in await api.list_folder(folder):
            path = f"{folder}/{entry['name']}"
            if entry.get("id") is None:
                folders.append(path)
            else:
                names.append(path)
    return names


async def remove_user_files(api: ServiceAPI, user_id: str) -> int:
    """Remove everything Storage holds under ``{user_id}/`` and mark the file rows."""
    names = await list_objects(api, user_id)
    for start in range(0, len(names), REMOVE_BATCH):
        await api.remove(names[start:start + REMOVE_BATCH])
    rows = await api.select("job_files", {"select": "storage_path",
                                          "storage_path": f"like.{user_id}/*",
                                          "deleted_at": "is.null"})
    paths = sorted(set(names) | {str(r["storage_path"]) for r in rows})
    if paths:
        await api.rpc("record_objects_removed", {"paths": paths})
    left = await list_objects(api, user_id)
    if left:
        raise RuntimeError(f"Storage still holds {len(left)} objects of {user_id}")
    return len(names)


async def delete_account(api: ServiceAPI, user_id: str) -> str:
    """Carry out one due request; returns its state afterwards."""
    state = str((await api.rpc("begin_account_deletion", {"user_id": user_id}))["state"])
    if state != "processing":
        return state
    files = await remove_user_files(api, user_id)
    await api.delete_auth_user(user_id)
    # Anything uploaded between the first sweep and the auth delete.
    files += await remove_user_files(api, user_id)
    await api.rpc("finish_account_deletion", {"user_id": user_id})
    log.info("account %s deleted (%d files removed)", user_id, files)
    return "completed"


async def clear_removed_accounts(api: ServiceAPI) -> int:
    cleared = 0
    for row in await api.select("removed_accounts", {"select": "user_id",
                                                     "storage_cleared_at": "is.null",
                                                     "limit": "200"}):
        uid = str(row["user_id"])
        removed = await remove_user_files(api, uid)
        await api.update("removed_accounts", {"user_id": f"eq.{uid}",
                                              "storage_cleared_at": "is.null"},
                         {"storage_cleared_at": datetime.now(UTC).isoformat()})
        if removed:
            log.info("removed account %s: %d orphaned files removed", uid, removed)
            cleared += 1
    return cleared


@periodic("deletions", "7 * * * *")
async def run_deletions(service: ServiceContext) -> str:
    api = service.api
    grace = service.deletion_grace_days
    if not 0 <= grace <= MAX_GRACE_DAYS:
        raise ValueError(f"The deletion grace period is 0 to {MAX_GRACE_DAYS} days.")
    await api.rpc("set_deletion_grace_days", {"days": grace})
    states: dict[str, int] = {}
    due: list[dict[str, Any]] = await api.rpc("due_account_deletions", {"max_count": 50})
    for request in due or []:
        state = await delete_account(api, str(request["user_id"]))
        states[state] = states.get(state, 0) + 1
    cleared = await clear_removed_accounts(api)
    await api.rpc("prune_deleted_account_mail", {})
    pruned = await api.rpc("prune_financial_records", {})
    old_records = sum(int(v) for v in (pruned or {}).values())
    return (f"{states.get('completed', 0)} accounts deleted, "
            f"{states.get('waiting', 0)} waiting for jobs in production, "
            f"{cleared} removed accounts' leftover files cleared, "
            f"{old_records} records past 7 years pruned")

"""The demo's shop: an operator account (operator@wyntek.local) assigned to every job of
the demo account, so ``--demo`` shows both sides of the lifecycle.

The operator is an ordinary account whose ``app_metadata.role`` is ``operator`` (what the
service sets on a hosted project). Its password lives only in ``operator.json`` in the
data dir (0600) and in the stack's JSON line; a lost file gives the account a new one.
Jobs are assigned by a trigger in the local-only schema ``wyntek_demo`` (never a
migration: hosted projects assign operators with ``assign_operator``).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

OPERATOR_EMAIL = "operator@wyntek.local"
DEMO_EMAIL = "demo@wyntek.local"

_ASSIGN_SQL = """
create schema if not exists wyntek_demo;
revoke all on schema wyntek_demo from public;

create or replace function wyntek_demo.assign_demo_job() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
  begin
    insert into public.job_assignments (job_id, operator_id)
    select new.id, op.id
      from auth.users op, auth.users customer
     where op.email = 'operator@wyntek.local' and customer.id = new.user_id
       and customer.email = 'demo@wyntek.local'
    on conflict do nothing;
    return null;
  end
  $$;

drop trigger if exists assign_demo_jobs on public.jobs;
create trigger assign_demo_jobs
  after insert on public.jobs
  for each row execute function wyntek_demo.assign_demo_job();

-- jobs of the demo account from before the operator existed
insert into public.job_assignments (job_id, operator_id)
select j.id, op.id
  from public.jobs j
  join auth.users customer on customer.id = j.user_id and customer.email = 'demo@wyntek.local'
  cross join auth.users op
 where op.email = 'operator@wyntek.local'
on conflict do nothing;
"""


def read_password(path: Path) -> str | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    password = data.get("password") if isinstance(data, dict) else None
    return password if isinstance(password, str) and password else None


async def ensure_demo_operator(dsn: str, data_dir: Path,
                               write_private_json: Any) -> tuple[str, str]:
    """(operator id, password): the operator account, created or given a new password if
    ``operator.json`` is gone; assignment of the demo account's jobs installed."""
    from psycopg import AsyncConnection
    from psycopg.rows import dict_row

    from .gotrue import create_user, hash_password, load_user_by_email
    path = data_dir / "operator.json"
    known = read_password(path)
    password = known or secrets.token_urlsafe(12)
    async with await AsyncConnection.connect(dsn, row_factory=dict_row) as conn:
        async with conn.transaction():
            user = await load_user_by_email(conn, OPERATOR_EMAIL)
            if user is None:
                user = await create_user(conn, email=OPERATOR_EMAIL, password=password,
                                         user_metadata={"display_name": "Demo Operator"},
                                         app_metadata={"role": "operator"})
            elif known is None:
                await conn.execute(
                    "update auth.users set encrypted_password = %s, updated_at = now() "
                    "where id = %s", [await hash_password(password), user["id"]])
            await conn.execute(_ASSIGN_SQL)
    if known is None:
        write_private_json(path, {"email": OPERATOR_EMAIL, "password": password})
    return str(user["id"]), password

-- WYNTEK schema: tables, lifecycle and balance triggers, row-level security.
--
-- Invariants kept by the database itself (whoever writes):
--   * profiles.token_balance changes only through token_ledger inserts, so the ledger
--     always sums to the balance, and it can never go below 0 (check constraint).
--   * jobs.status follows submitted -> reviewing -> in_production -> shipped -> completed,
--     or cancelled / rejected from submitted or reviewing; leaving for cancelled/rejected
--     refunds the job's cost through the ledger; completed sets completed_at and the
--     files' retain_until (completion + 12 months).
--   * A job's owner, idempotency key, spec and cost never change after submission.
-- Users read only their own rows; every other write goes through the functions of the
-- next migration or the service role. Operators (JWT app_metadata.role = 'operator',
-- set only by the service) read and advance the jobs assigned to them.

-- ---------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text,
  display_name text
    constraint profiles_display_name_check
    check (display_name is null
           or (char_length(display_name) between 1 and 100 and display_name !~ '[[:cntrl:]]')),
  token_balance integer not null default 0
    constraint profiles_token_balance_check check (token_balance >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.profiles is 'One row per auth user (created by trigger); balance is ledger-maintained.';

create table public.materials (
  id text primary key constraint materials_id_check check (id ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
  process text not null
    constraint materials_process_check
    check (process in ('fdm', 'sla', 'sls', 'mjf', 'cnc', 'sheet', 'pcb')),
  name text not null constraint materials_name_check check (char_length(name) between 1 and 120),
  description text,
  tokens_per_cm3 numeric not null constraint materials_rate_check
    check (tokens_per_cm3 > 0 and tokens_per_cm3 <= 100000),
  setup_tokens integer not null default 0 constraint materials_setup_check
    check (setup_tokens >= 0),
  build_volume_mm integer[] not null constraint materials_build_volume_check
    check (array_ndims(build_volume_mm) = 1 and cardinality(build_volume_mm) = 3
           and array_position(build_volume_mm, null) is null and 0 < all (build_volume_mm)),
  min_wall_mm numeric constraint materials_min_wall_check check (min_wall_mm > 0),
  active boolean not null default true,
  sort_order integer not null default 0
);
comment on column public.materials.build_volume_mm is 'Largest part envelope x, y, z in mm.';

create table public.jobs (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.profiles (id) on delete cascade,
  client_job_id uuid not null,
  status text not null default 'submitted'
    constraint jobs_status_check
    check (status in ('submitted', 'reviewing', 'in_production', 'shipped', 'completed',
                      'cancelled', 'rejected')),
  process text not null
    constraint jobs_process_check
    check (process in ('fdm', 'sla', 'sls', 'mjf', 'cnc', 'sheet', 'pcb')),
  material_id text not null references public.materials (id),
  quantity integer not null constraint jobs_quantity_check check (quantity between 1 and 10000),
  tolerance_mm numeric not null
    constraint jobs_tolerance_check check (tolerance_mm >= 0.01 and tolerance_mm <= 5),
  volume_cm3 numeric not null
    constraint jobs_volume_check check (volume_cm3 >= 0 and volume_cm3 <= 10000000),
  finish text constraint jobs_finish_check check (char_length(finish) <= 200),
  delivery_instructions text
    constraint jobs_delivery_instructions_check check (char_length(delivery_instructions) <= 2000),
  notes text constraint jobs_notes_check check (char_length(notes) <= 5000),
  token_cost integer not null constraint jobs_token_cost_check check (token_cost >= 0),
  spec jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  completed_at timestamptz,
  constraint jobs_user_client_job_key unique (user_id, client_job_id),
  constraint jobs_id_user_key unique (id, user_id)
);
create index jobs_user_updated_idx on public.jobs (user_id, updated_at);
comment on column public.jobs.spec is 'The spec as submitted; a replay of client_job_id must carry the same spec.';

create table public.job_files (
  id uuid primary key default gen_random_uuid(),
  job_id uuid not null,
  user_id uuid not null,
  storage_path text not null constraint job_files_storage_path_key unique,
  file_name text not null constraint job_files_file_name_check
    check (char_length(file_name) between 1 and 255 and file_name !~ '[[:cntrl:]]'),
  kind text not null
    constraint job_files_kind_check check (kind in ('model', 'drawing', 'gerber', 'other')),
  size_bytes bigint not null constraint job_files_size_check check (size_bytes >= 0),
  sha256 text not null constraint job_files_sha256_check check (sha256 ~ '^[0-9a-f]{64}$'),
  analysis jsonb,
  uploaded_at timestamptz not null default now(),
  deleted_at timestamptz,
  retain_until timestamptz,
  constraint job_files_job_owner_fkey foreign key (job_id, user_id)
    references public.jobs (id, user_id) on delete cascade
);
create index job_files_job_idx on public.job_files (job_id);
create index job_files_user_idx on public.job_files (user_id);
comment on column public.job_files.storage_path is 'Object name in bucket designs: {user_id}/{client_job_id}/{file}.';

create table public.token_ledger (
  id bigint generated always as identity primary key,
  user_id uuid not null references public.profiles (id) on delete cascade,
  delta integer not null constraint token_ledger_delta_check check (delta <> 0),
  reason text not null
    constraint token_ledger_reason_check check (reason in ('purchase', 'grant', 'job', 'refund')),
  job_id uuid references public.jobs (id) on delete set null,
  balance_after integer,
  created_at timestamptz not null default now()
);
create index token_ledger_user_idx on public.token_ledger (user_id, created_at);
create index token_ledger_job_idx on public.token_ledger (job_id);

create table public.job_assignments (
  job_id uuid not null references public.jobs (id) on delete cascade,
  operator_id uuid not null references auth.users (id) on delete cascade,
  assigned_at timestamptz not null default now(),
  primary key (job_id, operator_id)
);
create index job_assignments_operator_idx on public.job_assignments (operator_id);

create table public.support_messages (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  job_id uuid,
  subject text not null
    constraint support_messages_subject_check check (char_length(btrim(subject)) between 1 and 200),
  body text not null
    constraint support_messages_body_check check (char_length(btrim(body)) between 1 and 5000),
  status text not null default 'open'
    constraint support_messages_status_check check (status in ('open', 'answered', 'closed')),
  created_at timestamptz not null default now(),
  constraint support_messages_job_owner_fkey foreign key (job_id, user_id)
    references public.jobs (id, user_id) on delete set null (job_id)
);
create index support_messages_user_idx on public.support_messages (user_id, created_at);

create table public.account_deletion_requests (
  user_id uuid primary key references public.profiles (id) on delete cascade,
  requested_at timestamptz not null default now(),
  status text not null default 'pending'
    constraint account_deletion_requests_status_check
    check (status in ('pending', 'processing', 'completed', 'cancelled')),
  processed_at timestamptz
);

-- ---------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------

-- A profile for every new auth user (GoTrue inserts as supabase_auth_admin).
create function public.handle_new_user() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
  begin
    insert into public.profiles (id, email, display_name)
    values (
      new.id,
      new.email,
      left(nullif(btrim(regexp_replace(
        coalesce(new.raw_user_meta_data ->> 'display_name',
                 new.raw_user_meta_data ->> 'full_name',
                 new.raw_user_meta_data ->> 'name', ''),
        '[[:cntrl:]]', '', 'g')), ''), 100)
    )
    on conflict (id) do nothing;
    return new;
  end
  $$;

create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function public.handle_new_user();

-- Keep profiles.email in step with the auth email.
create function public.handle_user_email_change() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
  begin
    update public.profiles set email = new.email where id = new.id;
    return new;
  end
  $$;

create trigger on_auth_user_email_changed
  after update of email on auth.users
  for each row when (old.email is distinct from new.email)
  execute function public.handle_user_email_change();

-- The balance moves only with a ledger row (the flag is transaction-local and set only
-- by the ledger trigger below).
create function public.profiles_guard() returns trigger
  language plpgsql set search_path = ''
  as $$
  declare
    via_ledger boolean := coalesce(current_setting('wyntek.ledger_write', true), '') = 'on';
  begin
    if tg_op = 'INSERT' then
      if new.token_balance <> 0 and not via_ledger then
        raise exception using errcode = '42501',
          message = 'A new profile starts with 0 tokens; add tokens with grant_tokens.';
      end if;
    else
      if new.id is distinct from old.id then
        raise exception using errcode = '42501', message = 'A profile id cannot change.';
      end if;
      if new.token_balance is distinct from old.token_balance and not via_ledger then
        raise exception using errcode = '42501',
          message = 'The token balance changes only through the token ledger.';
      end if;
      new.created_at := old.created_at;
    end if;
    new.updated_at := now();
    return new;
  end
  $$;

create trigger profiles_guard
  before insert or update on public.profiles
  for each row execute function public.profiles_guard();

create function public.token_ledger_apply() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
  declare
    new_balance integer;
  begin
    perform set_config('wyntek.ledger_write', 'on', true);
    update public.profiles
       set token_balance = token_balance + new.delta
     where id = new.user_id
     returning token_balance into new_balance;
    perform set_config('wyntek.ledger_write', '', true);
    if new_balance is null then
      raise exception using errcode = 'PT404', message = 'No profile for that user.';
    end if;
    update public.token_ledger set balance_after = new_balance where id = new.id;
    return null;
  end
  $$;

create trigger token_ledger_apply
  after insert on public.token_ledger
  for each row execute function public.token_ledger_apply();

-- The ledger is append-only. Writes made by triggers (balance_after above, and the
-- foreign-key actions when a job or an account is deleted) pass; direct ones do not.
create function public.token_ledger_guard() returns trigger
  language plpgsql set search_path = ''
  as $$
  begin
    if pg_trigger_depth() > 1 then
      if tg_op = 'DELETE' then
        return old;
      end if;
      return new;
    end if;
    raise exception using errcode = '42501', message = 'Token ledger entries cannot be changed.';
  end
  $$;

create trigger token_ledger_guard
  before update or delete on public.token_ledger
  for each row execute function public.token_ledger_guard();

-- Job lifecycle: immutable fields, allowed transitions, timestamps.
create function public.jobs_before_update() returns trigger
  language plpgsql set search_path = ''
  as $$
  begin
    if (new.id, new.user_id, new.client_job_id, new.token_cost, new.spec, new.created_at,
        new.material_id, new.quantity, new.tolerance_mm, new.volume_cm3)
       is distinct from
       (old.id, old.user_id, old.client_job_id, old.token_cost, old.spec, old.created_at,
        old.material_id, old.quantity, old.tolerance_mm, old.volume_cm3) then
      raise exception using errcode = '22023',
        message = 'A submitted job''s owner, spec and cost cannot change.';
    end if;
    if new.status is distinct from old.status then
      if (old.status, new.status) not in (
           ('submitted', 'reviewing'), ('submitted', 'cancelled'), ('submitted', 'rejected'),
           ('reviewing', 'in_production'), ('reviewing', 'cancelled'), ('reviewing', 'rejected'),
           ('in_production', 'shipped'), ('shipped', 'completed')) then
        raise exception using errcode = 'PT409',
          message = format('A job cannot move from %s to %s.', old.status, new.status);
      end if;
      if new.status = 'completed' then
        new.completed_at := now();
      end if;
    end if;
    new.updated_at := now();
    return new;
  end
  $$;

create trigger jobs_before_update
  before update on public.jobs
  for each row execute function public.jobs_before_update();

-- Refunds and retention follow status changes (definer: an operator's update must be
-- able to credit the owner's balance).
create function public.jobs_after_update() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
  begin
    if new.status in ('cancelled', 'rejected') and old.status not in ('cancelled', 'rejected')
       and new.token_cost > 0 then
      insert into public.token_ledger (user_id, delta, reason, job_id)
      values (new.user_id, new.token_cost, 'refund', new.id);
    end if;
    if new.status = 'completed' and old.status <> 'completed' then
      update public.job_files
         set retain_until = new.completed_at + interval '12 months'
       where job_id = new.id;
    end if;
    return null;
  end
  $$;

create trigger jobs_after_update
  after update of status on public.jobs
  for each row when (old.status is distinct from new.status)
  execute function public.jobs_after_update();

create function public.job_files_before_insert() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
  begin
    select j.completed_at + interval '12 months' into new.retain_until
      from public.jobs j where j.id = new.job_id;
    return new;
  end
  $$;

create trigger job_files_before_insert
  before insert on public.job_files
  for each row execute function public.job_files_before_insert();

revoke execute on function public.handle_new_user(), public.handle_user_email_change(),
  public.profiles_guard(), public.token_ledger_apply(), public.token_ledger_guard(),
  public.jobs_before_update(), public.jobs_after_update(), public.job_files_before_insert()
  from public, anon, authenticated;

-- ---------------------------------------------------------------------------------------
-- Privileges: RLS decides rows, grants decide verbs and columns. Hosted projects grant
-- everything in public to the API roles by default, so start from nothing.
-- ---------------------------------------------------------------------------------------
revoke all on public.profiles, public.materials, public.jobs, public.job_files,
  public.token_ledger, public.job_assignments, public.support_messages,
  public.account_deletion_requests from anon, authenticated;

grant select on public.profiles, public.materials, public.jobs, public.job_files,
  public.token_ledger, public.job_assignments, public.support_messages,
  public.account_deletion_requests to authenticated;
grant update (display_name) on public.profiles to authenticated;
grant update (status) on public.jobs to authenticated;
grant insert (user_id, job_id, subject, body) on public.support_messages to authenticated;

grant select, insert, update, delete on public.profiles, public.materials, public.jobs,
  public.job_files, public.token_ledger, public.job_assignments, public.support_messages,
  public.account_deletion_requests to service_role;
revoke truncate on public.profiles, public.jobs, public.job_files, public.token_ledger,
  public.support_messages, public.account_deletion_requests from service_role;

-- ---------------------------------------------------------------------------------------
-- Row-level security
-- ---------------------------------------------------------------------------------------
alter table public.profiles enable row level security;
alter table public.materials enable row level security;
alter table public.jobs enable row level security;
alter table public.job_files enable row level security;
alter table public.token_ledger enable row level security;
alter table public.job_assignments enable row level security;
alter table public.support_messages enable row level security;
alter table public.account_deletion_requests enable row level security;

create policy "profiles: owner reads" on public.profiles
  for select to authenticated
  using (id = (select auth.uid()));

create policy "profiles: owner updates display name" on public.profiles
  for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));

create policy "materials: signed-in users read" on public.materials
  for select to authenticated
  using (true);

create policy "jobs: owner reads" on public.jobs
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy "jobs: assigned operator reads" on public.jobs
  for select to authenticated
  using (
    ((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'operator'
    and exists (select 1 from public.job_assignments a
                where a.job_id = jobs.id and a.operator_id = (select auth.uid())));

create policy "jobs: assigned operator advances" on public.jobs
  for update to authenticated
  using (
    ((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'operator'
    and exists (select 1 from public.job_assignments a
                where a.job_id = jobs.id and a.operator_id = (select auth.uid())))
  with check (
    ((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'operator'
    and exists (select 1 from public.job_assignments a
                where a.job_id = jobs.id and a.operator_id = (select auth.uid())));

create policy "job_files: owner reads" on public.job_files
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy "job_files: assigned operator reads" on public.job_files
  for select to authenticated
  using (
    ((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'operator'
    and exists (select 1 from public.job_assignments a
                where a.job_id = job_files.job_id and a.operator_id = (select auth.uid())));

create policy "token_ledger: owner reads" on public.token_ledger
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy "job_assignments: operator reads own" on public.job_assignments
  for select to authenticated
  using (
    operator_id = (select auth.uid())
    and ((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'operator');

create policy "support_messages: owner reads" on public.support_messages
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy "support_messages: owner writes about own jobs" on public.support_messages
  for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and (job_id is null
         or exists (select 1 from public.jobs j
                    where j.id = support_messages.job_id and j.user_id = (select auth.uid()))));

create policy "account_deletion_requests: owner reads" on public.account_deletion_requests
  for select to authenticated
  using (user_id = (select auth.uid()));

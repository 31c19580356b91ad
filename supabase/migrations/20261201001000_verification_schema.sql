-- Intake verification (SPEC §5.1) and the job history (SPEC §5.2, job_events).
--
-- The client's volume, sizes and hashes are claims; the service worker measures the
-- stored files and records what it found in these columns. job_events is written only by
-- the database (triggers below): the submission, every status change and every
-- verification outcome, one row each.

-- ---------------------------------------------------------------------------------------
-- jobs: what the service measured
-- ---------------------------------------------------------------------------------------
alter table public.jobs
  add column verification text not null default 'pending'
    constraint jobs_verification_check
    check (verification in ('pending', 'passed', 'adjusted', 'needs_tokens', 'failed')),
  add column verified_volume_cm3 numeric
    constraint jobs_verified_volume_check
    check (verified_volume_cm3 >= 0 and verified_volume_cm3 <= 10000000),
  add column verified_board_area_cm2 numeric
    constraint jobs_verified_board_area_check
    check (verified_board_area_cm2 >= 0 and verified_board_area_cm2 <= 1000000),
  add column verified_copper_layers integer
    constraint jobs_verified_copper_layers_check
    check (verified_copper_layers between 0 and 64),
  add column verified_at timestamptz,
  add column verification_note text
    constraint jobs_verification_note_check check (char_length(verification_note) <= 2000),
  add column quoted_cost integer
    constraint jobs_quoted_cost_check check (quoted_cost >= 0),
  add column verification_requested_at timestamptz;

comment on column public.jobs.verification_requested_at is
  'When submit_job asked the service to verify the files (null: the job was not submitted '
  'through submit_job and is not verified).';

-- Jobs from before verification existed were charged what they were quoted.
update public.jobs set quoted_cost = token_cost where quoted_cost is null;
-- Jobs still waiting for review get verified too.
update public.jobs set verification_requested_at = now() where status = 'submitted';
alter table public.jobs alter column quoted_cost set not null;

-- A job inserted without a quoted cost (by the service) was quoted its token cost.
create function public.jobs_default_quoted_cost() returns trigger
  language plpgsql set search_path = ''
  as $$
  begin
    new.quoted_cost := coalesce(new.quoted_cost, new.token_cost);
    return new;
  end
  $$;

create trigger jobs_default_quoted_cost
  before insert on public.jobs
  for each row execute function public.jobs_default_quoted_cost();

revoke execute on function public.jobs_default_quoted_cost() from public, anon, authenticated;

comment on column public.jobs.verification is
  'pending | passed | adjusted | needs_tokens | failed: what the service found in the stored files.';
comment on column public.jobs.quoted_cost is
  'Tokens debited at submission (from the declared volume); token_cost is the final cost.';

create index jobs_pending_verification_idx on public.jobs (created_at)
  where verification = 'pending' and status = 'submitted';

-- PCB materials make boards of up to this many copper layers.
alter table public.materials
  add column copper_layers integer
    constraint materials_copper_layers_check check (copper_layers between 1 and 64);
update public.materials set copper_layers = 2 where id = 'pcb-fr4-2l';
update public.materials set copper_layers = 4 where id = 'pcb-fr4-4l';
comment on column public.materials.copper_layers is
  'PCB only: the most copper layers this material makes. For process pcb, tokens_per_cm3 '
  'is read as tokens per cm2 of board (the outline''s bounding box).';

-- ---------------------------------------------------------------------------------------
-- token_ledger: verification differences are 'adjustment' lines, at most one per job
-- ---------------------------------------------------------------------------------------
alter table public.token_ledger drop constraint token_ledger_reason_check;
alter table public.token_ledger add constraint token_ledger_reason_check
  check (reason in ('purchase', 'grant', 'job', 'refund', 'adjustment'));

create unique index token_ledger_one_adjustment_per_job
  on public.token_ledger (job_id) where reason = 'adjustment';

-- ---------------------------------------------------------------------------------------
-- job_events
-- ---------------------------------------------------------------------------------------
create table public.job_events (
  id bigint generated always as identity primary key,
  job_id uuid not null,
  user_id uuid not null,
  status text not null,
  verification text,
  note text constraint job_events_note_check check (char_length(note) <= 2000),
  actor text not null
    constraint job_events_actor_check check (actor in ('customer', 'operator', 'service')),
  created_at timestamptz not null default now(),
  constraint job_events_job_owner_fkey foreign key (job_id, user_id)
    references public.jobs (id, user_id) on delete cascade
);
create index job_events_job_idx on public.job_events (job_id, user_id, id);
create index job_events_user_idx on public.job_events (user_id, id);
comment on table public.job_events is
  'History of a job, written only by triggers: submission, status changes, verification '
  'outcomes. user_id is the job''s owner; verification is set on verification outcomes.';

-- Who made the change, from the request's JWT (no JWT: the service working in SQL).
create function public.job_event_actor(owner uuid) returns text
  language sql stable security invoker set search_path = ''
  as $$
    select case
      when auth.role() = 'service_role' or auth.uid() is null then 'service'
      when auth.uid() = owner then 'customer'
      when (auth.jwt() -> 'app_metadata' ->> 'role') = 'operator' then 'operator'
      else 'service'
    end
  $$;

-- A function that changes a job may leave a sentence for its event in the
-- transaction-local setting wyntek.event_note (e.g. an operator's note).
create function public.job_events_record() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
  declare
    given_note text := nullif(current_setting('wyntek.event_note', true), '');
    verification_changed boolean;
  begin
    if tg_op = 'INSERT' then
      insert into public.job_events (job_id, user_id, status, verification, note, actor)
      values (new.id, new.user_id, new.status, null,
              coalesce(given_note, 'Submitted.'), public.job_event_actor(new.user_id));
      return null;
    end if;
    verification_changed := new.verification is distinct from old.verification;
    if new.status is distinct from old.status or verification_changed then
      insert into public.job_events (job_id, user_id, status, verification, note, actor)
      values (new.id, new.user_id, new.status,
              case when verification_changed then new.verification end,
              left(coalesce(given_note,
                            case when verification_changed then new.verification_note end), 2000),
              public.job_event_actor(new.user_id));
    end if;
    return null;
  end
  $$;

create trigger job_events_on_insert
  after insert on public.jobs
  for each row execute function public.job_events_record();

create trigger job_events_on_update
  after update of status, verification on public.jobs
  for each row execute function public.job_events_record();

revoke execute on function public.job_event_actor(uuid), public.job_events_record()
  from public, anon, authenticated;

revoke all on public.job_events from anon, authenticated, service_role;
grant select on public.job_events to authenticated, service_role;

alter table public.job_events enable row level security;

create policy "job_events: owner or assigned operator reads" on public.job_events
  for select to authenticated
  using (
    user_id = (select auth.uid())
    or (((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'operator'
        and exists (select 1 from public.job_assignments a
                    where a.job_id = job_events.job_id
                      and a.operator_id = (select auth.uid()))));


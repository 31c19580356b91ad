-- The privacy policy kept by the service (SPEC 5.4): financial records outlive the
-- account, deletion requests carry their date, preferences and objections, policy
-- versions, file retention notices.
--
-- Removing an auth user (the deletion task, or anyone through the GoTrue admin API)
-- removes the profile, support messages and policy records, and never a financial record:
-- jobs, job_files metadata, job_events, token_ledger and purchases keep their rows with
-- user_id set null and personal fields cleared (anonymised_at says when). They are
-- removed 7 years later by the deletions task (prune_financial_records).

-- ---------------------------------------------------------------------------------------
-- Owners may go away: set null instead of cascade
-- ---------------------------------------------------------------------------------------
alter table public.jobs alter column user_id drop not null;
alter table public.jobs drop constraint jobs_user_id_fkey;
alter table public.jobs add constraint jobs_user_id_fkey
  foreign key (user_id) references public.profiles (id) on delete set null;
alter table public.jobs add column anonymised_at timestamptz;
comment on column public.jobs.anonymised_at is
  'When the owner''s account was removed: user_id, delivery instructions and notes cleared.';

-- Children follow their job's owner to null (on update cascade). A composite key with a
-- null part is not enforced, so prune_financial_records removes an ownerless job's
-- children itself (a second, plain job_id key would make REST embedding ambiguous).
alter table public.job_files alter column user_id drop not null;
alter table public.job_files drop constraint job_files_job_owner_fkey;
alter table public.job_files add constraint job_files_job_owner_fkey
  foreign key (job_id, user_id) references public.jobs (id, user_id)
  on update cascade on delete cascade;
alter table public.job_files add column anonymised_at timestamptz;

alter table public.job_events alter column user_id drop not null;
alter table public.job_events drop constraint job_events_job_owner_fkey;
alter table public.job_events add constraint job_events_job_owner_fkey
  foreign key (job_id, user_id) references public.jobs (id, user_id)
  on update cascade on delete cascade;

-- Support messages go with the profile; their same-owner key is checked at commit, when
-- the profile's cascade has removed them.
alter table public.support_messages drop constraint support_messages_job_owner_fkey;
alter table public.support_messages add constraint support_messages_job_owner_fkey
  foreign key (job_id, user_id) references public.jobs (id, user_id)
  on delete set null (job_id) deferrable initially deferred;

alter table public.token_ledger alter column user_id drop not null;
alter table public.token_ledger drop constraint token_ledger_user_id_fkey;
alter table public.token_ledger add constraint token_ledger_user_id_fkey
  foreign key (user_id) references public.profiles (id) on delete set null;
alter table public.token_ledger add column anonymised_at timestamptz;

alter table public.purchases add column anonymised_at timestamptz;

-- The request is the record that the deletion was carried out: it outlives the profile.
alter table public.account_deletion_requests
  drop constraint account_deletion_requests_user_id_fkey;

-- ---------------------------------------------------------------------------------------
-- Anonymising when the owner goes
-- ---------------------------------------------------------------------------------------
-- The lifecycle guard applies to owned jobs; a job losing or without its owner has its
-- own guard below.
drop trigger jobs_before_update on public.jobs;
create trigger jobs_before_update
  before update on public.jobs
  for each row when (old.user_id is not null and new.user_id is not null)
  execute function public.jobs_before_update();

-- Jobs whose owner's account was removed:
--   * a job not yet in production (submitted, reviewing) is cancelled with its owner's
--     removal (an admin delete through GoTrue skips the deletion task, which cancels and
--     refunds first): nobody is left to verify, review or ship it for. No refund: the
--     balance went with the profile;
--   * reorders (jobs.reorder_of, on delete set null) and the 7-year prune: when the pruned
--     job was repeated by a job of a deleted account, that job's reorder_of goes to null;
--     the guard of ownerless jobs lets exactly that through.
create function public.jobs_without_owner() returns trigger
  language plpgsql set search_path = ''
  as $$
  declare
    fixed text[] := array['user_id', 'status', 'completed_at', 'updated_at',
                          'delivery_instructions', 'notes', 'spec', 'anonymised_at'];
  begin
    if old.user_id is not null then
      -- The owner's account is being removed: only the owner goes, and what identifies
      -- a person with it (the delivery address is in the instructions or the notes).
      if (to_jsonb(new) - 'user_id') is distinct from (to_jsonb(old) - 'user_id') then
        raise exception using errcode = '22023',
          message = 'Removing a job''s owner changes nothing else about the job.';
      end if;
      new.delivery_instructions := null;
      new.notes := null;
      new.spec := new.spec - 'delivery_instructions' - 'notes';
      new.anonymised_at := now();
      new.updated_at := now();
      if new.status in ('submitted', 'reviewing') then
        new.status := 'cancelled';
      end if;
      return new;
    end if;
    if new.user_id is not null then
      raise exception using errcode = '22023',
        message = 'A job of a deleted account cannot get an owner again.';
    end if;
    -- A financial record: frozen, except that work already in production may finish.
    if (to_jsonb(new) ->> 'reorder_of') is null then
      fixed := array_append(fixed, 'reorder_of');  -- the repeated job was pruned
    end if;
    if (to_jsonb(new) - fixed) is distinct from (to_jsonb(old) - fixed)
       or (new.delivery_instructions, new.notes, new.spec, new.anonymised_at)
          is distinct from (old.delivery_instructions, old.notes, old.spec, old.anonymised_at)
    then
      raise exception using errcode = '22023',
        message = 'The job of a deleted account is a financial record and cannot change.';
    end if;
    if new.status is distinct from old.status then
      if (old.status, new.status) not in (('reviewing', 'in_production'),
                                          ('in_production', 'shipped'),
                                          ('shipped', 'completed')) then
        raise exception using errcode = 'PT409',
          message = format('A job of a deleted account cannot move from %s to %s.',
                           old.status, new.status);
      end if;
      if new.status = 'completed' then
        new.completed_at := now();
      end if;
    end if;
    new.updated_at := now();
    return new;
  end
  $$;

create trigger jobs_without_owner
  before update on public.jobs
  for each row when (old.user_id is null or new.user_id is null)
  execute function public.jobs_without_owner();

create function public.stamp_anonymised() returns trigger
  language plpgsql set search_path = ''
  as $$
  begin
    new.anonymised_at := coalesce(new.anonymised_at, now());
    return new;
  end
  $$;

create trigger job_files_owner_removed
  before update of user_id on public.job_files
  for each row when (old.user_id is not null and new.user_id is null)
  execute function public.stamp_anonymised();
create trigger token_ledger_owner_removed
  before update of user_id on public.token_ledger
  for each row when (old.user_id is not null and new.user_id is null)
  execute function public.stamp_anonymised();
create trigger purchases_owner_removed
  before update of user_id on public.purchases
  for each row when (old.user_id is not null and new.user_id is null)
  execute function public.stamp_anonymised();

-- The ledger stays append-only; the 7-year pruning of a deleted account's rows is the
-- one direct delete (prune_financial_records sets the transaction-local flag).
create or replace function public.token_ledger_guard() returns trigger
  language plpgsql set search_path = ''
  as $$
  begin
    if pg_trigger_depth() > 1 then
      if tg_op = 'DELETE' then
        return old;
      end if;
      return new;
    end if;
    if tg_op = 'DELETE' and old.user_id is null
       and coalesce(current_setting('wyntek.ledger_prune', true), '') = 'on' then
      return old;
    end if;
    raise exception using errcode = '42501', message = 'Token ledger entries cannot be changed.';
  end
  $$;

-- Every removed account, however it was removed: the deletions task clears what Storage
-- still holds under its folder (an admin delete through GoTrue leaves the objects).
create table public.removed_accounts (
  user_id uuid primary key,
  removed_at timestamptz not null default now(),
  storage_cleared_at timestamptz
);
comment on table public.removed_accounts is
  'Accounts whose profile was removed; storage_cleared_at: their objects are gone too.';

create function public.profiles_after_delete() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
  begin
    insert into public.removed_accounts (user_id) values (old.id)
    on conflict (user_id) do update set storage_cleared_at = null, removed_at = now();
    return null;
  end
  $$;

create trigger profiles_after_delete
  after delete on public.profiles
  for each row execute function public.profiles_after_delete();

-- ---------------------------------------------------------------------------------------
-- Account deletion: the date it is carried out, cancellation
-- ---------------------------------------------------------------------------------------
create table public.privacy_settings (
  id boolean primary key default true constraint privacy_settings_one_row check (id),
  deletion_grace_days integer not null default 7
    constraint privacy_settings_grace_check check (deletion_grace_days between 0 and 30),
  updated_at timestamptz not null default now()
);
insert into public.privacy_settings (id) values (true) on conflict (id) do nothing;
comment on table public.privacy_settings is
  'Service settings; deletion_grace_days is the worker''s --deletion-grace-days (<= 30).';

alter table public.account_deletion_requests
  add column scheduled_for timestamptz,
  add column cancelled_at timestamptz,
  add column note text constraint account_deletion_requests_note_check
    check (char_length(note) <= 500),
  add constraint account_deletion_requests_within_30_days
    check (scheduled_for is null or scheduled_for <= requested_at + interval '30 days');
comment on column public.account_deletion_requests.scheduled_for is
  'When the deletion is carried out: the request plus the grace period (at most 30 days).';
comment on column public.account_deletion_requests.note is
  'Why a due deletion waits (e.g. a job still in production), for the user.';

update public.account_deletion_requests
   set scheduled_for = requested_at + interval '7 days'
 where status in ('pending', 'processing');

create function public.account_deletion_requests_dates() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
  declare
    grace integer;
  begin
    if new.status = 'pending' and (tg_op = 'INSERT' or old.status is distinct from 'pending') then
      select s.deletion_grace_days into grace from public.privacy_settings s where s.id;
      new.scheduled_for := new.requested_at + make_interval(days => coalesce(grace, 7));
      new.cancelled_at := null;
      new.note := null;
    elsif new.status = 'cancelled' and old.status is distinct from 'cancelled' then
      new.cancelled_at := now();
      new.note := null;
    end if;
    return new;
  end
  $$;

create trigger account_deletion_requests_dates
  before insert or update of status on public.account_deletion_requests
  for each row execute function public.account_deletion_requests_dates();

create index account_deletion_requests_due_idx on public.account_deletion_requests
  (scheduled_for) where status in ('pending', 'processing');

-- ---------------------------------------------------------------------------------------
-- The right to object
-- ---------------------------------------------------------------------------------------
alter table public.profiles
  add column processing_objection boolean not null default false,
  add column objected_at timestamptz;
comment on column public.profiles.processing_objection is
  'The user objects to processing beyond the contract: no status-update mail, and the '
  'files of completed jobs are removed at once instead of kept 12 months for reorders.';

-- ---------------------------------------------------------------------------------------
-- Policy versions and what each user was shown
-- ---------------------------------------------------------------------------------------
create table public.policy_versions (
  version text primary key
    constraint policy_versions_version_check check (version ~ '^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$'),
  published_at timestamptz not null default now(),
  summary text not null
    constraint policy_versions_summary_check check (char_length(btrim(summary)) between 1 and 4000),
  url text constraint policy_versions_url_check check (url ~ '^https://')
);
comment on table public.policy_versions is
  'Privacy policy versions; summary says what changed. Published by the service role.';

create table public.policy_acknowledgements (
  user_id uuid not null references public.profiles (id) on delete cascade,
  version text not null references public.policy_versions (version) on delete cascade,
  shown_at timestamptz not null default now(),
  primary key (user_id, version)
);
create index policy_acknowledgements_version_idx on public.policy_acknowledgements (version);

insert into public.policy_versions (version, published_at, summary) values
  ('2026-11-27', '2026-11-27T00:00:00Z',
   'First published version: design files are kept 12 months after a job is completed; '
   'an account is deleted within 30 days of the request; financial records are kept '
   '7 years without your name or email address.')
on conflict (version) do nothing;

-- ---------------------------------------------------------------------------------------
-- Retention: the 14-day notice before a job's files are removed, once per job
-- ---------------------------------------------------------------------------------------
create table public.retention_notices (
  job_id uuid primary key references public.jobs (id) on delete cascade,
  files_expire_at timestamptz not null,
  warned_at timestamptz not null default now()
);
comment on table public.retention_notices is
  'One row per job whose owner was told its files will be removed (the primary key makes '
  'it once); removal waits 14 days after warned_at.';
create index job_files_retention_due_idx on public.job_files (retain_until)
  where deleted_at is null;

-- ---------------------------------------------------------------------------------------
-- Privileges and row-level security
-- ---------------------------------------------------------------------------------------
revoke all on public.removed_accounts, public.privacy_settings, public.policy_versions,
  public.policy_acknowledgements, public.retention_notices from anon, authenticated;
grant select on public.policy_versions, public.policy_acknowledgements,
  public.retention_notices to authenticated;
grant select, insert, update, delete on public.removed_accounts, public.policy_versions,
  public.policy_acknowledgements, public.retention_notices to service_role;
grant select, update on public.privacy_settings to service_role;

alter table public.removed_accounts enable row level security;
alter table public.privacy_settings enable row level security;
alter table public.policy_versions enable row level security;
alter table public.policy_acknowledgements enable row level security;
alter table public.retention_notices enable row level security;

-- Closed on purpose: service bookkeeping (the service role bypasses RLS).
create policy "removed_accounts: no API access" on public.removed_accounts
  for select to anon, authenticated using (false);
create policy "privacy_settings: no API access" on public.privacy_settings
  for select to anon, authenticated using (false);
create policy "policy_versions: signed-in users read published" on public.policy_versions
  for select to authenticated using (published_at <= now());
create policy "policy_acknowledgements: owner reads" on public.policy_acknowledgements
  for select to authenticated using (user_id = (select auth.uid()));
create policy "retention_notices: owner reads" on public.retention_notices
  for select to authenticated
  using (exists (select 1 from public.jobs j
                  where j.id = retention_notices.job_id and j.user_id = (select auth.uid())));

revoke execute on function public.jobs_without_owner(), public.stamp_anonymised(),
  public.profiles_after_delete(), public.account_deletion_requests_dates(),
  public.token_ledger_guard()
  from public, anon, authenticated;

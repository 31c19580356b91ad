-- Privacy functions (SPEC 5.4). For signed-in users: cancel_account_deletion,
-- set_privacy_preferences, pending_policy_version, acknowledge_policy, export_my_data
-- (now with job_events, purchases and policy records) and export_my_data_summary.
-- For the service role (the worker's retention and deletions tasks): the rest.

-- ---------------------------------------------------------------------------------------
-- Signed-in users
-- ---------------------------------------------------------------------------------------

-- cancel_account_deletion() -> the request row. Repeating it changes nothing; a deletion
-- already being carried out can no longer be cancelled.
create function public.cancel_account_deletion()
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    uid uuid := auth.uid();
    req public.account_deletion_requests;
  begin
    if uid is null then
      raise exception using errcode = '42501', message = 'Sign in to cancel an account deletion.';
    end if;
    select * into req from public.account_deletion_requests r where r.user_id = uid for update;
    if not found then
      raise exception using errcode = 'PT404',
        message = 'There is no account deletion request to cancel.';
    end if;
    if req.status = 'pending' then
      update public.account_deletion_requests r set status = 'cancelled'
       where r.user_id = uid returning * into req;
    elsif req.status <> 'cancelled' then
      raise exception using errcode = 'PT409',
        message = 'Your account is already being deleted; this can no longer be cancelled.';
    end if;
    return to_jsonb(req);
  end
  $$;

-- set_privacy_preferences(email_job_updates, processing_objection) -> the profile. A null
-- argument keeps that setting. Objecting also stops status-update mail.
create function public.set_privacy_preferences(
  email_job_updates boolean default null, processing_objection boolean default null)
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    uid uuid := auth.uid();
    prof public.profiles;
  begin
    if uid is null then
      raise exception using errcode = '42501', message = 'Sign in to change your preferences.';
    end if;
    update public.profiles p
       set processing_objection = coalesce(set_privacy_preferences.processing_objection,
                                           p.processing_objection),
           objected_at = case
             when set_privacy_preferences.processing_objection is true
               then coalesce(p.objected_at, now())
             when set_privacy_preferences.processing_objection is false then null
             else p.objected_at end,
           email_job_updates = case
             when set_privacy_preferences.processing_objection is true then false
             else coalesce(set_privacy_preferences.email_job_updates, p.email_job_updates) end
     where p.id = uid
    returning * into prof;
    if not found then
      raise exception using errcode = 'PT404', message = 'Your profile was not found.';
    end if;
    if prof.processing_objection and set_privacy_preferences.email_job_updates is true then
      raise exception using errcode = '22023',
        message = 'Withdraw your objection to processing before turning job updates back on.';
    end if;
    return to_jsonb(prof);
  end
  $$;

-- pending_policy_version() -> the newest published policy version if the caller has not
-- been shown it and it came out after they joined, else null.
create function public.pending_policy_version()
  returns jsonb
  language plpgsql stable security definer set search_path = ''
  as $$
  declare
    uid uuid := auth.uid();
    newest public.policy_versions;
    joined timestamptz;
  begin
    if uid is null then
      raise exception using errcode = '42501', message = 'Sign in to read the policy notices.';
    end if;
    select * into newest from public.policy_versions v where v.published_at <= now()
     order by v.published_at desc, v.version desc limit 1;
    select p.created_at into joined from public.profiles p where p.id = uid;
    if newest.version is null or joined is null or newest.published_at <= joined
       or exists (select 1 from public.policy_acknowledgements a
                   where a.user_id = uid and a.version = newest.version) then
      return null;
    end if;
    return to_jsonb(newest);
  end
  $$;

-- acknowledge_policy(version) -> {version, shown_at, first_time}: records once that the
-- caller was shown that version.
create function public.acknowledge_policy(version text)
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    uid uuid := auth.uid();
    ack public.policy_acknowledgements;
    inserted boolean := false;
  begin
    if uid is null then
      raise exception using errcode = '42501', message = 'Sign in to acknowledge the policy.';
    end if;
    perform 1 from public.policy_versions v
     where v.version = acknowledge_policy.version and v.published_at <= now();
    if not found then
      raise exception using errcode = 'PT404',
        message = format('There is no published policy version %s.', acknowledge_policy.version);
    end if;
    insert into public.policy_acknowledgements as a (user_id, version)
    values (uid, acknowledge_policy.version)
    on conflict on constraint policy_acknowledgements_pkey do nothing
    returning a.* into ack;
    inserted := found;
    if not inserted then
      select * into ack from public.policy_acknowledgements a
       where a.user_id = uid and a.version = acknowledge_policy.version;
    end if;
    return jsonb_build_object('version', ack.version, 'shown_at', ack.shown_at,
                              'first_time', inserted);
  end
  $$;

-- export_my_data() now also carries the job history, purchases and policy records.
create or replace function public.export_my_data()
  returns jsonb
  language plpgsql stable security invoker set search_path = ''
  as $$
  declare
    uid uuid := auth.uid();
  begin
    if uid is null then
      raise exception using errcode = '42501', message = 'Sign in to export your data.';
    end if;
    return jsonb_build_object(
      'exported_at', now(),
      'profile', (select to_jsonb(p) from public.profiles p where p.id = uid),
      'jobs', coalesce((select jsonb_agg(to_jsonb(j) order by j.created_at, j.id)
                          from public.jobs j where j.user_id = uid), '[]'::jsonb),
      'job_events', coalesce((select jsonb_agg(to_jsonb(e) order by e.id)
                                from public.job_events e where e.user_id = uid), '[]'::jsonb),
      'files', coalesce((select jsonb_agg(to_jsonb(f) order by f.uploaded_at, f.id)
                           from public.job_files f where f.user_id = uid), '[]'::jsonb),
      'ledger', coalesce((select jsonb_agg(to_jsonb(l) order by l.id)
                            from public.token_ledger l where l.user_id = uid), '[]'::jsonb),
      'purchases', coalesce((select jsonb_agg(to_jsonb(b) order by b.created_at, b.id)
                               from public.purchases b where b.user_id = uid), '[]'::jsonb),
      'support_messages', coalesce((select jsonb_agg(to_jsonb(s) order by s.created_at, s.id)
                                      from public.support_messages s where s.user_id = uid),
                                   '[]'::jsonb),
      'account_deletion_requests', coalesce((select jsonb_agg(to_jsonb(r))
                                               from public.account_deletion_requests r
                                              where r.user_id = uid), '[]'::jsonb),
      'policy_acknowledgements', coalesce((select jsonb_agg(to_jsonb(a) order by a.shown_at)
                                             from public.policy_acknowledgements a
                                            where a.user_id = uid), '[]'::jsonb));
  end
  $$;

-- export_my_data_summary() -> {section: number of entries} of exactly that export.
create function public.export_my_data_summary()
  returns jsonb
  language sql stable security invoker set search_path = ''
  as $$
    select coalesce(jsonb_object_agg(e.key, case jsonb_typeof(e.value)
                                              when 'array' then jsonb_array_length(e.value)
                                              when 'null' then 0 else 1 end), '{}'::jsonb)
      from jsonb_each(public.export_my_data()) as e
     where e.key <> 'exported_at'
  $$;

-- ---------------------------------------------------------------------------------------
-- Service role: settings
-- ---------------------------------------------------------------------------------------
create function public.require_service_role() returns void
  language plpgsql stable set search_path = ''
  as $$
  begin
    if auth.role() is distinct from 'service_role' then
      raise exception using errcode = '42501', message = 'Only the service can do this.';
    end if;
  end
  $$;

-- set_deletion_grace_days(days) -> days: the grace period of requests made from now on.
create function public.set_deletion_grace_days(days integer)
  returns integer
  language plpgsql volatile security definer set search_path = ''
  as $$
  begin
    perform public.require_service_role();
    if days is null or days not between 0 and 30 then
      raise exception using errcode = '22023',
        message = 'The grace period before an account is deleted is 0 to 30 days.';
    end if;
    update public.privacy_settings s set deletion_grace_days = days, updated_at = now()
     where s.id and s.deletion_grace_days is distinct from days;
    return days;
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- Service role: retention
-- ---------------------------------------------------------------------------------------
-- queue_retention_warnings(days_ahead) -> jobs warned now: the owner of each job whose
-- files expire within days_ahead is told once (retention_notices' key).
create function public.queue_retention_warnings(days_ahead integer default 14)
  returns integer
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    job record;
    warned integer := 0;
  begin
    perform public.require_service_role();
    for job in
      select j.id, j.user_id, min(f.retain_until) as expires,
             string_agg(f.file_name, ', ' order by f.file_name) as names, count(*) as n
        from public.jobs j
        join public.job_files f on f.job_id = j.id
        join public.profiles p on p.id = j.user_id
       where f.deleted_at is null and f.retain_until is not null
         and f.retain_until <= now() + make_interval(days => days_ahead)
         and not p.processing_objection
         and not exists (select 1 from public.retention_notices n where n.job_id = j.id)
       group by j.id, j.user_id
    loop
      insert into public.retention_notices (job_id, files_expire_at)
      values (job.id, job.expires) on conflict (job_id) do nothing;
      if found then
        warned := warned + 1;
        perform public.enqueue_email(
          job.user_id, 'retention_warning', 'retention-warning:' || job.id,
          format('The files of job %s will be removed on %s', left(job.id::text, 8),
                 to_char(greatest(job.expires, now() + interval '14 days') at time zone 'UTC',
                         'YYYY-MM-DD')),
          array[
            format('Job %s was completed a year ago. As our privacy policy says, we keep '
                   'the design files of a completed job for 12 months; the %s stored '
                   'file(s) of this job (%s) will be removed on or after %s UTC.',
                   left(job.id::text, 8), job.n, left(job.names, 500),
                   to_char(greatest(job.expires, now() + interval '14 days') at time zone 'UTC',
                           'YYYY-MM-DD')),
            'If you still need them, download them in WYNTEK Desktop before then. The job '
              || 'itself, its price and its history stay in your account.',
            format('Job id: %s.', job.id)]);
      end if;
    end loop;
    return warned;
  end
  $$;

-- retention_due(max_count) -> stored files to remove now: past retain_until and warned at
-- least 14 days ago (or nobody to warn), or of a completed job whose owner objects.
create function public.retention_due(max_count integer default 500)
  returns table (storage_path text, job_id uuid)
  language plpgsql stable security definer set search_path = ''
  as $$
  begin
    perform public.require_service_role();
    return query
      select f.storage_path, f.job_id
        from public.job_files f
        join public.jobs j on j.id = f.job_id
        left join public.profiles p on p.id = j.user_id
        left join public.retention_notices n on n.job_id = j.id
       where f.deleted_at is null
         and ((f.retain_until <= now()
               and (p.id is null or p.processing_objection
                    or n.warned_at <= now() - interval '14 days'))
              or (j.status = 'completed' and p.processing_objection))
       order by f.retain_until nulls first, f.storage_path
       limit greatest(1, least(coalesce(max_count, 500), 5000));
  end
  $$;

-- record_objects_removed(paths) -> rows marked: job_files whose object the service
-- removed through the Storage API (only those really gone from Storage are marked).
create function public.record_objects_removed(paths text[])
  returns integer
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    marked integer;
  begin
    perform public.require_service_role();
    update public.job_files f set deleted_at = now()
     where f.storage_path = any (paths) and f.deleted_at is null
       and not exists (select 1 from storage.objects o
                        where o.bucket_id = 'designs' and o.name = f.storage_path);
    get diagnostics marked = row_count;
    return marked;
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- Service role: account deletion
-- ---------------------------------------------------------------------------------------
-- due_account_deletions(max_count) -> requests to carry out now (and any left half-way).
create function public.due_account_deletions(max_count integer default 50)
  returns setof public.account_deletion_requests
  language plpgsql stable security definer set search_path = ''
  as $$
  begin
    perform public.require_service_role();
    return query
      select * from public.account_deletion_requests r
       where (r.status = 'pending' and r.scheduled_for <= now()) or r.status = 'processing'
       order by r.scheduled_for, r.user_id
       limit greatest(1, least(coalesce(max_count, 50), 500));
  end
  $$;

-- begin_account_deletion(user_id) -> {state: 'processing' | 'waiting' | 'done' | 'skipped'}.
-- Jobs not yet in production are cancelled and refunded; a job in production or shipped
-- is finished first (state 'waiting', with a note the user can read).
create function public.begin_account_deletion(user_id uuid)
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    req public.account_deletion_requests;
    live text;
  begin
    perform public.require_service_role();
    select * into req from public.account_deletion_requests r
     where r.user_id = begin_account_deletion.user_id for update;
    if not found or req.status in ('cancelled') or
       (req.status = 'pending' and req.scheduled_for > now()) then
      return jsonb_build_object('state', 'skipped');
    end if;
    if req.status = 'completed' then
      return jsonb_build_object('state', 'done');
    end if;
    select string_agg(left(j.id::text, 8), ', ' order by j.created_at) into live
      from public.jobs j
     where j.user_id = begin_account_deletion.user_id
       and j.status in ('in_production', 'shipped');
    if live is not null then
      update public.account_deletion_requests r
         set note = left(format('Waiting for job(s) %s to be delivered; the deletion follows.',
                                live), 500)
       where r.user_id = begin_account_deletion.user_id;
      return jsonb_build_object('state', 'waiting', 'jobs', live);
    end if;
    perform set_config('wyntek.event_note', 'Cancelled: the account is being deleted.', true);
    update public.jobs j set status = 'cancelled'
     where j.user_id = begin_account_deletion.user_id and j.status in ('submitted', 'reviewing');
    perform set_config('wyntek.event_note', '', true);
    update public.account_deletion_requests r set status = 'processing', note = null
     where r.user_id = begin_account_deletion.user_id;
    return jsonb_build_object('state', 'processing');
  end
  $$;

-- finish_account_deletion(user_id) -> the request: completed once the auth user is gone
-- (its trigger queues the last mail); the account's other queued mail is dropped.
create function public.finish_account_deletion(user_id uuid)
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    req public.account_deletion_requests;
  begin
    perform public.require_service_role();
    if exists (select 1 from auth.users u where u.id = finish_account_deletion.user_id) then
      raise exception using errcode = 'PT409',
        message = 'The auth user still exists; delete it through the GoTrue admin API first.';
    end if;
    update public.account_deletion_requests r
       set status = 'completed', processed_at = now(), note = null
     where r.user_id = finish_account_deletion.user_id and r.status = 'processing'
    returning * into req;
    if not found then
      select * into req from public.account_deletion_requests r
       where r.user_id = finish_account_deletion.user_id;
    end if;
    delete from public.email_outbox o
     where o.user_id = finish_account_deletion.user_id and o.kind <> 'account_deletion_done';
    return to_jsonb(req);
  end
  $$;

-- prune_deleted_account_mail() -> rows removed: the last mail of a deleted account, once
-- it was delivered (or given up), leaves nothing of the address behind.
create function public.prune_deleted_account_mail()
  returns integer
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    removed integer;
  begin
    perform public.require_service_role();
    delete from public.email_outbox o
     using public.account_deletion_requests r
     where r.user_id = o.user_id and r.status = 'completed'
       and (o.kind <> 'account_deletion_done' or o.status in ('sent', 'failed'));
    get diagnostics removed = row_count;
    return removed;
  end
  $$;

-- prune_financial_records(older_than) -> counts: the anonymised financial records of
-- deleted accounts older than the legal retention (7 years), and old deletion records.
create function public.prune_financial_records(older_than interval default interval '7 years')
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    cutoff timestamptz;
    jobs_removed integer;
    ledger_removed integer;
    purchases_removed integer;
    requests_removed integer;
  begin
    perform public.require_service_role();
    if older_than is null or older_than < interval '7 years' then
      raise exception using errcode = '22023',
        message = 'Financial records are kept at least 7 years.';
    end if;
    cutoff := now() - older_than;
    perform set_config('wyntek.ledger_prune', 'on', true);
    delete from public.token_ledger l where l.user_id is null and l.created_at < cutoff;
    get diagnostics ledger_removed = row_count;
    perform set_config('wyntek.ledger_prune', '', true);
    -- Ownerless children are outside the composite key's cascade: removed here.
    with doomed as (
      select j.id from public.jobs j where j.user_id is null and j.created_at < cutoff
         and not exists (select 1 from public.token_ledger l where l.job_id = j.id)),
    files as (delete from public.job_files f using doomed d where f.job_id = d.id),
    events as (delete from public.job_events e using doomed d where e.job_id = d.id)
    delete from public.jobs j using doomed d where j.id = d.id;
    get diagnostics jobs_removed = row_count;
    delete from public.purchases b where b.user_id is null and b.created_at < cutoff
       and not exists (select 1 from public.token_ledger l where l.purchase_id = b.id);
    get diagnostics purchases_removed = row_count;
    delete from public.account_deletion_requests r
     where r.status = 'completed' and r.processed_at < cutoff;
    get diagnostics requests_removed = row_count;
    return jsonb_build_object('jobs', jobs_removed, 'ledger', ledger_removed,
                              'purchases', purchases_removed, 'requests', requests_removed);
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- Privileges
-- ---------------------------------------------------------------------------------------
revoke execute on function public.cancel_account_deletion(),
  public.set_privacy_preferences(boolean, boolean), public.pending_policy_version(),
  public.acknowledge_policy(text), public.export_my_data_summary(),
  public.require_service_role(), public.set_deletion_grace_days(integer),
  public.queue_retention_warnings(integer), public.retention_due(integer),
  public.record_objects_removed(text[]), public.due_account_deletions(integer),
  public.begin_account_deletion(uuid), public.finish_account_deletion(uuid),
  public.prune_deleted_account_mail(), public.prune_financial_records(interval)
  from public, anon, authenticated;
grant execute on function public.cancel_account_deletion(),
  public.set_privacy_preferences(boolean, boolean), public.pending_policy_version(),
  public.acknowledge_policy(text), public.export_my_data_summary()
  to authenticated;
grant execute on function public.require_service_role(), public.set_deletion_grace_days(integer),
  public.queue_retention_warnings(integer), public.retention_due(integer),
  public.record_objects_removed(text[]), public.due_account_deletions(integer),
  public.begin_account_deletion(uuid), public.finish_account_deletion(uuid),
  public.prune_deleted_account_mail(), public.prune_financial_records(interval)
  to service_role;

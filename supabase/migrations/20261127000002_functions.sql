-- WYNTEK RPC functions (PostgREST /rest/v1/rpc/<name>). Each acts for the caller
-- (auth.uid() from the JWT); only grant_tokens takes a user id, and only the service
-- role may call it.
--
-- Refusals and their SQLSTATEs (PostgREST turns the code into the HTTP status; clients
-- branch on the code, the message is one sentence for a person):
--   22023  invalid input: spec/files malformed, quantity, tolerance or volume out of
--          range, unknown or inactive material, declared size differs from storage (400)
--   42501  not allowed: not signed in, or grant_tokens by anyone but the service role
--          (401 for anon, 403 otherwise)
--   PT402  insufficient balance; message contains "Insufficient balance" (402)
--   PT404  not found: job not in your account, file missing in storage, unknown user (404)
--   PT409  conflict: client_job_id replayed with a different spec, job not cancellable
--          in its current status, forbidden status transition (409)

-- ---------------------------------------------------------------------------------------
-- quote_job: the single pricing rule
--   factor = 1.00 (tol >= 0.2) | 1.25 (>= 0.1) | 1.60 (>= 0.05) | 2.00
--   cost   = setup_tokens + ceil(quantity * max(volume_cm3, 0.1) * tokens_per_cm3 * factor)
-- Mirrored in wyntek_desktop/core/pricing.py; keep both identical.
-- ---------------------------------------------------------------------------------------
create function public.quote_job(
  material_id text, volume_cm3 numeric, quantity integer, tolerance_mm numeric)
  returns integer
  language plpgsql stable security invoker set search_path = ''
  as $$
  declare
    m record;
    factor numeric;
    cost numeric;
  begin
    if quantity is null or quantity < 1 or quantity > 10000 then
      raise exception using errcode = '22023',
        message = format('Quantity must be a whole number from 1 to 10000 (got %s).',
                         coalesce(quantity::text, 'nothing'));
    end if;
    if tolerance_mm is null or not (tolerance_mm >= 0.01 and tolerance_mm <= 5) then
      raise exception using errcode = '22023',
        message = format('Tolerance must be between 0.01 mm and 5 mm (got %s).',
                         coalesce(tolerance_mm::text, 'nothing'));
    end if;
    if volume_cm3 is null or not (volume_cm3 >= 0 and volume_cm3 <= 10000000) then
      raise exception using errcode = '22023',
        message = format('Volume must be between 0 and 10000000 cm3 (got %s).',
                         coalesce(volume_cm3::text, 'nothing'));
    end if;
    select mat.tokens_per_cm3, mat.setup_tokens, mat.active into m
      from public.materials mat
     where mat.id = quote_job.material_id;
    if not found or not m.active then
      raise exception using errcode = '22023',
        message = format('Unknown or unavailable material "%s"; choose one from the catalogue.',
                         coalesce(quote_job.material_id, ''));
    end if;
    factor := case
      when tolerance_mm >= 0.2 then 1.00
      when tolerance_mm >= 0.1 then 1.25
      when tolerance_mm >= 0.05 then 1.60
      else 2.00
    end;
    cost := m.setup_tokens
            + ceil(quantity * greatest(volume_cm3, 0.1) * m.tokens_per_cm3 * factor);
    if cost > 2147483647 then
      raise exception using errcode = '22023',
        message = 'This job is too large to price; reduce the quantity or the volume.';
    end if;
    return cost::integer;
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- submit_job(client_job_id, spec, files) -> job row as jsonb
--   spec:  {material_id, quantity, tolerance_mm, volume_cm3, finish?, delivery_instructions?,
--           notes?, process?}
--   files: [{storage_path, file_name, kind, size_bytes, sha256, analysis?}, ...] (1..100),
--          storage_path = '{auth.uid()}/{client_job_id}/{name}' in bucket designs, and the
--          object's metadata.size must equal size_bytes.
-- Idempotent on (caller, client_job_id). All submissions of one user serialise on their
-- profile row, so concurrent replays create one job and one debit.
-- ---------------------------------------------------------------------------------------
create function public.submit_job(client_job_id uuid, spec jsonb, files jsonb)
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    uid uuid := auth.uid();
    existing public.jobs;
    job public.jobs;
    balance integer;
    mat record;
    v_material text;
    v_quantity numeric;
    v_tolerance numeric;
    v_volume numeric;
    v_finish text;
    v_delivery text;
    v_notes text;
    cost integer;
    f jsonb;
    prefix text;
    path text;
    rest text;
    stored_size text;
    paths text[] := '{}';
  begin
    if uid is null then
      raise exception using errcode = '42501', message = 'Sign in to submit a job.';
    end if;
    if submit_job.client_job_id is null then
      raise exception using errcode = '22023', message = 'client_job_id is required.';
    end if;
    if submit_job.spec is null or jsonb_typeof(submit_job.spec) <> 'object' then
      raise exception using errcode = '22023', message = 'The job spec must be a JSON object.';
    end if;

    -- Replays first: the same spec returns the same job, never a second debit.
    select * into existing from public.jobs j
     where j.user_id = uid and j.client_job_id = submit_job.client_job_id;
    if found then
      if existing.spec = submit_job.spec then
        return to_jsonb(existing);
      end if;
      raise exception using errcode = 'PT409',
        message = 'This job was already submitted with a different spec; create a new job instead.';
    end if;

    -- Spec fields.
    if jsonb_typeof(submit_job.spec -> 'material_id') is distinct from 'string' then
      raise exception using errcode = '22023', message = 'The spec needs a material_id.';
    end if;
    v_material := submit_job.spec ->> 'material_id';
    if jsonb_typeof(submit_job.spec -> 'quantity') is distinct from 'number'
       or (submit_job.spec ->> 'quantity')::numeric <> trunc((submit_job.spec ->> 'quantity')::numeric)
       or (submit_job.spec ->> 'quantity')::numeric not between 1 and 10000 then
      raise exception using errcode = '22023',
        message = 'Quantity must be a whole number from 1 to 10000.';
    end if;
    v_quantity := (submit_job.spec ->> 'quantity')::numeric;
    if jsonb_typeof(submit_job.spec -> 'tolerance_mm') is distinct from 'number' then
      raise exception using errcode = '22023', message = 'The spec needs tolerance_mm (a number).';
    end if;
    v_tolerance := (submit_job.spec ->> 'tolerance_mm')::numeric;
    if jsonb_typeof(submit_job.spec -> 'volume_cm3') is distinct from 'number' then
      raise exception using errcode = '22023', message = 'The spec needs volume_cm3 (a number).';
    end if;
    v_volume := (submit_job.spec ->> 'volume_cm3')::numeric;
    if jsonb_typeof(submit_job.spec -> 'finish') not in ('string', 'null')
       or jsonb_typeof(submit_job.spec -> 'delivery_instructions') not in ('string', 'null')
       or jsonb_typeof(submit_job.spec -> 'notes') not in ('string', 'null') then
      raise exception using errcode = '22023',
        message = 'finish, delivery_instructions and notes must be text.';
    end if;
    v_finish := nullif(submit_job.spec ->> 'finish', '');
    v_delivery := nullif(submit_job.spec ->> 'delivery_instructions', '');
    v_notes := nullif(submit_job.spec ->> 'notes', '');
    if char_length(v_finish) > 200 then
      raise exception using errcode = '22023', message = 'The finish is limited to 200 characters.';
    end if;
    if char_length(v_delivery) > 2000 then
      raise exception using errcode = '22023',
        message = 'Delivery instructions are limited to 2000 characters.';
    end if;
    if char_length(v_notes) > 5000 then
      raise exception using errcode = '22023', message = 'Notes are limited to 5000 characters.';
    end if;

    -- Price (validates material, quantity, tolerance, volume).
    cost := public.quote_job(v_material, v_volume, v_quantity::integer, v_tolerance);
    select mat_.process into mat from public.materials mat_ where mat_.id = v_material;
    if jsonb_typeof(submit_job.spec -> 'process') = 'string'
       and submit_job.spec ->> 'process' <> mat.process then
      raise exception using errcode = '22023',
        message = format('Material %s is made with %s, not %s.',
                         v_material, mat.process, submit_job.spec ->> 'process');
    end if;

    -- Files: the caller's folder for this job, present in storage with the declared size.
    if submit_job.files is null or jsonb_typeof(submit_job.files) <> 'array'
       or jsonb_array_length(submit_job.files) not between 1 and 100 then
      raise exception using errcode = '22023',
        message = 'A job needs between 1 and 100 files.';
    end if;
    prefix := uid::text || '/' || submit_job.client_job_id::text || '/';
    for f in select value from jsonb_array_elements(submit_job.files) loop
      if jsonb_typeof(f) <> 'object'
         or jsonb_typeof(f -> 'storage_path') is distinct from 'string'
         or jsonb_typeof(f -> 'file_name') is distinct from 'string'
         or jsonb_typeof(f -> 'kind') is distinct from 'string'
         or jsonb_typeof(f -> 'size_bytes') is distinct from 'number'
         or jsonb_typeof(f -> 'sha256') is distinct from 'string'
         or coalesce(jsonb_typeof(f -> 'analysis'), 'null') not in ('object', 'null') then
        raise exception using errcode = '22023',
          message = 'Each file needs storage_path, file_name, kind, size_bytes and sha256.';
      end if;
      path := f ->> 'storage_path';
      rest := substr(path, char_length(prefix) + 1);
      if left(path, char_length(prefix)) <> prefix or rest = '' or rest in ('.', '..')
         or strpos(rest, '/') > 0 or char_length(rest) > 200 then
        raise exception using errcode = '22023',
          message = format('File path %s is not in this job''s folder %s.', path, prefix);
      end if;
      if path = any (paths) then
        raise exception using errcode = '22023',
          message = format('File %s is listed twice.', path);
      end if;
      paths := paths || path;
      if (f ->> 'kind') not in ('model', 'drawing', 'gerber', 'other') then
        raise exception using errcode = '22023',
          message = 'File kind must be model, drawing, gerber or other.';
      end if;
      if (f ->> 'sha256') !~ '^[0-9a-fA-F]{64}$' then
        raise exception using errcode = '22023',
          message = format('The SHA-256 of %s is not 64 hexadecimal digits.', f ->> 'file_name');
      end if;
      if (f ->> 'size_bytes')::numeric < 0
         or (f ->> 'size_bytes')::numeric <> trunc((f ->> 'size_bytes')::numeric) then
        raise exception using errcode = '22023',
          message = format('The size of %s must be a whole number of bytes.', f ->> 'file_name');
      end if;
      select o.metadata ->> 'size' into stored_size
        from storage.objects o
       where o.bucket_id = 'designs' and o.name = path;
      if not found then
        raise exception using errcode = 'PT404',
          message = format('File %s is not in storage; upload it before submitting.', path);
      end if;
      if stored_size is null or stored_size !~ '^[0-9]+$'
         or stored_size::numeric <> (f ->> 'size_bytes')::numeric then
        raise exception using errcode = '22023',
          message = format('File %s in storage has %s bytes, not the declared %s; upload it again.',
                           path, coalesce(stored_size, 'an unknown number of'), f ->> 'size_bytes');
      end if;
    end loop;

    -- Serialise this user's submissions, then re-check the replay under the lock.
    select p.token_balance into balance from public.profiles p where p.id = uid for update;
    if not found then
      raise exception using errcode = 'PT404', message = 'Your account has no profile yet.';
    end if;
    select * into existing from public.jobs j
     where j.user_id = uid and j.client_job_id = submit_job.client_job_id;
    if found then
      if existing.spec = submit_job.spec then
        return to_jsonb(existing);
      end if;
      raise exception using errcode = 'PT409',
        message = 'This job was already submitted with a different spec; create a new job instead.';
    end if;
    if balance < cost then
      raise exception using errcode = 'PT402',
        message = format('Insufficient balance: this job costs %s tokens and your balance is %s.',
                         cost, balance);
    end if;

    insert into public.jobs (user_id, client_job_id, process, material_id, quantity,
                             tolerance_mm, volume_cm3, finish, delivery_instructions, notes,
                             token_cost, spec)
    values (uid, submit_job.client_job_id, mat.process, v_material, v_quantity::integer,
            v_tolerance, v_volume, v_finish, v_delivery, v_notes, cost, submit_job.spec)
    returning * into job;

    insert into public.job_files (job_id, user_id, storage_path, file_name, kind, size_bytes,
                                  sha256, analysis)
    select job.id, uid, e ->> 'storage_path', e ->> 'file_name', e ->> 'kind',
           (e ->> 'size_bytes')::bigint, lower(e ->> 'sha256'),
           case when jsonb_typeof(e -> 'analysis') = 'object' then e -> 'analysis' end
      from jsonb_array_elements(submit_job.files) as e;

    if cost > 0 then
      insert into public.token_ledger (user_id, delta, reason, job_id)
      values (uid, -cost, 'job', job.id);
    end if;
    return to_jsonb(job);
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- cancel_job(job_id) -> job row; only while submitted; the status trigger refunds.
-- ---------------------------------------------------------------------------------------
create function public.cancel_job(job_id uuid)
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    uid uuid := auth.uid();
    job public.jobs;
  begin
    if uid is null then
      raise exception using errcode = '42501', message = 'Sign in to cancel a job.';
    end if;
    select * into job from public.jobs j
     where j.id = cancel_job.job_id and j.user_id = uid
     for update;
    if not found then
      raise exception using errcode = 'PT404', message = 'There is no such job in your account.';
    end if;
    if job.status = 'cancelled' then
      return to_jsonb(job);
    end if;
    if job.status <> 'submitted' then
      raise exception using errcode = 'PT409',
        message = format('Only a submitted job can be cancelled; this one is %s.',
                         replace(job.status, '_', ' '));
    end if;
    update public.jobs j set status = 'cancelled' where j.id = job.id returning * into job;
    return to_jsonb(job);
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- record_files_deleted(paths) -> number of the caller's job_files rows marked deleted.
-- Only rows whose object is really gone from storage are marked.
-- ---------------------------------------------------------------------------------------
create function public.record_files_deleted(paths text[])
  returns integer
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    uid uuid := auth.uid();
    n integer;
  begin
    if uid is null then
      raise exception using errcode = '42501', message = 'Sign in to manage your files.';
    end if;
    update public.job_files f
       set deleted_at = now()
     where f.user_id = uid
       and f.deleted_at is null
       and f.storage_path = any (coalesce(record_files_deleted.paths, '{}'))
       and not exists (select 1 from storage.objects o
                        where o.bucket_id = 'designs' and o.name = f.storage_path);
    get diagnostics n = row_count;
    return n;
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- export_my_data() -> {profile, jobs, files, ledger, support_messages,
--                      account_deletion_requests, exported_at}
-- Runs as the caller (RLS applies) and filters to the caller's own rows explicitly, so an
-- operator's export does not include the jobs assigned to them.
-- ---------------------------------------------------------------------------------------
create function public.export_my_data()
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
      'files', coalesce((select jsonb_agg(to_jsonb(f) order by f.uploaded_at, f.id)
                           from public.job_files f where f.user_id = uid), '[]'::jsonb),
      'ledger', coalesce((select jsonb_agg(to_jsonb(l) order by l.id)
                            from public.token_ledger l where l.user_id = uid), '[]'::jsonb),
      'support_messages', coalesce((select jsonb_agg(to_jsonb(s) order by s.created_at, s.id)
                                      from public.support_messages s where s.user_id = uid),
                                   '[]'::jsonb),
      'account_deletion_requests', coalesce((select jsonb_agg(to_jsonb(r))
                                               from public.account_deletion_requests r
                                              where r.user_id = uid), '[]'::jsonb));
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- request_account_deletion() -> the request row; repeating it changes nothing (a
-- cancelled request is reopened).
-- ---------------------------------------------------------------------------------------
create function public.request_account_deletion()
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    uid uuid := auth.uid();
    req public.account_deletion_requests;
  begin
    if uid is null then
      raise exception using errcode = '42501', message = 'Sign in to request account deletion.';
    end if;
    insert into public.account_deletion_requests as r (user_id)
    values (uid)
    on conflict (user_id) do update
      set status = 'pending', requested_at = now(), processed_at = null
      where r.status = 'cancelled';
    select * into req from public.account_deletion_requests r where r.user_id = uid;
    return to_jsonb(req);
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- grant_tokens(user_id, amount, reason) -> new balance. Service role only.
-- ---------------------------------------------------------------------------------------
create function public.grant_tokens(user_id uuid, amount integer, reason text)
  returns integer
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    balance integer;
  begin
    if auth.role() is distinct from 'service_role' then
      raise exception using errcode = '42501', message = 'Only the service can grant tokens.';
    end if;
    if grant_tokens.amount is null or grant_tokens.amount not between 1 and 100000000 then
      raise exception using errcode = '22023',
        message = 'The amount must be a whole number of tokens from 1 to 100000000.';
    end if;
    if grant_tokens.reason is null or grant_tokens.reason not in ('purchase', 'grant') then
      raise exception using errcode = '22023', message = 'The reason must be purchase or grant.';
    end if;
    perform 1 from public.profiles p where p.id = grant_tokens.user_id for update;
    if not found then
      raise exception using errcode = 'PT404', message = 'There is no such user.';
    end if;
    insert into public.token_ledger (user_id, delta, reason)
    values (grant_tokens.user_id, grant_tokens.amount, grant_tokens.reason);
    select p.token_balance into balance from public.profiles p where p.id = grant_tokens.user_id;
    return balance;
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- Who may call what (hosted projects grant EXECUTE to anon/authenticated by default).
-- ---------------------------------------------------------------------------------------
revoke execute on function public.quote_job(text, numeric, integer, numeric),
  public.submit_job(uuid, jsonb, jsonb), public.cancel_job(uuid),
  public.record_files_deleted(text[]), public.export_my_data(),
  public.request_account_deletion(), public.grant_tokens(uuid, integer, text)
  from public, anon, authenticated;

grant execute on function public.quote_job(text, numeric, integer, numeric),
  public.submit_job(uuid, jsonb, jsonb), public.cancel_job(uuid),
  public.record_files_deleted(text[]), public.export_my_data(),
  public.request_account_deletion()
  to authenticated, service_role;

grant execute on function public.grant_tokens(uuid, integer, text) to service_role;

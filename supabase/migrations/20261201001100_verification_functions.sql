-- Intake verification, functions (SPEC §5.1):
--   quote_job(material_id, volume_cm3, quantity, tolerance_mm, board_area_cm2, copper_layers)
--       PCB materials are priced by board area (cm2 of the outline's bounding box) and
--       refuse boards with more copper layers than they make; every other process by
--       volume. The four-argument quote_job stays and means "no board measurements".
--   submit_job: as before, plus board_area_cm2/copper_layers in the spec, 0-byte files
--       refused, at most 256 KiB of analysis JSON per job, at most 100 submissions per
--       account per hour, quoted_cost recorded, verification enqueued.
--   enqueue_verification(job_id) -> boolean: defers the worker's verify_job task.
--   record_verification(job_id, volume_cm3, board_area_cm2, copper_layers, failure)
--       -> job row: the worker's outcome, applied once and atomically (service role only).
--   confirm_job_price(job_id) -> job row: the owner accepts a needs_tokens price.
--   A job leaves submitted for reviewing only once verification passed or was adjusted;
--   its cost, quoted cost and verification columns change only through these functions.
-- Mirrored in wyntek_desktop/core/pricing.py; keep both identical.

-- ---------------------------------------------------------------------------------------
-- quote_job
-- ---------------------------------------------------------------------------------------
create function public.quote_job(
  material_id text, volume_cm3 numeric, quantity integer, tolerance_mm numeric,
  board_area_cm2 numeric, copper_layers integer)
  returns integer
  language plpgsql stable security invoker set search_path = ''
  as $$
  declare
    m record;
    factor numeric;
    billed numeric;
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
    if board_area_cm2 is not null and not (board_area_cm2 >= 0 and board_area_cm2 <= 1000000) then
      raise exception using errcode = '22023',
        message = format('The board area must be between 0 and 1000000 cm2 (got %s).',
                         board_area_cm2);
    end if;
    if copper_layers is not null and not (copper_layers between 1 and 64) then
      raise exception using errcode = '22023',
        message = format('A board has 1 to 64 copper layers (got %s).', copper_layers);
    end if;
    select mat.tokens_per_cm3, mat.setup_tokens, mat.active, mat.process,
           mat.copper_layers as max_layers into m
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
    if m.process = 'pcb' then
      if copper_layers is not null and m.max_layers is not null
         and copper_layers > m.max_layers then
        raise exception using errcode = '22023',
          message = format('This board has %s copper layers but %s makes boards of up to %s; '
                           'choose a material with more layers.',
                           copper_layers, quote_job.material_id, m.max_layers);
      end if;
      billed := greatest(coalesce(board_area_cm2, 0), 1.0);
    else
      billed := greatest(volume_cm3, 0.1);
    end if;
    cost := m.setup_tokens + ceil(quantity * billed * m.tokens_per_cm3 * factor);
    if cost > 2147483647 then
      raise exception using errcode = '22023',
        message = 'This job is too large to price; reduce the quantity or the size.';
    end if;
    return cost::integer;
  end
  $$;

create or replace function public.quote_job(
  material_id text, volume_cm3 numeric, quantity integer, tolerance_mm numeric)
  returns integer
  language sql stable security invoker set search_path = ''
  as $$
    select public.quote_job(material_id, volume_cm3, quantity, tolerance_mm, null, null)
  $$;

-- ---------------------------------------------------------------------------------------
-- enqueue_verification(job_id): defer the worker's task in the queue schema
-- `procrastinate` (created by the worker in this database). Without that schema (no
-- worker installed yet) it does nothing: the worker's sweep picks pending jobs up later.
-- A job already queued is not queued twice (procrastinate's queueing lock).
-- ---------------------------------------------------------------------------------------
create function public.enqueue_verification(job_id uuid)
  returns boolean
  language plpgsql volatile security definer set search_path = ''
  as $$
  begin
    if to_regclass('procrastinate.procrastinate_jobs') is null then
      return false;
    end if;
    -- procrastinate's functions name their tables unqualified; the function's own
    -- search_path setting is restored when it returns.
    perform set_config('search_path', 'procrastinate', true);
    begin
      execute 'select procrastinate_defer_jobs_v1(array[row($1, $2, 0, $3, $4, $5, null)'
              '::procrastinate_job_to_defer_v1])'
        using 'verification', 'verify_job', 'job:' || job_id::text,
              'verify:' || job_id::text, jsonb_build_object('job_id', job_id);
    exception when unique_violation then
      return false;
    end;
    return true;
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- submit_job (see the header for what changed)
-- ---------------------------------------------------------------------------------------
create or replace function public.submit_job(client_job_id uuid, spec jsonb, files jsonb)
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
    v_area numeric;
    v_layers integer;
    analysis_bytes bigint := 0;
    recent integer;
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

    -- PCB boards: the outline's area and the copper layer count (both optional claims,
    -- measured again by the service).
    if coalesce(jsonb_typeof(submit_job.spec -> 'board_area_cm2'), 'null') not in ('number', 'null')
       or coalesce(jsonb_typeof(submit_job.spec -> 'copper_layers'), 'null') not in ('number', 'null')
    then
      raise exception using errcode = '22023',
        message = 'board_area_cm2 and copper_layers must be numbers.';
    end if;
    v_area := (submit_job.spec ->> 'board_area_cm2')::numeric;
    if (submit_job.spec ->> 'copper_layers')::numeric
       <> trunc((submit_job.spec ->> 'copper_layers')::numeric) then
      raise exception using errcode = '22023',
        message = 'copper_layers must be a whole number.';
    end if;
    v_layers := (submit_job.spec ->> 'copper_layers')::numeric::integer;

    -- Price (validates material, quantity, tolerance, volume, board area and layers).
    cost := public.quote_job(v_material, v_volume, v_quantity::integer, v_tolerance,
                             v_area, v_layers);
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
      if (f ->> 'size_bytes')::numeric = 0 then
        raise exception using errcode = '22023',
          message = format('%s is empty (0 bytes); choose the real design file.',
                           f ->> 'file_name');
      end if;
      analysis_bytes := analysis_bytes + coalesce(octet_length((f -> 'analysis')::text), 0);
      if analysis_bytes > 262144 then
        raise exception using errcode = '22023',
          message = 'The files'' analyses add up to more than 256 KiB; send summaries instead.';
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
    select count(*) into recent from public.jobs j
     where j.user_id = uid and j.created_at > now() - interval '1 hour';
    if recent >= 100 then
      raise exception using errcode = 'PT409',
        message = 'This account has submitted 100 jobs in the last hour; wait a while before '
                  'submitting more, or write to support for a larger allowance.';
    end if;
    if balance < cost then
      raise exception using errcode = 'PT402',
        message = format('Insufficient balance: this job costs %s tokens and your balance is %s.',
                         cost, balance);
    end if;

    insert into public.jobs (user_id, client_job_id, process, material_id, quantity,
                             tolerance_mm, volume_cm3, finish, delivery_instructions, notes,
                             token_cost, quoted_cost, verification_requested_at, spec)
    values (uid, submit_job.client_job_id, mat.process, v_material, v_quantity::integer,
            v_tolerance, v_volume, v_finish, v_delivery, v_notes, cost, cost, now(),
            submit_job.spec)
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
    perform public.enqueue_verification(job.id);
    return to_jsonb(job);
  end
  $$;


-- The spec may carry the board's measurements.
create or replace function public.jobs_payload_limits() returns trigger
  language plpgsql set search_path = ''
  as $$
  declare
    unknown text;
  begin
    if octet_length(new.spec::text) > 65536 then
      raise exception using errcode = '22023',
        message = 'The job spec is larger than 64 KiB; shorten the notes or instructions.';
    end if;
    if jsonb_typeof(new.spec) = 'object' then
      select string_agg(k, ', ' order by k) into unknown
        from jsonb_object_keys(new.spec) as k
       where k not in ('material_id', 'quantity', 'tolerance_mm', 'volume_cm3', 'finish',
                       'delivery_instructions', 'notes', 'process', 'board_area_cm2',
                       'copper_layers');
      if unknown is not null then
        raise exception using errcode = '22023',
          message = format('The job spec has unknown fields (%s); the known ones are '
                           'material_id, quantity, tolerance_mm, volume_cm3, finish, '
                           'delivery_instructions, notes, process, board_area_cm2 and '
                           'copper_layers.', left(unknown, 200));
      end if;
    end if;
    return new;
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- Lifecycle guard: the cost and the verification columns change only inside
-- record_verification / confirm_job_price (transaction-local flag wyntek.pricing_write);
-- review waits for a successful verification.
-- ---------------------------------------------------------------------------------------
create or replace function public.jobs_before_update() returns trigger
  language plpgsql set search_path = ''
  as $$
  declare
    via_pricing boolean := coalesce(current_setting('wyntek.pricing_write', true), '') = 'on';
  begin
    if (new.id, new.user_id, new.client_job_id, new.spec, new.created_at,
        new.material_id, new.quantity, new.tolerance_mm, new.volume_cm3, new.quoted_cost,
        new.verification_requested_at)
       is distinct from
       (old.id, old.user_id, old.client_job_id, old.spec, old.created_at,
        old.material_id, old.quantity, old.tolerance_mm, old.volume_cm3, old.quoted_cost,
        old.verification_requested_at) then
      raise exception using errcode = '22023',
        message = 'A submitted job''s owner, spec and cost cannot change.';
    end if;
    if not via_pricing
       and (new.token_cost, new.verification, new.verified_volume_cm3,
            new.verified_board_area_cm2, new.verified_copper_layers, new.verified_at,
            new.verification_note)
           is distinct from
           (old.token_cost, old.verification, old.verified_volume_cm3,
            old.verified_board_area_cm2, old.verified_copper_layers, old.verified_at,
            old.verification_note) then
      raise exception using errcode = '22023',
        message = 'A job''s cost and verification are set only by the service''s verification.';
    end if;
    if new.status is distinct from old.status then
      if (old.status, new.status) not in (
           ('submitted', 'reviewing'), ('submitted', 'cancelled'), ('submitted', 'rejected'),
           ('reviewing', 'in_production'), ('reviewing', 'cancelled'), ('reviewing', 'rejected'),
           ('in_production', 'shipped'), ('shipped', 'completed')) then
        raise exception using errcode = 'PT409',
          message = format('A job cannot move from %s to %s.', old.status, new.status);
      end if;
      if new.status = 'reviewing' and new.verification not in ('passed', 'adjusted') then
        raise exception using errcode = 'PT409',
          message = case new.verification
            when 'needs_tokens' then
              'This job waits for its owner to confirm the measured price; it can be reviewed after that.'
            when 'failed' then 'This job failed verification; it cannot be reviewed.'
            else 'This job''s files are still being verified; it can be reviewed once that has passed.'
          end;
      end if;
      if new.status = 'completed' then
        new.completed_at := now();
      end if;
    end if;
    new.updated_at := now();
    return new;
  end
  $$;

-- A cancelled or rejected job gets back what was actually debited for it (the submission
-- and any adjustment), which after verification may differ from token_cost.
create or replace function public.jobs_after_update() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
  declare
    debited integer;
  begin
    if new.status in ('cancelled', 'rejected') and old.status not in ('cancelled', 'rejected') then
      select coalesce(-sum(l.delta), 0) into debited
        from public.token_ledger l where l.job_id = new.id;
      if debited > 0 then
        insert into public.token_ledger (user_id, delta, reason, job_id)
        values (new.user_id, debited, 'refund', new.id);
      end if;
    end if;
    if new.status = 'completed' and old.status <> 'completed' then
      update public.job_files
         set retain_until = new.completed_at + interval '12 months'
       where job_id = new.id;
    end if;
    return null;
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- record_verification(job_id, volume_cm3, board_area_cm2, copper_layers, failure)
--   failure not null: the files are missing, changed, unreadable or hostile; the job is
--   rejected (and refunded) with that sentence as its note.
--   Otherwise the measured values are priced with quote_job and the difference to what
--   was debited is settled: equal -> passed; less -> refund (adjusted); more -> debit if
--   the balance covers it (adjusted), else needs_tokens (the owner confirms or cancels).
--   Applied once: a job no longer pending (or no longer submitted) is returned unchanged.
-- ---------------------------------------------------------------------------------------
create function public.record_verification(
  job_id uuid, volume_cm3 numeric, board_area_cm2 numeric, copper_layers integer,
  failure text)
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    job public.jobs;
    debited integer;
    price integer;
    balance integer;
    outcome text;
    note text;
    measured text;
  begin
    if auth.role() is distinct from 'service_role' then
      raise exception using errcode = '42501',
        message = 'Only the service records verification outcomes.';
    end if;
    select * into job from public.jobs j where j.id = record_verification.job_id for update;
    if not found then
      raise exception using errcode = 'PT404', message = 'There is no such job.';
    end if;
    if job.verification <> 'pending' or job.status <> 'submitted' then
      return to_jsonb(job);
    end if;

    note := nullif(btrim(failure), '');
    if note is null then
      begin
        price := public.quote_job(job.material_id, coalesce(volume_cm3, 0), job.quantity,
                                  job.tolerance_mm, board_area_cm2, copper_layers);
      exception when sqlstate '22023' then
        get stacked diagnostics note = message_text;
      end;
    end if;

    perform set_config('wyntek.pricing_write', 'on', true);
    if note is not null then
      update public.jobs j
         set verification = 'failed', status = 'rejected', verified_at = now(),
             verified_volume_cm3 = record_verification.volume_cm3,
             verified_board_area_cm2 = record_verification.board_area_cm2,
             verified_copper_layers = record_verification.copper_layers,
             verification_note = left(note, 2000)
       where j.id = job.id
       returning * into job;
      perform set_config('wyntek.pricing_write', '', true);
      return to_jsonb(job);
    end if;

    select coalesce(-sum(l.delta), 0) into debited
      from public.token_ledger l where l.job_id = job.id;
    measured := case
      when job.process = 'pcb' then
        format('%s cm² of board', round(coalesce(board_area_cm2, 0), 2))
        || case when copper_layers is not null
                then format(' with %s copper layers', copper_layers) else '' end
      else format('%s cm³', round(coalesce(volume_cm3, 0), 3)) end;
    if price = debited then
      outcome := 'passed';
      note := format('Verified: the stored files match what was priced (%s).', measured);
    elsif price < debited then
      outcome := 'adjusted';
      insert into public.token_ledger (user_id, delta, reason, job_id)
      values (job.user_id, debited - price, 'adjustment', job.id);
      note := format('The stored files measure %s: the job costs %s tokens, not %s; '
                     '%s tokens were refunded.', measured, price, debited, debited - price);
    else
      select p.token_balance into balance from public.profiles p
       where p.id = job.user_id for update;
      if balance >= price - debited then
        outcome := 'adjusted';
        insert into public.token_ledger (user_id, delta, reason, job_id)
        values (job.user_id, debited - price, 'adjustment', job.id);
        note := format('The stored files measure %s: the job costs %s tokens, not %s; '
                       'the other %s tokens were charged.', measured, price, debited,
                       price - debited);
      else
        outcome := 'needs_tokens';
        note := format('The stored files measure %s: the job costs %s tokens, not the %s '
                       'charged. Add %s tokens and confirm the price, or cancel the job '
                       'for a full refund.', measured, price, debited,
                       price - debited - balance);
      end if;
    end if;
    update public.jobs j
       set verification = outcome, token_cost = price, verified_at = now(),
           verified_volume_cm3 = record_verification.volume_cm3,
           verified_board_area_cm2 = record_verification.board_area_cm2,
           verified_copper_layers = record_verification.copper_layers,
           verification_note = note
     where j.id = job.id
     returning * into job;
    perform set_config('wyntek.pricing_write', '', true);
    return to_jsonb(job);
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- confirm_job_price(job_id) -> job row: the owner accepts the measured price of a
-- needs_tokens job once the balance covers the difference (debited as an adjustment).
-- ---------------------------------------------------------------------------------------
create function public.confirm_job_price(job_id uuid)
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    uid uuid := auth.uid();
    job public.jobs;
    debited integer;
    balance integer;
  begin
    if uid is null then
      raise exception using errcode = '42501', message = 'Sign in to confirm a price.';
    end if;
    select * into job from public.jobs j
     where j.id = confirm_job_price.job_id and j.user_id = uid
     for update;
    if not found then
      raise exception using errcode = 'PT404', message = 'There is no such job in your account.';
    end if;
    if job.verification = 'adjusted' and job.status <> 'cancelled' then
      return to_jsonb(job);  -- confirmed already
    end if;
    if job.verification <> 'needs_tokens' or job.status <> 'submitted' then
      raise exception using errcode = 'PT409',
        message = 'Only a job waiting for more tokens has a price to confirm.';
    end if;
    select coalesce(-sum(l.delta), 0) into debited
      from public.token_ledger l where l.job_id = job.id;
    select p.token_balance into balance from public.profiles p where p.id = uid for update;
    if balance < job.token_cost - debited then
      raise exception using errcode = 'PT402',
        message = format('Insufficient balance: confirming this job needs %s more tokens and '
                         'your balance is %s.', job.token_cost - debited, balance);
    end if;
    if job.token_cost > debited then
      insert into public.token_ledger (user_id, delta, reason, job_id)
      values (uid, debited - job.token_cost, 'adjustment', job.id);
    end if;
    perform set_config('wyntek.pricing_write', 'on', true);
    perform set_config('wyntek.event_note',
                       format('The owner confirmed the measured price of %s tokens.',
                              job.token_cost), true);
    update public.jobs j
       set verification = 'adjusted',
           verification_note = format('The owner confirmed the measured price of %s tokens '
                                      '(%s were charged at submission).', job.token_cost,
                                      job.quoted_cost)
     where j.id = job.id
     returning * into job;
    perform set_config('wyntek.pricing_write', '', true);
    perform set_config('wyntek.event_note', '', true);
    return to_jsonb(job);
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- Who may call what.
-- ---------------------------------------------------------------------------------------
revoke execute on function
  public.quote_job(text, numeric, integer, numeric, numeric, integer),
  public.quote_job(text, numeric, integer, numeric),
  public.enqueue_verification(uuid),
  public.submit_job(uuid, jsonb, jsonb),
  public.record_verification(uuid, numeric, numeric, integer, text),
  public.confirm_job_price(uuid)
  from public, anon, authenticated;

grant execute on function
  public.quote_job(text, numeric, integer, numeric, numeric, integer),
  public.quote_job(text, numeric, integer, numeric),
  public.submit_job(uuid, jsonb, jsonb),
  public.confirm_job_price(uuid)
  to authenticated, service_role;

grant execute on function public.enqueue_verification(uuid),
  public.record_verification(uuid, numeric, numeric, integer, text) to service_role;

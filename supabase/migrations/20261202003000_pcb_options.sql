-- PCB options priced by quote_job: layer count, board thickness and surface finish.
--
--   quote_job(material_id, volume_cm3, quantity, tolerance_mm,
--             board_area_cm2 default null, copper_layers default null,
--             board_layers default null, board_thickness_mm default null,
--             surface_finish default null)
--       One function replaces the four- and six-argument ones; every earlier call (four
--       or six arguments, positional or named) means what it meant. For PCB materials the
--       options multiply the price (each 1.00 when not given, so old prices stand):
--         board_layers        the layers ordered: 1 or an even number; at least the
--                             archive's copper layers, at most the material's; fewer than
--                             the material is made for: x0.85
--         board_thickness_mm  0.8 x1.10, 1.0 x1.05, 1.2 x1.05, 1.6 x1.00, 2.0 x1.15
--         surface_finish      HASL (lead-free) x1.00, OSP x1.00, ENIG x1.20,
--                             Immersion silver x1.15, Hard gold x1.60 (exact names);
--                             any other finish is refused for a board
--       Other processes ignore the three options.
--   submit_job: as before, plus board_layers and board_thickness_mm in the spec; the job's
--       finish is its surface finish.
--   record_verification: prices the measured board with the job's options.
-- Mirrored in wyntek_desktop/core/pricing.py; keep both identical.

drop function public.quote_job(text, numeric, integer, numeric);
drop function public.quote_job(text, numeric, integer, numeric, numeric, integer);

create function public.quote_job(
  material_id text, volume_cm3 numeric, quantity integer, tolerance_mm numeric,
  board_area_cm2 numeric default null, copper_layers integer default null,
  board_layers integer default null, board_thickness_mm numeric default null,
  surface_finish text default null)
  returns integer
  language plpgsql stable security invoker set search_path = ''
  as $$
  declare
    m record;
    factor numeric;
    billed numeric;
    cost numeric;
    layers_factor numeric := 1.00;
    thickness_factor numeric := 1.00;
    finish_factor numeric := 1.00;
    finish text := btrim(surface_finish, ' ');
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
      if board_layers is not null then
        if not (board_layers = 1 or (board_layers % 2 = 0 and board_layers between 2 and 64)) then
          raise exception using errcode = '22023',
            message = format('A board is ordered with 1 layer or an even number of layers '
                             'up to 64 (got %s).', board_layers);
        end if;
        if copper_layers is not null and board_layers < copper_layers then
          raise exception using errcode = '22023',
            message = format('The archive has %s copper layers, so the board needs at least '
                             '%s layers (got %s).', copper_layers, copper_layers, board_layers);
        end if;
        if m.max_layers is not null and board_layers > m.max_layers then
          raise exception using errcode = '22023',
            message = format('This material makes boards of up to %s layers (got %s); '
                             'choose a material with more layers.', m.max_layers, board_layers);
        end if;
        if m.max_layers is not null and board_layers < m.max_layers then
          layers_factor := 0.85;
        end if;
      end if;
      if board_thickness_mm is not null then
        thickness_factor := case board_thickness_mm
          when 0.8 then 1.10 when 1.0 then 1.05 when 1.2 then 1.05 when 1.6 then 1.00
          when 2.0 then 1.15 end;
        if thickness_factor is null then
          raise exception using errcode = '22023',
            message = format('The board thickness must be one of 0.8, 1.0, 1.2, 1.6, 2.0 mm '
                             '(got %s).', board_thickness_mm);
        end if;
      end if;
      if finish is not null and finish <> '' then
        finish_factor := case finish
          when 'HASL (lead-free)' then 1.00 when 'OSP' then 1.00 when 'ENIG' then 1.20
          when 'Immersion silver' then 1.15 when 'Hard gold' then 1.60 end;
        if finish_factor is null then
          raise exception using errcode = '22023',
            message = format('''%s'' is not a finish offered for boards; choose one of '
                             'HASL (lead-free), OSP, ENIG, Immersion silver, Hard gold.',
                             left(finish, 60));
        end if;
      end if;
      billed := greatest(coalesce(board_area_cm2, 0), 1.0);
    else
      billed := greatest(volume_cm3, 0.1);
    end if;
    cost := m.setup_tokens + ceil(quantity * billed * m.tokens_per_cm3 * factor
                                  * layers_factor * thickness_factor * finish_factor);
    if cost > 2147483647 then
      raise exception using errcode = '22023',
        message = 'This job is too large to price; reduce the quantity or the size.';
    end if;
    return cost::integer;
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
    v_board_layers integer;
    v_thickness numeric;
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

    -- PCB options chosen by the customer (optional; other processes ignore them).
    if coalesce(jsonb_typeof(submit_job.spec -> 'board_layers'), 'null') not in ('number', 'null')
       or coalesce(jsonb_typeof(submit_job.spec -> 'board_thickness_mm'), 'null')
          not in ('number', 'null')
    then
      raise exception using errcode = '22023',
        message = 'board_layers and board_thickness_mm must be numbers.';
    end if;
    if (submit_job.spec ->> 'board_layers')::numeric
       <> trunc((submit_job.spec ->> 'board_layers')::numeric)
       or abs((submit_job.spec ->> 'board_layers')::numeric) > 1000 then
      raise exception using errcode = '22023',
        message = 'board_layers must be a whole number of layers.';
    end if;
    v_board_layers := (submit_job.spec ->> 'board_layers')::numeric::integer;
    v_thickness := (submit_job.spec ->> 'board_thickness_mm')::numeric;

    -- Price (validates material, quantity, tolerance, volume, the board and its options).
    cost := public.quote_job(v_material, v_volume, v_quantity::integer, v_tolerance,
                             v_area, v_layers, v_board_layers, v_thickness, v_finish);
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


-- The spec may carry the board's options.
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
                       'copper_layers', 'board_layers', 'board_thickness_mm');
      if unknown is not null then
        raise exception using errcode = '22023',
          message = format('The job spec has unknown fields (%s); the known ones are '
                           'material_id, quantity, tolerance_mm, volume_cm3, finish, '
                           'delivery_instructions, notes, process, board_area_cm2, '
                           'copper_layers, board_layers and board_thickness_mm.', left(unknown, 200));
      end if;
    end if;
    return new;
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- record_verification: the measured board priced with the job's options
-- ---------------------------------------------------------------------------------------
create or replace function public.record_verification(
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
        -- the board options are the customer's choice, priced as at submission
        price := public.quote_job(job.material_id, coalesce(volume_cm3, 0), job.quantity,
                                  job.tolerance_mm, board_area_cm2, copper_layers,
                                  (job.spec ->> 'board_layers')::numeric::integer,
                                  (job.spec ->> 'board_thickness_mm')::numeric,
                                  job.finish);
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
-- Who may call what (the new quote_job; the other functions keep their grants).
-- ---------------------------------------------------------------------------------------
revoke execute on function
  public.quote_job(text, numeric, integer, numeric, numeric, integer, integer, numeric, text)
  from public, anon, authenticated;
grant execute on function
  public.quote_job(text, numeric, integer, numeric, numeric, integer, integer, numeric, text)
  to authenticated, service_role;

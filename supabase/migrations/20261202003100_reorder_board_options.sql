-- Reorders keep the original's PCB options (20261202003000_pcb_options.sql): the new job's
-- spec carries board_layers and board_thickness_mm, and quote_job prices them and the
-- (possibly changed) finish, as record_verification does when the worker verifies it.
-- Otherwise reorder_job is exactly as in 20261202001100_operations_functions.sql; a later
-- change to it must keep these three arguments.

create or replace function public.reorder_job(job_id uuid, client_job_id uuid, changes jsonb)
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    uid uuid := auth.uid();
    ch jsonb := coalesce(reorder_job.changes, '{}'::jsonb);
    source public.jobs;
    existing public.jobs;
    job public.jobs;
    unknown text;
    gone text;
    v_quantity integer;
    v_tolerance numeric;
    v_finish text;
    v_delivery text;
    v_notes text;
    v_volume numeric;
    new_spec jsonb;
    cost integer;
    balance integer;
    recent integer;
    prefix text;
  begin
    if uid is null then
      raise exception using errcode = '42501', message = 'Sign in to reorder a job.';
    end if;
    if reorder_job.client_job_id is null then
      raise exception using errcode = '22023', message = 'client_job_id is required.';
    end if;
    if jsonb_typeof(ch) <> 'object' then
      raise exception using errcode = '22023', message = 'The changes must be a JSON object.';
    end if;
    select string_agg(k, ', ' order by k) into unknown
      from jsonb_object_keys(ch) as k
     where k not in ('quantity', 'tolerance_mm', 'finish', 'delivery_instructions', 'notes');
    if unknown is not null then
      raise exception using errcode = '22023',
        message = format('A reorder can change quantity, tolerance_mm, finish, '
                         'delivery_instructions and notes, not %s.', left(unknown, 200));
    end if;

    select * into source from public.jobs j
     where j.id = reorder_job.job_id and j.user_id = uid;
    if not found then
      raise exception using errcode = 'PT404', message = 'There is no such job in your account.';
    end if;

    -- The new spec: the original's, with the changes.
    v_quantity := source.quantity;
    if ch ? 'quantity' then
      if jsonb_typeof(ch -> 'quantity') is distinct from 'number'
         or (ch ->> 'quantity')::numeric <> trunc((ch ->> 'quantity')::numeric)
         or (ch ->> 'quantity')::numeric not between 1 and 10000 then
        raise exception using errcode = '22023',
          message = 'Quantity must be a whole number from 1 to 10000.';
      end if;
      v_quantity := (ch ->> 'quantity')::numeric::integer;
    end if;
    v_tolerance := source.tolerance_mm;
    if ch ? 'tolerance_mm' then
      if jsonb_typeof(ch -> 'tolerance_mm') is distinct from 'number' then
        raise exception using errcode = '22023', message = 'tolerance_mm must be a number.';
      end if;
      v_tolerance := (ch ->> 'tolerance_mm')::numeric;
    end if;
    if coalesce(jsonb_typeof(ch -> 'finish'), 'null') not in ('string', 'null')
       or coalesce(jsonb_typeof(ch -> 'delivery_instructions'), 'null') not in ('string', 'null')
       or coalesce(jsonb_typeof(ch -> 'notes'), 'null') not in ('string', 'null') then
      raise exception using errcode = '22023',
        message = 'finish, delivery_instructions and notes must be text.';
    end if;
    v_finish := case when ch ? 'finish' then nullif(btrim(ch ->> 'finish'), '') else source.finish end;
    v_delivery := case when ch ? 'delivery_instructions'
                       then nullif(btrim(ch ->> 'delivery_instructions'), '')
                       else source.delivery_instructions end;
    v_notes := case when ch ? 'notes' then nullif(btrim(ch ->> 'notes'), '') else source.notes end;
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
    v_volume := coalesce(source.verified_volume_cm3, source.volume_cm3);
    new_spec := jsonb_strip_nulls(jsonb_build_object(
      'material_id', source.material_id, 'process', source.process,
      'quantity', v_quantity, 'tolerance_mm', v_tolerance, 'volume_cm3', v_volume,
      'finish', v_finish, 'delivery_instructions', v_delivery, 'notes', v_notes,
      'board_area_cm2', source.verified_board_area_cm2,
      'copper_layers', source.verified_copper_layers,
      'board_layers', source.spec -> 'board_layers',
      'board_thickness_mm', source.spec -> 'board_thickness_mm'));

    -- Serialise this user's submissions, then look for a replay under the lock.
    select p.token_balance into balance from public.profiles p where p.id = uid for update;
    select * into existing from public.jobs j
     where j.user_id = uid and j.client_job_id = reorder_job.client_job_id;
    if found then
      if existing.reorder_of is not distinct from source.id and existing.spec = new_spec then
        return to_jsonb(existing);
      end if;
      raise exception using errcode = 'PT409',
        message = 'This reorder was already placed with other changes; start a new reorder instead.';
    end if;

    if source.status <> 'completed' then
      raise exception using errcode = 'PT409',
        message = format('Only a completed job can be reordered; this one is %s.',
                         replace(source.status, '_', ' '));
    end if;
    select string_agg(f.file_name, ', ' order by f.file_name) into gone
      from public.job_files f
     where f.job_id = source.id
       and (f.deleted_at is not null
            or (f.retain_until is not null and f.retain_until <= now())
            or not exists (select 1 from storage.objects o
                            where o.bucket_id = 'designs' and o.name = f.storage_path));
    if gone is not null or not exists (select 1 from public.job_files f
                                        where f.job_id = source.id) then
      raise exception using errcode = 'PT409',
        message = format('The files of this job are no longer kept (%s removed), so it '
                         'cannot be reordered; submit the design files again as a new job.',
                         coalesce(left(gone, 200), 'all'));
    end if;

    select count(*) into recent from public.jobs j
     where j.user_id = uid and j.created_at > now() - interval '1 hour';
    if recent >= 100 then
      raise exception using errcode = 'PT409',
        message = 'This account has submitted 100 jobs in the last hour; wait a while before '
                  'submitting more, or write to support for a larger allowance.';
    end if;
    -- the board options of the original (its finish may be changed), as at submission
    cost := public.quote_job(source.material_id, v_volume, v_quantity, v_tolerance,
                             source.verified_board_area_cm2, source.verified_copper_layers,
                             (source.spec ->> 'board_layers')::numeric::integer,
                             (source.spec ->> 'board_thickness_mm')::numeric, v_finish);
    if balance < cost then
      raise exception using errcode = 'PT402',
        message = format('Insufficient balance: this reorder costs %s tokens and your balance '
                         'is %s.', cost, balance);
    end if;

    perform set_config('wyntek.event_note',
                       format('Reorder of job %s; its stored files are copied by the service.',
                              left(source.id::text, 8)), true);
    insert into public.jobs (user_id, client_job_id, process, material_id, quantity,
                             tolerance_mm, volume_cm3, finish, delivery_instructions, notes,
                             token_cost, quoted_cost, verification_requested_at, spec,
                             reorder_of)
    values (uid, reorder_job.client_job_id, source.process, source.material_id, v_quantity,
            v_tolerance, v_volume, v_finish, v_delivery, v_notes, cost, cost, now(), new_spec,
            source.id)
    returning * into job;
    perform set_config('wyntek.event_note', '', true);

    prefix := uid::text || '/' || reorder_job.client_job_id::text || '/';
    insert into public.job_files (job_id, user_id, storage_path, file_name, kind, size_bytes,
                                  sha256, analysis, copied_from)
    select job.id, uid, prefix || regexp_replace(f.storage_path, '^.*/', ''), f.file_name,
           f.kind, f.size_bytes, f.sha256, f.analysis, f.storage_path
      from public.job_files f
     where f.job_id = source.id;

    if cost > 0 then
      insert into public.token_ledger (user_id, delta, reason, job_id)
      values (uid, -cost, 'job', job.id);
    end if;
    perform public.enqueue_verification(job.id);
    return to_jsonb(job);
  end
  $$;

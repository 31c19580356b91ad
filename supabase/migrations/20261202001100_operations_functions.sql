-- Operators and the lifecycle (SPEC §5.2), functions:
--   advance_job(job_id, status, note) -> job row      assigned operator: the next step only
--   reject_job(job_id, reason) -> job row             assigned operator: submitted/reviewing
--   assign_operator(job_id, operator_id) -> row       service role only
--   reorder_job(job_id, client_job_id, changes) -> job row   the owner repeats a completed job
-- The status triggers of the earlier migrations still decide the allowed transitions,
-- refund a rejected job (once: token_ledger_one_refund_per_job), start the files'
-- retention on completion and write job_events; these functions add who may ask, and
-- hand their note to the event through the transaction-local wyntek.event_note.

-- True when the caller is an operator (app_metadata, set only by the service) assigned
-- to the job.
create function public.caller_operates(job_id uuid)
  returns boolean
  language sql stable security definer set search_path = ''
  as $$
    select coalesce((auth.jwt() -> 'app_metadata' ->> 'role') = 'operator', false)
       and exists (select 1 from public.job_assignments a
                    where a.job_id = caller_operates.job_id and a.operator_id = auth.uid())
  $$;

-- ---------------------------------------------------------------------------------------
-- advance_job(job_id, status, note): one step along submitted -> reviewing ->
-- in_production -> shipped -> completed. A job already at `status` is returned unchanged
-- (a retried call); any other target is refused with the step it could take.
-- ---------------------------------------------------------------------------------------
create function public.advance_job(job_id uuid, status text, note text default null)
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    job public.jobs;
    wanted text := replace(lower(btrim(coalesce(advance_job.status, ''))), ' ', '_');
    clean_note text := nullif(btrim(advance_job.note), '');
    next_step text;
  begin
    if auth.uid() is null then
      raise exception using errcode = '42501', message = 'Sign in to move a job.';
    end if;
    if wanted not in ('reviewing', 'in_production', 'shipped', 'completed') then
      raise exception using errcode = '22023',
        message = format('"%s" is not a step a job can be moved to; the steps are reviewing, '
                         'in_production, shipped and completed (reject a job with reject_job).',
                         left(coalesce(advance_job.status, ''), 40));
    end if;
    if char_length(clean_note) > 2000 then
      raise exception using errcode = '22023', message = 'A note is limited to 2000 characters.';
    end if;
    if not public.caller_operates(advance_job.job_id) then
      raise exception using errcode = '42501',
        message = 'Only an operator assigned to this job can move it.';
    end if;
    select * into job from public.jobs j where j.id = advance_job.job_id for update;
    if not found then
      raise exception using errcode = 'PT404', message = 'There is no such job.';
    end if;
    if job.status = wanted then
      return to_jsonb(job);
    end if;
    next_step := case job.status
      when 'submitted' then 'reviewing' when 'reviewing' then 'in_production'
      when 'in_production' then 'shipped' when 'shipped' then 'completed' end;
    if next_step is null then
      raise exception using errcode = 'PT409',
        message = format('This job is %s; it does not move any more.',
                         replace(job.status, '_', ' '));
    end if;
    if wanted <> next_step then
      raise exception using errcode = 'PT409',
        message = format('This job is %s; its next step is %s, not %s.',
                         replace(job.status, '_', ' '), replace(next_step, '_', ' '),
                         replace(wanted, '_', ' '));
    end if;
    perform set_config('wyntek.event_note', coalesce(clean_note, ''), true);
    update public.jobs j set status = wanted where j.id = job.id returning * into job;
    perform set_config('wyntek.event_note', '', true);
    return to_jsonb(job);
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- reject_job(job_id, reason): from submitted or reviewing; the status trigger refunds
-- what was debited for the job (at most once: a unique key). A rejected job is returned
-- unchanged (a retried or concurrent call).
-- ---------------------------------------------------------------------------------------
create function public.reject_job(job_id uuid, reason text)
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    job public.jobs;
    clean_reason text := nullif(btrim(reject_job.reason), '');
  begin
    if auth.uid() is null then
      raise exception using errcode = '42501', message = 'Sign in to reject a job.';
    end if;
    if clean_reason is null or char_length(clean_reason) > 2000 then
      raise exception using errcode = '22023',
        message = 'Give the customer a reason for the rejection (1 to 2000 characters).';
    end if;
    if not public.caller_operates(reject_job.job_id) then
      raise exception using errcode = '42501',
        message = 'Only an operator assigned to this job can reject it.';
    end if;
    select * into job from public.jobs j where j.id = reject_job.job_id for update;
    if not found then
      raise exception using errcode = 'PT404', message = 'There is no such job.';
    end if;
    if job.status = 'rejected' then
      return to_jsonb(job);
    end if;
    if job.status not in ('submitted', 'reviewing') then
      raise exception using errcode = 'PT409',
        message = format('Only a submitted or reviewing job can be rejected; this one is %s.',
                         replace(job.status, '_', ' '));
    end if;
    perform set_config('wyntek.event_note', clean_reason, true);
    update public.jobs j set status = 'rejected' where j.id = job.id returning * into job;
    perform set_config('wyntek.event_note', '', true);
    return to_jsonb(job);
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- assign_operator(job_id, operator_id) -> the assignment row. Service role only; the
-- account must be an operator. Assigning twice changes nothing.
-- ---------------------------------------------------------------------------------------
create function public.assign_operator(job_id uuid, operator_id uuid)
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    assignment public.job_assignments;
  begin
    if auth.role() is distinct from 'service_role' then
      raise exception using errcode = '42501', message = 'Only the service assigns operators.';
    end if;
    perform 1 from public.jobs j where j.id = assign_operator.job_id;
    if not found then
      raise exception using errcode = 'PT404', message = 'There is no such job.';
    end if;
    if not exists (select 1 from auth.users u
                    where u.id = assign_operator.operator_id
                      and u.raw_app_meta_data ->> 'role' = 'operator') then
      raise exception using errcode = '22023',
        message = 'Jobs can only be assigned to operator accounts.';
    end if;
    insert into public.job_assignments (job_id, operator_id)
    values (assign_operator.job_id, assign_operator.operator_id)
    on conflict do nothing;
    select * into assignment from public.job_assignments a
     where a.job_id = assign_operator.job_id and a.operator_id = assign_operator.operator_id;
    return to_jsonb(assignment);
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- reorder_job(job_id, client_job_id, changes) -> the new job row.
--   The owner repeats a completed job whose files are still kept. `changes` may set
--   quantity, tolerance_mm, finish, delivery_instructions and notes; material and
--   geometry stay. The price is quote_job on the original job's verified measurements;
--   it is debited once, in this transaction. The new job's files are rows pointing at
--   the originals (copied_from); the service worker copies the objects into
--   {user_id}/{client_job_id}/ through the Storage API and then verifies the job like
--   any other. Idempotent on client_job_id like submit_job: a replay with the same
--   changes returns the same job, with other changes it is refused.
-- ---------------------------------------------------------------------------------------
create function public.reorder_job(job_id uuid, client_job_id uuid, changes jsonb)
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
      'copper_layers', source.verified_copper_layers));

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
    cost := public.quote_job(source.material_id, v_volume, v_quantity, v_tolerance,
                             source.verified_board_area_cm2, source.verified_copper_layers);
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

-- ---------------------------------------------------------------------------------------
-- Who may call what.
-- ---------------------------------------------------------------------------------------
revoke execute on function
  public.caller_operates(uuid),
  public.advance_job(uuid, text, text),
  public.reject_job(uuid, text),
  public.assign_operator(uuid, uuid),
  public.reorder_job(uuid, uuid, jsonb)
  from public, anon, authenticated;

grant execute on function
  public.advance_job(uuid, text, text),
  public.reject_job(uuid, text),
  public.reorder_job(uuid, uuid, jsonb)
  to authenticated;

grant execute on function public.assign_operator(uuid, uuid) to service_role;

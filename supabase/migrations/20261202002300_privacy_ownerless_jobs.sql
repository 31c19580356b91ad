-- Jobs whose owner's account was removed:
--   * a job not yet in production (submitted, reviewing) is cancelled with its owner's
--     removal (an admin delete through GoTrue skips the deletion task, which cancels and
--     refunds first): nobody is left to verify, review or ship it for. No refund: the
--     balance went with the profile;
--   * reorders (jobs.reorder_of, on delete set null) and the 7-year prune: when the pruned
--     job was repeated by a job of a deleted account, that job's reorder_of goes to null;
--     the guard of ownerless jobs lets exactly that through.

create or replace function public.jobs_without_owner() returns trigger
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


-- 1. A job spec carries only the keys submit_job understands. A misspelt key (say
--    "delivery_instruction") used to be stored and silently ignored, so the instructions
--    were lost; now it is refused (22023) before anything is stored or debited.
-- 2. The API roles get nothing on sequences. Identity columns need no grant to insert,
--    and hosted projects grant every new sequence to anon and authenticated by default.

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
                       'delivery_instructions', 'notes', 'process');
      if unknown is not null then
        raise exception using errcode = '22023',
          message = format('The job spec has unknown fields (%s); the known ones are '
                           'material_id, quantity, tolerance_mm, volume_cm3, finish, '
                           'delivery_instructions, notes and process.', left(unknown, 200));
      end if;
    end if;
    return new;
  end
  $$;

revoke all on all sequences in schema public from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;

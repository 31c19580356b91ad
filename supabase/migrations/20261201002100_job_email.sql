-- Job email (SPEC 5.5) from the job history: every row the database writes into
-- job_events (the submission, each status change, each verification outcome) queues one
-- message to the job's owner, keyed by the event's id.
--
--   job_submitted      the first event of a job: a receipt for the tokens it took; always sent
--   job_verification   a verification outcome: always sent when it moved money or needs the
--                      customer (adjusted, needs_tokens, failed); 'passed' is a status update
--   job_status         any other status change: a status update
-- Status updates are skipped for users with profiles.email_job_updates = false.

create function public.email_on_job_event() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
  declare
    job record;
    label text;
    title text;
    first_event boolean;
    status_words text;
  begin
    select j.id, j.material_id, j.quantity, j.token_cost, j.status,
           m.name as material_name
      into job
      from public.jobs j left join public.materials m on m.id = j.material_id
     where j.id = new.job_id;
    if not found then
      return null;
    end if;
    label := 'job ' || left(job.id::text, 8);
    title := 'Job ' || left(job.id::text, 8);
    status_words := replace(new.status, '_', ' ');
    first_event := not exists (select 1 from public.job_events e
                                where e.job_id = new.job_id and e.id < new.id);
    if first_event then
      perform public.enqueue_email(
        new.user_id, 'job_submitted', 'job-event:' || new.id,
        format('We received %s (%s tokens)', label, job.token_cost),
        array[
          format('We received %s: %s x %s. %s tokens were taken from your balance.',
                 label, job.quantity, coalesce(job.material_name, job.material_id), job.token_cost),
          'We now measure the files you uploaded and confirm the price; you will hear from us '
            || 'if it changes.',
          format('Job id: %s.', job.id)]);
    elsif new.verification is not null then
      perform public.enqueue_email(
        new.user_id, 'job_verification', 'job-event:' || new.id,
        case new.verification
          when 'passed' then format('%s: files checked, price confirmed', title)
          when 'adjusted' then format('%s: the price was adjusted after measuring', title)
          when 'needs_tokens' then format('%s: more tokens needed', title)
          else format('%s could not be accepted', title) end,
        array[
          coalesce(new.note, format('The verification of %s ended: %s.', label,
                                    replace(new.verification, '_', ' '))),
          format('The job is now %s. Job id: %s.', status_words, job.id)],
        new.verification = 'passed');
    else
      perform public.enqueue_email(
        new.user_id, 'job_status', 'job-event:' || new.id,
        format('%s is now %s', title, status_words),
        array[
          format('Your %s (%s x %s) is now %s.', label, job.quantity,
                 coalesce(job.material_name, job.material_id), status_words)
            || coalesce(' ' || new.note, ''),
          format('Job id: %s.', job.id)],
        true);
    end if;
    return null;
  end
  $$;

create trigger email_on_job_event
  after insert on public.job_events
  for each row execute function public.email_on_job_event();

revoke execute on function public.email_on_job_event() from public, anon, authenticated;

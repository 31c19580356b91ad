-- Bounded JSON payloads: a job spec up to 64 KiB and one file's analysis up to 1 MiB
-- (as JSON text). Refused with 22023 before anything is stored or debited.

create function public.jobs_payload_limits() returns trigger
  language plpgsql set search_path = ''
  as $$
  begin
    if octet_length(new.spec::text) > 65536 then
      raise exception using errcode = '22023',
        message = 'The job spec is larger than 64 KiB; shorten the notes or instructions.';
    end if;
    return new;
  end
  $$;

create trigger jobs_payload_limits
  before insert on public.jobs
  for each row execute function public.jobs_payload_limits();

create function public.job_files_payload_limits() returns trigger
  language plpgsql set search_path = ''
  as $$
  begin
    if new.analysis is not null and octet_length(new.analysis::text) > 1048576 then
      raise exception using errcode = '22023',
        message = format('The analysis of %s is larger than 1 MiB; send a summary instead.',
                         new.file_name);
    end if;
    return new;
  end
  $$;

create trigger job_files_payload_limits
  before insert or update of analysis on public.job_files
  for each row execute function public.job_files_payload_limits();

revoke execute on function public.jobs_payload_limits(), public.job_files_payload_limits()
  from public, anon, authenticated;

-- A clear refusal for unusable original file names (the storage key is sanitised by the
-- client; job_files.file_name keeps the original, which must still be printable).
create or replace function public.job_files_payload_limits() returns trigger
  language plpgsql set search_path = ''
  as $$
  begin
    if new.file_name is null or btrim(new.file_name) = '' or char_length(new.file_name) > 255
       or new.file_name ~ '[[:cntrl:]]' then
      raise exception using errcode = '22023',
        message = 'Each file needs a name of 1 to 255 printable characters.';
    end if;
    if new.analysis is not null and octet_length(new.analysis::text) > 1048576 then
      raise exception using errcode = '22023',
        message = format('The analysis of %s is larger than 1 MiB; send a summary instead.',
                         new.file_name);
    end if;
    return new;
  end
  $$;

drop trigger job_files_payload_limits on public.job_files;
create trigger job_files_payload_limits
  before insert or update of analysis, file_name on public.job_files
  for each row execute function public.job_files_payload_limits();

-- Jobs are assigned only to operators: accounts whose app_metadata (set by the service,
-- never by the user) says role = operator. Without this an assignment to an ordinary
-- account would be dormant but confusing.
create function public.job_assignments_check() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
  begin
    if not exists (select 1 from auth.users u
                    where u.id = new.operator_id
                      and u.raw_app_meta_data ->> 'role' = 'operator') then
      raise exception using errcode = '22023',
        message = 'Jobs can only be assigned to operator accounts.';
    end if;
    return new;
  end
  $$;

create trigger job_assignments_check
  before insert or update of operator_id on public.job_assignments
  for each row execute function public.job_assignments_check();

revoke execute on function public.job_assignments_check() from public, anon, authenticated;

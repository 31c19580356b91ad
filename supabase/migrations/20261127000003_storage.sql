-- Private bucket `designs` and its policies. Object names are
-- '{user_id}/{client_job_id}/{file_name}'. A signed-in user may insert, read, update and
-- delete only inside their own '{user_id}/' folder; an operator may read the files of the
-- jobs assigned to them; nobody else gets anything (anon has no policy).

insert into storage.buckets (id, name, public)
values ('designs', 'designs', false)
on conflict (id) do nothing;

-- True when an object name is a plain relative key: Supabase's ASCII key characters only
-- (so no backslash, '%', control characters or NUL), no empty, '.' or '..' segments, and a
-- file name of at most 200 characters.
create function public.designs_object_name_ok(name text)
  returns boolean
  language sql immutable security invoker set search_path = ''
  as $$
    select name is not null
       and char_length(name) <= 512
       and name ~ '^[A-Za-z0-9_/!.*''() &$=@;:+,?-]+$'
       and name !~ '(^|/)\.{1,2}(/|$)'
       and name !~ '//'
       and left(name, 1) <> '/'
       and right(name, 1) <> '/'
       and char_length(storage.filename(name)) <= 200
  $$;

revoke execute on function public.designs_object_name_ok(text) from public, anon;
grant execute on function public.designs_object_name_ok(text) to authenticated, service_role;

create policy "designs: owner uploads to own folder" on storage.objects
  for insert to authenticated
  with check (
    bucket_id = 'designs'
    and (storage.foldername(name))[1] = (select auth.uid())::text
    and public.designs_object_name_ok(name));

create policy "designs: owner reads own folder" on storage.objects
  for select to authenticated
  using (
    bucket_id = 'designs'
    and (storage.foldername(name))[1] = (select auth.uid())::text);

create policy "designs: owner updates own folder" on storage.objects
  for update to authenticated
  using (
    bucket_id = 'designs'
    and (storage.foldername(name))[1] = (select auth.uid())::text)
  with check (
    bucket_id = 'designs'
    and (storage.foldername(name))[1] = (select auth.uid())::text
    and public.designs_object_name_ok(name));

create policy "designs: owner deletes own folder" on storage.objects
  for delete to authenticated
  using (
    bucket_id = 'designs'
    and (storage.foldername(name))[1] = (select auth.uid())::text);

create policy "designs: assigned operator reads job files" on storage.objects
  for select to authenticated
  using (
    bucket_id = 'designs'
    and ((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'operator'
    and exists (
      select 1
        from public.job_files f
        join public.job_assignments a on a.job_id = f.job_id
       where f.storage_path = objects.name
         and a.operator_id = (select auth.uid())));

-- Stored files of a live job are frozen, and the designs bucket has limits.
--
-- 1. While a job is live (submitted, reviewing, in production or shipped) its owner can
--    no longer overwrite (upsert, update, move) or delete the objects its job_files name:
--    what operators make is what the service verified and priced. Storage answers 403.
--    After completion, cancellation or rejection the owner may remove them again.
-- 2. Bucket limits, enforced by Storage before any bytes are kept: files up to 4 GiB (the
--    desktop's largest accepted design file; a hosted project's global upload limit caps
--    this further: 50 MB on the Free plan, configurable up to 500 GB on paid plans), and
--    only the content types the app sends for the kinds it accepts (3D models, Gerber
--    zips, PDF drawings; operating systems name some of them application/octet-stream
--    or text/plain).

create function public.designs_object_frozen(name text)
  returns boolean
  language sql stable security definer set search_path = ''
  as $$
    select exists (
      select 1
        from public.job_files f
        join public.jobs j on j.id = f.job_id
       where f.storage_path = designs_object_frozen.name
         and f.deleted_at is null
         and j.status in ('submitted', 'reviewing', 'in_production', 'shipped'))
  $$;

revoke execute on function public.designs_object_frozen(text) from public, anon;
grant execute on function public.designs_object_frozen(text) to authenticated, service_role;

drop policy "designs: owner updates own folder" on storage.objects;
create policy "designs: owner updates own folder" on storage.objects
  for update to authenticated
  using (
    bucket_id = 'designs'
    and (storage.foldername(name))[1] = (select auth.uid())::text
    and not public.designs_object_frozen(name))
  with check (
    bucket_id = 'designs'
    and (storage.foldername(name))[1] = (select auth.uid())::text
    and public.designs_object_name_ok(name)
    and not public.designs_object_frozen(name));

drop policy "designs: owner deletes own folder" on storage.objects;
create policy "designs: owner deletes own folder" on storage.objects
  for delete to authenticated
  using (
    bucket_id = 'designs'
    and (storage.foldername(name))[1] = (select auth.uid())::text
    and not public.designs_object_frozen(name));

update storage.buckets
   set file_size_limit = 4294967296,
       allowed_mime_types = array['model/*', 'application/*', 'text/plain']
 where id = 'designs';

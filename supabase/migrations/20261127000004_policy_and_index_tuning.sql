-- Performance tuning that Supabase's database linter asks for:
--   * one permissive policy per table, role and action (owner OR assigned operator)
--     instead of two that Postgres would evaluate separately for every row;
--   * an index covering every foreign key.
-- Behaviour is unchanged.

drop policy "jobs: owner reads" on public.jobs;
drop policy "jobs: assigned operator reads" on public.jobs;
create policy "jobs: owner or assigned operator reads" on public.jobs
  for select to authenticated
  using (
    user_id = (select auth.uid())
    or (((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'operator'
        and exists (select 1 from public.job_assignments a
                    where a.job_id = jobs.id and a.operator_id = (select auth.uid()))));

drop policy "job_files: owner reads" on public.job_files;
drop policy "job_files: assigned operator reads" on public.job_files;
create policy "job_files: owner or assigned operator reads" on public.job_files
  for select to authenticated
  using (
    user_id = (select auth.uid())
    or (((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'operator'
        and exists (select 1 from public.job_assignments a
                    where a.job_id = job_files.job_id
                      and a.operator_id = (select auth.uid()))));

drop policy "designs: owner reads own folder" on storage.objects;
drop policy "designs: assigned operator reads job files" on storage.objects;
create policy "designs: owner or assigned operator reads" on storage.objects
  for select to authenticated
  using (
    bucket_id = 'designs'
    and ((storage.foldername(name))[1] = (select auth.uid())::text
         or (((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'operator'
             and exists (
               select 1
                 from public.job_files f
                 join public.job_assignments a on a.job_id = f.job_id
                where f.storage_path = objects.name
                  and a.operator_id = (select auth.uid())))));

create index jobs_material_idx on public.jobs (material_id);
drop index public.job_files_job_idx;
create index job_files_job_user_idx on public.job_files (job_id, user_id);
create index support_messages_job_user_idx on public.support_messages (job_id, user_id);

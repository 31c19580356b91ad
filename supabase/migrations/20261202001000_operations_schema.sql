-- Operators and the lifecycle (SPEC §5.2), schema part:
--   * jobs.reorder_of: the completed job a reorder repeats; job_files.copied_from: the
--     stored object the service copies into the reorder's folder (null: uploaded).
--   * At most one refund per job in the ledger (a unique key, whoever writes it).
--   * support_messages.topic (question, warranty, billing, privacy, other); a warranty
--     message is about one of the sender's jobs.
--   * operator_jobs: the assigned jobs as an operator needs them (spec, notes, delivery
--     instructions, files) and nothing more of the customer (no email, no balance, no
--     costs). A security-invoker view: RLS on the tables below decides, so a customer
--     reading it sees nothing.

-- ---------------------------------------------------------------------------------------
-- Reorders
-- ---------------------------------------------------------------------------------------
alter table public.jobs
  add column reorder_of uuid
    constraint jobs_reorder_of_fkey references public.jobs (id) on delete set null;
create index jobs_reorder_of_idx on public.jobs (reorder_of);
comment on column public.jobs.reorder_of is
  'The completed job this one repeats (reorder_job); its files are copied by the service.';

alter table public.job_files
  add column copied_from text
    constraint job_files_copied_from_check check (char_length(copied_from) <= 1024);
comment on column public.job_files.copied_from is
  'For a reorder: the stored object (bucket designs) the service copies to storage_path '
  'before verifying it. Null for uploaded files.';

-- ---------------------------------------------------------------------------------------
-- One refund per job, enforced by the database rather than by checking first.
-- ---------------------------------------------------------------------------------------
create unique index token_ledger_one_refund_per_job
  on public.token_ledger (job_id) where reason = 'refund';

-- ---------------------------------------------------------------------------------------
-- Support topics
-- ---------------------------------------------------------------------------------------
alter table public.support_messages
  add column topic text not null default 'question'
    constraint support_messages_topic_check
    check (topic in ('question', 'warranty', 'billing', 'privacy', 'other'));
grant insert (topic) on public.support_messages to authenticated;

create function public.support_messages_topic_check() returns trigger
  language plpgsql set search_path = ''
  as $$
  begin
    if new.topic = 'warranty' and new.job_id is null then
      raise exception using errcode = '22023',
        message = 'A warranty claim is about one of your jobs; choose the job it concerns.';
    end if;
    return new;
  end
  $$;

create trigger support_messages_topic_check
  before insert on public.support_messages
  for each row execute function public.support_messages_topic_check();

revoke execute on function public.support_messages_topic_check() from public, anon, authenticated;

-- ---------------------------------------------------------------------------------------
-- The operator's job list
-- ---------------------------------------------------------------------------------------
-- The list starts from the operator's assignments; this index answers it (and the
-- operator_id foreign key) without touching the table.
create index job_assignments_operator_job_idx on public.job_assignments (operator_id, job_id);
drop index public.job_assignments_operator_idx;

create view public.operator_jobs with (security_invoker = true) as
  select j.id, j.status, j.process, j.material_id, m.name as material_name, j.quantity,
         j.tolerance_mm, j.finish, j.delivery_instructions, j.notes, j.verification,
         j.verified_volume_cm3, j.verified_board_area_cm2, j.verified_copper_layers,
         j.verification_note, j.reorder_of, j.created_at, j.updated_at, j.completed_at,
         a.assigned_at,
         coalesce((select jsonb_agg(jsonb_build_object(
                            'id', f.id, 'job_id', f.job_id, 'storage_path', f.storage_path,
                            'file_name', f.file_name, 'kind', f.kind,
                            'size_bytes', f.size_bytes, 'sha256', f.sha256,
                            'deleted_at', f.deleted_at)
                          order by f.file_name, f.id)
                     from public.job_files f where f.job_id = j.id), '[]'::jsonb) as files
    from public.job_assignments a
    join public.jobs j on j.id = a.job_id
    left join public.materials m on m.id = j.material_id
   where a.operator_id = (select auth.uid());

comment on view public.operator_jobs is
  'The calling operator''s assigned jobs with what the work needs; RLS of jobs, job_files '
  'and job_assignments applies (security invoker).';

revoke all on public.operator_jobs from anon, authenticated, service_role;
grant select on public.operator_jobs to authenticated;

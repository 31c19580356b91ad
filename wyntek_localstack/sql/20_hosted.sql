-- What a hosted project enforces beyond the tables themselves, so that the local stack
-- refuses what hosted refuses. Applied after 00_bootstrap.sql and 10_gotrue.sql, before
-- the project's migrations. Idempotent.

-- ---------------------------------------------------------------------------------------
-- Roles: `postgres` is no member of the service admins any more (hosted stopped that in
-- 2025); it keeps the grants hosted gives it on Storage's tables.
-- ---------------------------------------------------------------------------------------
revoke supabase_auth_admin, supabase_storage_admin from postgres;
grant usage on schema storage to postgres with grant option;
grant all on storage.buckets, storage.objects to postgres with grant option;

-- The API roles' statement timeouts. PostgREST applies a role's settings when it switches
-- to the role; the local pool reads these and does the same.
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';

-- GoTrue's users are not readable through the API roles, and RLS is on as on hosted.
alter table auth.users enable row level security;
alter table auth.identities enable row level security;

-- ---------------------------------------------------------------------------------------
-- Storage's delete protection: rows of storage.objects and storage.buckets go away only
-- through the Storage API (which sets storage.allow_delete_query for its own deletes), so
-- a SQL delete cannot orphan the stored bytes.
-- ---------------------------------------------------------------------------------------
create or replace function storage.protect_delete() returns trigger
  language plpgsql
  as $$
  begin
    if coalesce(current_setting('storage.allow_delete_query', true), 'false') <> 'true' then
      raise exception 'Direct deletion from storage tables is not allowed. Use the Storage API instead.'
        using hint = 'Delete objects through the Storage API (it removes the stored bytes too).',
              errcode = '42501';
    end if;
    return null;
  end
  $$;
alter function storage.protect_delete() owner to supabase_storage_admin;

drop trigger if exists protect_buckets_delete on storage.buckets;
create trigger protect_buckets_delete
  before delete on storage.buckets
  for each statement execute function storage.protect_delete();

drop trigger if exists protect_objects_delete on storage.objects;
create trigger protect_objects_delete
  before delete on storage.objects
  for each statement execute function storage.protect_delete();

-- ---------------------------------------------------------------------------------------
-- Migrations run as `postgres`, which here is the cluster's superuser but on hosted owns
-- nothing in `auth` and `storage`: there it may create, alter and drop policies (the
-- platform's policy grants), add triggers (it holds TRIGGER on those tables) and grant,
-- and nothing else. While a project migration runs (`wyntek.migration` = 'on'), DDL on
-- those schemas outside that list is refused here as hosted would refuse it.
-- ---------------------------------------------------------------------------------------
create or replace function extensions.wyntek_hosted_ddl_guard() returns event_trigger
  language plpgsql
  as $$
  declare
    cmd record;
  begin
    if coalesce(current_setting('wyntek.migration', true), '') <> 'on' then
      return;
    end if;
    for cmd in select * from pg_event_trigger_ddl_commands() loop
      if cmd.schema_name in ('auth', 'storage')
         and cmd.command_tag not in ('CREATE POLICY', 'ALTER POLICY', 'CREATE TRIGGER',
                                     'GRANT', 'REVOKE') then
        raise exception '% on %: a hosted project does not allow migrations to change the % schema (it belongs to the platform)',
          cmd.command_tag, cmd.object_identity, cmd.schema_name
          using errcode = '42501',
                hint = 'Only policies, triggers and grants may be added to auth and storage tables.';
      end if;
    end loop;
  end
  $$;

create or replace function extensions.wyntek_hosted_drop_guard() returns event_trigger
  language plpgsql
  as $$
  declare
    obj record;
  begin
    if coalesce(current_setting('wyntek.migration', true), '') <> 'on' then
      return;
    end if;
    for obj in select * from pg_event_trigger_dropped_objects() loop
      if obj.schema_name in ('auth', 'storage') and obj.original
         and obj.object_type not in ('policy', 'trigger') then
        raise exception 'dropping % %: a hosted project does not allow migrations to change the % schema',
          obj.object_type, obj.object_identity, obj.schema_name
          using errcode = '42501';
      end if;
    end loop;
  end
  $$;

drop event trigger if exists wyntek_hosted_ddl_guard;
create event trigger wyntek_hosted_ddl_guard on ddl_command_end
  execute function extensions.wyntek_hosted_ddl_guard();
drop event trigger if exists wyntek_hosted_drop_guard;
create event trigger wyntek_hosted_drop_guard on sql_drop
  execute function extensions.wyntek_hosted_drop_guard();

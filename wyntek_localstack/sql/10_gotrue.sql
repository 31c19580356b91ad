-- GoTrue's own bookkeeping for the local stack: sessions and rotating refresh tokens.
-- Idempotent: applied on every start, before the project's migrations.

create table if not exists auth.sessions (
    id uuid primary key,
    user_id uuid not null references auth.users (id) on delete cascade,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    refreshed_at timestamptz,
    aal text not null default 'aal1',
    not_after timestamptz
);
create index if not exists sessions_user_id_idx on auth.sessions (user_id);

-- `token` holds the SHA-256 of the opaque refresh token, never the token itself.
create table if not exists auth.refresh_tokens (
    id bigserial primary key,
    token varchar(255) not null unique,
    user_id varchar(255) not null,
    revoked boolean not null default false,
    parent varchar(255),
    session_id uuid references auth.sessions (id) on delete cascade,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index if not exists refresh_tokens_session_id_idx on auth.refresh_tokens (session_id);
create index if not exists refresh_tokens_parent_idx on auth.refresh_tokens (parent);

-- Only the server's own login touches these; the API roles never see them.
alter table auth.sessions enable row level security;
alter table auth.refresh_tokens enable row level security;
revoke all on auth.sessions, auth.refresh_tokens from public;
do $$
declare r text;
begin
    foreach r in array array['anon', 'authenticated', 'service_role'] loop
        if exists (select 1 from pg_roles where rolname = r) then
            execute format('revoke all on auth.sessions, auth.refresh_tokens from %I', r);
            execute format('revoke all on sequence auth.refresh_tokens_id_seq from %I', r);
        end if;
    end loop;
end $$;

-- How the session was established (the `amr` claim of its access tokens).
alter table auth.sessions add column if not exists amr_method text not null default 'password';
